"""The complainant's identity: normalised, hashed for matching, masked for display.

Name and phone live only in ``complainant_contacts``. Everything else (results files, case views,
logs, exports) sees the masked form or the hash. The hash is a keyed SHA-256 (the key comes from
``ENVPETITION_PHONE_HASH_KEY`` when set) so the table of hashes cannot be reversed by hashing every
mobile number without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata

DEFAULT_KEY = "envpetition-phone-v1"


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, without +86 / 0086; None when nothing is left."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix):]
    return digits or None


def phone_hash(phone: str | None, *, key: str | None = None) -> str | None:
    """Keyed hash of the normalised phone number (None for no phone)."""
    digits = normalise_phone(phone)
    if digits is None:
        return None
    secret = (key or os.environ.get("ENVPETITION_PHONE_HASH_KEY") or DEFAULT_KEY).encode()
    return hmac.new(secret, digits.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    """138****5678 (first three and last four digits kept)."""
    digits = normalise_phone(phone)
    if digits is None:
        return None
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 3) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str | None) -> str | None:
    """张** (first character kept)."""
    if not name:
        return None
    name = name.strip()
    return name[:1] + "*" * max(1, len(name) - 1)


# Identity a complainant typed into the complaint text itself. Digits glued to other digits are not a
# phone (an order number, a coordinate), hence the look-arounds.
_ID_CARD = re.compile(r"(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0\d{2,3}[- ]?\d{7,8}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_NAME_CUES = ("我叫", "本人", "联系人", "姓名", "举报人", "本人姓名")
# The name after a cue: optional 是/：, then 2-4 Han characters (a single 姓 + 先生/女士 counts too).
_NAMED = re.compile(
    r"(?P<cue>" + "|".join(sorted(map(re.escape, _NAME_CUES), key=len, reverse=True)) + r")"
    r"(?P<sep>\s*(?:是|为|[:：])?\s*)"
    r"(?![住在于是反要投举家现多曾已不也和与向对从发看听闻认希觉今昨每一经的就还没被因请])"
    r"(?P<name>[\u4e00-\u9fff](?:先生|女士|[\u4e00-\u9fff]{1,3}?)(?=[，,。.；;、\s）)]|电话|手机|联系|住|家住|在|$))"
)


def _mask_digits(match: re.Match[str]) -> str:
    return mask_phone(match.group(0)) or ""


def mask_text(text: str | None) -> str | None:
    """The complaint text with phones, ID-card numbers, e-mail addresses and named complainants masked.

    Examples
    --------
    >>> mask_text("我叫张三，电话13812345678，邮箱zs@qq.com")
    '我叫张*，电话138****5678，邮箱z***@qq.com'
    """
    if not text:
        return text
    text = _ID_CARD.sub(lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 6) + m.group(0)[-2:], text)
    text = _MOBILE.sub(_mask_digits, text)
    text = _LANDLINE.sub(_mask_digits, text)
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@", 1)[1], text)
    return _NAMED.sub(lambda m: m.group("cue") + m.group("sep") + (mask_name(m.group("name")) or ""), text)


def scrub_identity(text: str, name: str | None, phone: str | None) -> str:
    """The text with the complainant's own name and phone replaced by their masked forms, and any
    other 11-digit mobile number masked too."""
    out = text or ""
    digits = normalise_phone(phone)
    if digits:
        out = out.replace(digits, mask_phone(digits) or "")
    if name and len(name.strip()) >= 2:
        out = out.replace(name.strip(), mask_name(name) or "")
    return re.sub(r"(?<!\d)(1\d{2})[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)", lambda m: f"{m[1]}****{m[3]}", out)
