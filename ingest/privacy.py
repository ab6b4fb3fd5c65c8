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
