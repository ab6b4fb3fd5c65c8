"""HJ 212-2017 packets (and the HJ/T 212-2005 layout still on the wire): framing, CRC, data segment.

A packet is ``##`` + 4-digit length + data segment + 4 hex CRC digits + ``\\r\\n``. The CRC is the
standard's own (Appendix A), which is *not* CRC-16/MODBUS: per byte ``crc = (crc >> 8) ^ byte``
then eight shift/xor steps with 0xA001. Some field devices send a Modbus CRC (often low byte
first); such packets are accepted and tagged ``crc="modbus"``. ``DataTime`` is local time in
Asia/Shanghai.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from envpetition.localtime import LOCAL_TZ

# CN codes this system reads as data uploads.
DATA_COMMANDS = {
    "2011": "realtime",  # 实时数据
    "2051": "minute",  # 分钟数据
    "2061": "hour",  # 小时数据
    "2031": "day",  # 日数据
}
# Data flags of HJ 212-2017 6.6.4: N normal, F stopped, M maintenance, S manual input, D fault,
# C calibration, T over the upper range, B communication failure.
DATA_FLAGS = frozenset("NFMSDCTB")
VALID_FOR_AVERAGING = frozenset("NST")
# Which field carries the value, by command: real-time uses Rtd, averages use Avg.
VALUE_FIELDS = ("Rtd", "Avg", "Cou", "Max", "Min")


def _table(poly: int = 0xA001) -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_T = _table()


def hj212_crc(data: bytes) -> int:
    """CRC of HJ 212-2017 Appendix A over the data segment.

    >>> format(hj212_crc(b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"), "04X")
    '1C80'
    """
    crc = 0xFFFF
    for byte in data:
        # (crc >> 8) ^ byte leaves an 8-bit value, so the eight shift steps are one table lookup.
        crc = _T[(crc >> 8) ^ byte]
    return crc


def modbus_crc(data: bytes) -> int:
    """Plain CRC-16/MODBUS (what some devices send instead)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _T[(crc ^ byte) & 0xFF]
    return crc


class PacketError(ValueError):
    """A packet that cannot be read; the message says why."""


@dataclass
class Packet:
    valid: bool
    crc: str  # ok | modbus | bad
    st: str | None = None
    cn: str | None = None
    mn: str | None = None
    pw: str | None = None
    qn: str | None = None
    flag: str | None = None
    data_time: datetime | None = None
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        """realtime | minute | hour | day for data uploads, else None."""
        return DATA_COMMANDS.get(self.cn or "")

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "crc": self.crc,
            "st": self.st,
            "cn": self.cn,
            "mn": self.mn,
            "data_time": self.data_time.isoformat() if self.data_time else None,
            "values": self.values,
            "error": self.error,
            **({"warnings": self.warnings} if self.warnings else {}),
        }


_FRAME = re.compile(rb"^##(\d{4})(.*)([0-9A-Fa-f]{4})$", re.S)


def check_crc(segment: bytes, field_hex: str) -> str:
    """``ok`` for the HJ 212 CRC, ``modbus`` for a Modbus CRC in either byte order, else ``bad``."""
    declared = int(field_hex, 16)
    if hj212_crc(segment) == declared:
        return "ok"
    mb = modbus_crc(segment)
    if declared in (mb, ((mb & 0xFF) << 8) | (mb >> 8)):
        return "modbus"
    return "bad"


def parse_time(text: str) -> datetime:
    """``yyyyMMddHHmmss`` (optionally followed by milliseconds) as Asia/Shanghai time."""
    digits = text.strip()
    if len(digits) < 14 or not digits[:14].isdigit():
        raise PacketError(f"DataTime {text!r} is not yyyyMMddHHmmss")
    try:  # int slices: strptime took a third of a minute packet's parse time
        moment = datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]), int(digits[10:12]),
                          int(digits[12:14]))
    except ValueError as exc:
        raise PacketError(f"DataTime {text!r}: {exc}") from None
    extra = digits[14:]
    micro = int(extra[:3].ljust(3, "0")) * 1000 if extra.isdigit() else 0
    return moment.replace(microsecond=micro, tzinfo=LOCAL_TZ)


def _parse_cp(cp: str, packet: Packet) -> None:
    last_code: str | None = None
    for item in cp.split(";"):
        for part in item.split(","):
            if "=" not in part:
                if part.strip():
                    packet.warnings.append(f"CP field without '=': {part!r}")
                continue
            key, value = part.split("=", 1)
            key = key.strip()
            if key == "DataTime":
                packet.data_time = parse_time(value)
                continue
            if "-" not in key:
                if key == "Flag" and last_code is not None:
                    # Seen in the field: "a34001-Rtd=92;Flag=N" (flag split off by ';').
                    packet.values[last_code]["flag"] = value
                elif key not in ("RtdInterval", "QnRtn", "ExeRtn", "PolId", "BeginTime", "EndTime"):
                    packet.warnings.append(f"CP field {key!r} ignored")
                continue
            code, _, attr = key.rpartition("-")
            entry = packet.values.setdefault(code, {"value": None, "flag": None})
            last_code = code
            if attr == "Flag":
                entry["flag"] = value
                if value not in DATA_FLAGS:
                    packet.warnings.append(f"{code}: unknown flag {value!r} kept as sent")
            elif attr in VALUE_FIELDS:
                rank = VALUE_FIELDS.index(attr)
                if entry.get("_rank", 99) > rank:
                    try:
                        entry["value"] = float(value) if value != "" else None
                    except ValueError:
                        raise PacketError(f"{code}-{attr}: {value!r} is not a number") from None
                    entry["_rank"] = rank
    for entry in packet.values.values():
        entry.pop("_rank", None)
    # Codes that carried no value at all (e.g. only SampleTime) are not readings.
    for code in [c for c, e in packet.values.items() if e["value"] is None and e["flag"] is None]:
        del packet.values[code]


def parse_packet(raw: bytes | str) -> Packet:
    """Parse one packet. Never raises: problems are in ``error`` (invalid) or ``warnings``.

    Lengths over 1024 are accepted (real devices send them). A length field that disagrees with the
    data segment makes the packet invalid: the frame is broken even when the CRC matches.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    data = data.strip(b"\r\n\x00 \t")
    if data.endswith(b"\\r\\n"):  # escaped line ending copied from logs
        data = data[:-4]
    match = _FRAME.match(data)
    if not match:
        return Packet(valid=False, crc="bad", error="not an HJ 212 frame (## + 4-digit length + data + 4 hex CRC)")
    declared_len = int(match.group(1))
    segment, crc_hex = match.group(2), match.group(3).decode()
    packet = Packet(valid=True, crc=check_crc(segment, crc_hex))
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError:
        text = segment.decode("gbk", errors="replace")
        packet.warnings.append("data segment is not UTF-8; read as GBK")
    try:
        head, sep, cp = text.partition("CP=&&")
        if not sep:
            raise PacketError("no CP=&& in data segment")
        for part in head.split(";"):
            if "=" in part:
                key, value = part.split("=", 1)
                if key in ("QN", "ST", "CN", "PW", "MN", "Flag"):
                    setattr(packet, key.lower(), value)
        if not cp.endswith("&&"):
            raise PacketError("CP segment does not end with &&")
        _parse_cp(cp[:-2], packet)
        if packet.cn is None or packet.mn is None:
            raise PacketError("CN and MN are required")
        if packet.kind and packet.data_time is None:
            raise PacketError(f"CN={packet.cn} without DataTime")
        if declared_len != len(segment):
            raise PacketError(f"length field {declared_len} but data segment is {len(segment)} bytes")
    except PacketError as exc:
        packet.valid = False
        packet.error = str(exc)
        return packet
    if declared_len > 1024:
        packet.warnings.append(f"length {declared_len} exceeds the standard's 1024")
    if packet.crc == "bad":
        packet.valid = False
        packet.error = f"CRC {crc_hex} does not match (HJ 212 {hj212_crc(segment):04X})"
    return packet


def build_packet(segment: str) -> str:
    """Frame a data segment: length, HJ 212 CRC and CRLF (for tests, replay and the bench)."""
    body = segment.encode("utf-8")
    return f"##{len(body):04d}{segment}{hj212_crc(body):04X}\r\n"
