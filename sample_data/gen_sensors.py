"""Monitoring sensors: the table (sensors.csv) and where each one stands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import LineString

from gen_common import local_to_lonlat, round_coord
from gen_geo import DISTRICTS

# HJ 212 factor codes used in the sample data. Every code is HJ 212-2017 Appendix B except
# a99990 (odour concentration, dimensionless) which is a SYNTHETIC local code: the standard
# has no odour-concentration code, and a99051 is already used by vendors (for CS2).
CODES = {
    "a21001": ("氨 NH3", "mg/m3", 3),
    "a21028": ("硫化氢 H2S", "mg/m3", 4),
    "a24088": ("非甲烷总烃 NMHC", "mg/m3", 2),
    "a99990": ("臭气浓度 odour (synthetic code)", "dimensionless", 0),
    "a21026": ("二氧化硫 SO2", "mg/m3", 3),
    "a21002": ("氮氧化物 NOx", "mg/m3", 3),
    "a21005": ("一氧化碳 CO", "mg/m3", 2),
    "a05024": ("臭氧 O3", "ug/m3", 0),
    "a34004": ("PM2.5", "ug/m3", 0),
    "a34002": ("PM10", "ug/m3", 0),
    "a34001": ("总悬浮颗粒物 TSP", "ug/m3", 0),
    "LA": ("A声级 LAeq (1 min)", "dB(A)", 1),
    "a01007": ("风速 wind speed", "m/s", 1),
    "a01008": ("风向 wind direction (from, deg)", "deg", 0),
    "a01001": ("温度 temperature", "degC", 1),
    "a01002": ("湿度 relative humidity", "%", 0),
}
GAS_CODES = {"a21001", "a21028", "a24088", "a21026", "a21002", "a21005", "a05024"}
SPAN = {
    "a21001": 4.0,
    "a21028": 0.4,
    "a24088": 16.0,
    "a21026": 1.6,
    "a21002": 0.8,
    "a21005": 8.0,
    "a05024": 400.0,
}  # calibration gas readings (flag C)

CHEM = ["a21001", "a21028", "a24088", "a99990", "a34004", "a34002"]


@dataclass
class Sensor:
    id: str
    kind: str  # fixed | mobile | met
    name: str
    mn: str
    x: float | None  # local metres
    y: float | None
    enterprise: str  # '' if none
    area_class: str
    codes: list[str]
    st: str  # HJ 212 ST: 22 air/met, 23 noise
    anchor: str = ""  # community / enterprise the point belongs to

    @property
    def lonlat(self):
        if self.x is None:
            return None, None
        lon, lat = local_to_lonlat(self.x, self.y)
        return round_coord(float(lon)), round_coord(float(lat))


def fence_point(poly, bearing: float, offset: float = 15.0):
    """Point just outside a plant boundary, on the ray from its centroid at `bearing`."""
    c = poly.centroid
    t = np.radians(bearing)
    far = (c.x + 5000 * np.sin(t), c.y + 5000 * np.cos(t))
    hit = LineString([(c.x, c.y), far]).intersection(poly.exterior)
    pts = [hit] if hit.geom_type == "Point" else list(hit.geoms)
    p = max(pts, key=lambda q: q.distance(c))
    return p.x + offset * np.sin(t), p.y + offset * np.cos(t)


# id, name, anchor kind, anchor name, placement, codes, area class, kind code for MN
_FIXED = [
    ("S01", "铜化有机化工厂界西南监测点", "ent", "铜化有机化工", 225, CHEM, "2", "CJ"),
    ("S02", "铜化有机化工厂界东北监测点", "ent", "铜化有机化工", 45, CHEM, "2", "CJ"),
    (
        "S03",
        "安纳达钛业厂界西监测点",
        "ent",
        "安纳达钛业",
        270,
        ["a21026", "a99990", "a34004", "a34002"],
        "2",
        "CJ",
    ),
    (
        "S04",
        "铜港焦化厂界南监测点",
        "ent",
        "铜港焦化",
        180,
        ["a21001", "a21028", "a24088", "a21026", "a34002"],
        "2",
        "CJ",
    ),
    (
        "S05",
        "江南水泥厂界东南监测点",
        "ent",
        "江南水泥",
        135,
        ["a34001", "a34002", "a34004", "a21026", "a21002"],
        "2",
        "CJ",
    ),
    (
        "S06",
        "铜峰冶炼厂界东监测点",
        "ent",
        "铜峰冶炼",
        90,
        ["a21026", "a21002", "a34004", "a34002"],
        "2",
        "CJ",
    ),
    (
        "S07",
        "绿能垃圾焚烧厂界西南监测点",
        "ent",
        "绿能垃圾焚烧发电厂",
        225,
        ["a21001", "a21028", "a99990", "a21002"],
        "2",
        "CJ",
    ),
    (
        "S08",
        "城北污水处理厂厂界南监测点",
        "ent",
        "城北污水处理厂",
        180,
        ["a21001", "a21028", "a99990"],
        "2",
        "CJ",
    ),
    (
        "S09",
        "焦化新村空气微站",
        "com",
        "焦化新村",
        None,
        ["a34004", "a34002", "a21026", "a21002", "a21001", "a24088", "a99990"],
        "2",
        "HJ",
    ),
    (
        "S10",
        "迎江花园空气微站",
        "com",
        "迎江花园",
        None,
        ["a34004", "a34002", "a21026", "a24088"],
        "2",
        "HJ",
    ),
    (
        "S11",
        "天井湖空气自动站",
        "com",
        "天井湖小区",
        None,
        ["a34004", "a34002", "a21026", "a21002", "a21005", "a05024"],
        "2",
        "HJ",
    ),
    ("N01", "翠湖苑噪声监测点", "com", "翠湖苑", 90, ["LA"], None, "ZS"),
    ("N02", "义安大道交通噪声监测点", "com", "御景湾", 270, ["LA"], "4a", "ZS"),
]
MET_XY = (3200.0, 1390.0)


def build_sensors(enterprises, communities) -> list[Sensor]:
    ents = {e.name: e for e in enterprises}
    coms = {c.name: c for c in communities}
    out = []
    seq = {}
    for sid, name, akind, aname, where, codes, acls, kc in _FIXED:
        anchor = ents[aname] if akind == "ent" else coms[aname]
        dist = anchor.props["district"]
        dcode = DISTRICTS[dist][0]
        seq[kc] = seq.get(kc, 0) + 1
        mn = f"TLEB{dcode}{kc}{seq[kc]:06d}"  # 18 characters
        if akind == "ent":
            x, y = fence_point(anchor.geom, where)
        elif where is None:
            p = anchor.geom.representative_point()
            c = anchor.geom.centroid
            x, y = (c.x, c.y) if anchor.geom.contains(c) else (p.x, p.y)
        else:
            x, y = fence_point(anchor.geom, where, offset=5.0)
        if acls is None:
            acls = anchor.props["noise_class"]
        out.append(
            Sensor(
                sid,
                "fixed",
                name,
                mn,
                float(x),
                float(y),
                aname if akind == "ent" else "",
                acls,
                list(codes),
                "23" if codes == ["LA"] else "22",
                aname,
            )
        )
    out.append(
        Sensor(
            "M01",
            "met",
            "迎江路气象站",
            "TLEB340705QX000001",
            MET_XY[0],
            MET_XY[1],
            "",
            "",
            ["a01007", "a01008", "a01001", "a01002"],
            "22",
            "",
        )
    )
    for i in (1, 2):
        out.append(
            Sensor(
                f"W0{i}",
                "mobile",
                f"走航监测车{i}号",
                f"TLEB340705ZH{i:06d}WALK",
                None,
                None,
                "",
                "",
                ["a24088", "a99990", "a34004", "a34002"],
                "22",
                "",
            )
        )
    return out


def sensors_rows(sensors: list[Sensor]) -> tuple[list[str], list[list]]:
    header = [
        "sensor_id",
        "kind",
        "name",
        "mn",
        "lon",
        "lat",
        "enterprise",
        "area_class",
        "pollutants",
        "units",
    ]
    rows = []
    for s in sensors:
        lon, lat = s.lonlat
        rows.append(
            [
                s.id,
                s.kind,
                s.name,
                s.mn,
                lon,
                lat,
                s.enterprise,
                s.area_class,
                ";".join(s.codes),
                ";".join(CODES[c][1] for c in s.codes),
            ]
        )
    return header, rows


def mn_by_enterprise(sensors) -> dict[str, str]:
    """Enterprise -> MN of its (first) boundary monitor."""
    out = {}
    for s in sensors:
        if s.enterprise and s.enterprise not in out:
            out[s.enterprise] = s.mn
    return out
