"""National limits (reference/limits.csv) and which of them apply to a monitor.

Each rule names the averaging it needs: ``1min`` (one-time boundary samples, GB 14554), ``1h``,
``24h`` (local day), ``8h_max`` (daily maximum 8-hour mean, O3) and ``noise_day`` / ``noise_night``
(hourly LAeq against the GB 3096 day 06-22 / night 22-06 limit of the zone class). Rows the file
marks ``[unverified ...]`` are used but flagged ``verified=False`` in every result.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LIMITS = Path("/work/shared/reference/limits.csv")
# The odour concentration has no HJ 212 code; the sample data use the local code a99990.
ODOUR_CODE = "a99990"
NOISE_CODE = "LA"


@dataclass(frozen=True)
class Limit:
    standard: str
    pollutant: str
    code: str
    averaging: str  # 1min | 1h | 24h | 8h_max | noise_day | noise_night
    zone_class: str
    value: float
    unit: str
    verified: bool


def _number(text: str) -> float | None:
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(\(|$)", text)
    return float(m.group(1)) if m else None


def _averaging(standard: str, averaging: str) -> str | None:
    a = averaging.lower()
    if standard.startswith("GB 3095"):
        return {"1h": "1h", "24h": "24h", "daily max 8h": "8h_max"}.get(a)
    if standard.startswith("GB 14554") and "single" in a:
        return "1min"
    if standard == "GB 16297-1996 Table 2" and "hourly sample" in a:
        return "1h"
    if standard.startswith("GB 3096") and "laeq" in a:
        return "noise_day" if a.startswith("day") else ("noise_night" if a.startswith("night") else None)
    return None


def _class(standard: str, zone: str) -> str | None:
    z = zone.lower()
    if standard.startswith("GB 3095"):
        m = re.match(r"class (\d)", z)
        return m.group(1) if m else None
    if standard.startswith("GB 14554"):
        # "class 2 new/expanded" is the limit for sources built or expanded after 1994: the default.
        m = re.match(r"class (\d)( new| existing)?", z)
        if not m:
            return None
        return m.group(1) + ("-existing" if m.group(2) == " existing" else "")
    if standard.startswith("GB 3096"):
        m = re.match(r"class (\w+)$", z)
        return m.group(1) if m else None
    if standard == "GB 16297-1996 Table 2":
        return "*"  # fugitive limits of new sources: one value whatever the zone
    return None


def load_limits(path: str | Path = DEFAULT_LIMITS) -> list[Limit]:
    """The limits this system evaluates (ambient GB 3095, boundary GB 14554 + GB 16297 Table 2, noise GB 3096)."""
    limits = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            standard = row["standard"].strip()
            averaging = _averaging(standard, row["averaging"])
            zone = _class(standard, row["zone_or_class"])
            value = _number(row["limit"])
            code = row["code"].split(" ")[0].strip()
            if "odor concentration" in row["pollutant"]:
                code = ODOUR_CODE
            if standard.startswith("GB 3096"):
                code = NOISE_CODE
            if averaging is None or zone is None or value is None or not code:
                continue
            limits.append(Limit(standard, row["pollutant"], code, averaging, zone, value, row["unit"].strip(),
                                "[unverified" not in row["source"]))
    return limits


def applicable(limits: list[Limit], role: str, area_class: str | None, pollutant: str) -> list[Limit]:
    """Limits for a monitor of ``role`` (ambient | boundary | noise) and class on ``pollutant``."""
    families = {"ambient": ("GB 3095",), "boundary": ("GB 14554", "GB 16297"), "noise": ("GB 3096",)}.get(role)
    if families is None or not area_class:
        return []
    return [lim for lim in limits if lim.standard.startswith(families) and lim.code == pollutant
            and lim.zone_class in (area_class, "*")]


def unit_factor(sensor_unit: str | None, limit_unit: str) -> float:
    """Multiply a sensor value by this to express it in the limit's unit (mg/m3 ↔ ug/m3)."""
    s = (sensor_unit or limit_unit).replace("µ", "u").lower()
    t = limit_unit.replace("µ", "u").lower()
    if s == t:
        return 1.0
    if s == "mg/m3" and t == "ug/m3":
        return 1000.0
    if s == "ug/m3" and t == "mg/m3":
        return 0.001
    return 1.0
