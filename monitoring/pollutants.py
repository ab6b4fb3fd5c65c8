"""Pollutant names and units in Chinese and English, from one table (``monitoring/data/pollutants.csv``).

The table maps an HJ 212-2017 factor code to its Chinese and English name, chemical symbol, usual
unit and display decimals. Stored series carry a suffix for the device's own averages
(``a21028:1h``); labels name the average. Units are written the way the sensor registry stores
them (``mg/m3``, ``degC``) and shown with proper symbols (mg/m³, °C).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

UNIT_SYMBOLS = {"mg/m3": "mg/m³", "ug/m3": "μg/m³", "degC": "°C", "deg": "°", "dimensionless": "无量纲",
                "m/s": "m/s", "%": "%", "kPa": "kPa", "dB(A)": "dB(A)"}
AVERAGES = {"1h": "小时均值 hourly", "1d": "日均值 daily", "1m": "分钟均值 per minute"}


@dataclass(frozen=True)
class Pollutant:
    code: str
    name_zh: str
    name_en: str
    symbol: str
    unit: str
    decimals: int


@lru_cache(maxsize=1)
def pollutant_table() -> dict[str, Pollutant]:
    """Every known factor code → its Pollutant (read once)."""
    text = (resources.files("monitoring") / "data" / "pollutants.csv").read_text(encoding="utf-8")
    return {row["code"]: Pollutant(row["code"], row["name_zh"], row["name_en"], row["symbol"], row["unit"],
                                   int(row["decimals"])) for row in csv.DictReader(text.splitlines())}


def unit_symbol(unit: str | None) -> str:
    """``mg/m3`` → ``mg/m³``; an unknown unit is shown as given."""
    return UNIT_SYMBOLS.get(unit or "", unit or "")


def split_code(series: str) -> tuple[str, str | None]:
    """``a21028:1h`` → (``a21028``, ``1h``)."""
    code, _, average = series.partition(":")
    return code, average or None


def pollutant_name(series: str, *, english: bool = True) -> str:
    """Chinese name first, then symbol and English.

    >>> pollutant_name("a21028")
    '硫化氢 H₂S hydrogen sulphide'
    >>> pollutant_name("a01001:1h", english=False)
    '温度（小时均值）'
    >>> pollutant_name("x99")
    'x99'
    """
    code, average = split_code(series)
    known = pollutant_table().get(code)
    if known is None:
        return series
    parts = [known.name_zh, known.symbol] + ([known.name_en] if english else [])
    name = " ".join(p for p in parts if p)
    if average:
        name += f"（{AVERAGES.get(average, average).split(' ')[0]}）"
    return name


def pollutant_label(series: str, unit: str | None = None) -> str:
    """Name and unit for an axis or a legend: the sensor's own unit if given, else the table's.

    >>> pollutant_label("a01008")
    '风向 wind direction (from) · °'
    >>> pollutant_label("a34004", "ug/m3")
    '细颗粒物 PM2.5 fine particulate matter · μg/m³'
    """
    code, _ = split_code(series)
    known = pollutant_table().get(code)
    shown = unit_symbol(unit or (known.unit if known else None))
    return f"{pollutant_name(series)} · {shown}" if shown else pollutant_name(series)
