"""Shared helpers for the synthetic sample-data generator.

Everything here is deterministic: no wall-clock time, no environment lookups.
Local geometry is built in metres in a frame centred on the synthetic city
(origin 117.81 E, 30.94 N) on top of UTM zone 50N (EPSG:32650), then converted
to WGS-84 (EPSG:4326) for output.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import re
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

SEED = 20260801
ROOT = Path(__file__).resolve().parent
TZ = timezone(timedelta(hours=8))  # Asia/Shanghai has no DST
ORIGIN_LON, ORIGIN_LAT = 117.81, 30.94
PERIOD_START = datetime(2026, 8, 1, tzinfo=TZ)
PERIOD_END = datetime(2026, 11, 1, tzinfo=TZ)  # exclusive

_TO_WGS = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
_TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
X0, Y0 = _TO_UTM.transform(ORIGIN_LON, ORIGIN_LAT)

RNG_STREAMS = (
    "geo",
    "persons",
    "complaints",
    "text",
    "channels",
    "met",
    "sensors",
    "flags",
    "hj212",
    "walknav",
    "tricky",
)


def make_rngs() -> dict[str, np.random.Generator]:
    """Return one independent generator per stream, all spawned from SEED."""
    kids = np.random.default_rng(SEED).spawn(len(RNG_STREAMS))
    return dict(zip(RNG_STREAMS, kids, strict=True))


# ---------------------------------------------------------------- coordinates
def local_to_lonlat(x, y):
    """Convert local metres (east, north of the origin) to WGS-84 lon/lat."""
    lon, lat = _TO_WGS.transform(np.asarray(x, float) + X0, np.asarray(y, float) + Y0)
    return lon, lat


def lonlat_to_local(lon, lat):
    """Convert WGS-84 lon/lat to local metres."""
    x, y = _TO_UTM.transform(np.asarray(lon, float), np.asarray(lat, float))
    return x - X0, y - Y0


def geom_to_wgs(geom, ndigits: int = 7):
    """Project a local-metre shapely geometry to WGS-84, rounded to ndigits."""

    def fn(xy):
        lon, lat = local_to_lonlat(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), ndigits)

    return shapely.transform(geom, fn)


def _tlat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _tlon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon, lat):
    """Forward WGS-84 -> GCJ-02 (the public 'eviltransform' formulas, Krasovsky a/ee)."""
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    a, ee = 6378245.0, 0.00669342162296594323
    dlat = _tlat(lon - 105.0, lat - 35.0)
    dlon = _tlon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - ee * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (a / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def gcj02_to_bd09(lon, lat):
    """Forward GCJ-02 -> BD-09 (Baidu)."""
    x = np.asarray(lon, float)
    y = np.asarray(lat, float)
    x_pi = np.pi * 3000.0 / 180.0
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * x_pi)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * x_pi)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def wgs84_to(crs: str, lon, lat):
    """Convert true WGS-84 coordinates into the named source CRS."""
    if crs in ("WGS84", ""):
        return np.asarray(lon, float), np.asarray(lat, float)
    glon, glat = wgs84_to_gcj02(lon, lat)
    if crs == "GCJ02":
        return glon, glat
    if crs == "BD09":
        return gcj02_to_bd09(glon, glat)
    raise ValueError(crs)


def bearing_deg(x0, y0, x1, y1):
    """Compass bearing (0 = north, clockwise) from (x0, y0) to (x1, y1), metres."""
    return np.degrees(np.arctan2(np.asarray(x1) - x0, np.asarray(y1) - y0)) % 360.0


def angle_diff(a, b):
    """Smallest signed difference a - b in degrees, in (-180, 180]."""
    return (np.asarray(a) - np.asarray(b) + 180.0) % 360.0 - 180.0


# ---------------------------------------------------------------- time
def iso(dt: datetime) -> str:
    """ISO 8601 with seconds and +08:00."""
    return dt.astimezone(TZ).isoformat(timespec="seconds")


def local_str(dt: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Naive local-time string (Asia/Shanghai)."""
    return dt.astimezone(TZ).strftime(fmt)


def minutes_index() -> list[datetime]:
    """Not used for bulk work (see n_minutes); handy for spot checks."""
    n = int((PERIOD_END - PERIOD_START).total_seconds() // 60)
    return [PERIOD_START + timedelta(minutes=i) for i in range(n)]


N_MINUTES = int((PERIOD_END - PERIOD_START).total_seconds() // 60)
N_HOURS = N_MINUTES // 60


def minute_of(dt: datetime) -> int:
    """Index of the minute containing dt, counted from PERIOD_START."""
    return int((dt - PERIOD_START).total_seconds() // 60)


# ---------------------------------------------------------------- writers
def ensure_dir(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_json(path: Path, obj, indent: int | None = 1) -> None:
    """Write JSON as UTF-8 (no BOM), non-ASCII kept, trailing newline."""
    ensure_dir(path).write_text(
        json.dumps(obj, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8"
    )


def write_geojson(path: Path, features: list[dict]) -> None:
    """Write a FeatureCollection with one feature per line (diff-friendly)."""
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    ensure_dir(path).write_text(text, encoding="utf-8")


def write_csv(path: Path, header: list[str], rows: list[list], bom: bool = False) -> None:
    """Write CSV (RFC 4180 quoting as needed, LF line ends)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    data = buf.getvalue().encode("utf-8")
    ensure_dir(path).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def write_gzip(path: Path, data: bytes) -> None:
    """Gzip with no file name and mtime 0, so the output is byte-reproducible."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    ensure_dir(path).write_bytes(buf.getvalue())


_FIXED_W3CDTF = "2026-11-01T00:00:00Z"


def normalise_xlsx(raw: bytes) -> bytes:
    """Rewrite an openpyxl XLSX so that it is byte-reproducible.

    openpyxl stamps docProps/core.xml with the current time and the zip entries
    with the local clock; both are replaced by fixed values.
    """
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    lambda m: m.group(1) + _FIXED_W3CDTF + m.group(3),
                    text,
                )
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    return out.getvalue()


def fmt_num(v: float, nd: int) -> str:
    """Fixed-decimal formatting without '-0'."""
    s = f"{v:.{nd}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s


def smooth_noise(rng: np.random.Generator, n: int, tau: float) -> np.ndarray:
    """Unit-variance noise with an exponential autocorrelation of ~tau samples."""
    k = int(max(3, 5 * tau))
    kern = np.exp(-np.arange(k) / max(tau, 1e-9))
    kern /= np.sqrt((kern**2).sum())
    w = rng.standard_normal(n + k)
    return np.convolve(w, kern, mode="valid")[:n]


def clamp(v, lo, hi):
    return max(lo, min(hi, v))


def round_coord(v: float) -> float:
    return float(f"{v:.6f}")


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))
