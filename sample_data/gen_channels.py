"""Turn complaint events into the five channel exports plus the ground truth."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import numpy as np

import gen_text as T
from gen_common import (
    PERIOD_END,
    ROOT,
    TZ,
    iso,
    local_str,
    local_to_lonlat,
    normalise_xlsx,
    round_coord,
    wgs84_to,
    write_csv,
    write_json,
)
from gen_complaints import Complaint, ground_truth, letter_time
from gen_episodes import EPISODE_BY_ID

H12369 = [
    "编号",
    "举报时间",
    "举报人",
    "联系电话",
    "被举报单位",
    "地址",
    "经度",
    "纬度",
    "坐标系",
    "举报内容",
]
HLETTERS = ["编号", "受理时间", "姓名", "联系电话", "方式", "地址", "内容"]
SERVICE_CODE = {
    "odour": "odour",
    "smoke_dust": "dust",
    "industrial_exhaust": "air",
    "cooking_fumes": "air",
    "water": "water",
    "solid_waste": "waste",
}
BAD_REASONS = [
    "missing_content",
    "bad_date",
    "excel_serial_date",
    "swapped_lon_lat",
    "outside_china",
    "missing_content",
]
XLSX_ROWS = 40
N_DUPLICATES = 26
LETTER_CUTOFF = datetime(2026, 10, 27, tzinfo=TZ)


def assign_channels(rng, events: list[Complaint]) -> None:
    pref = {}
    for ev in events:
        if ev.episode:
            opts, w = ["12369", "12345", "online"], [0.45, 0.33, 0.22]
        elif ev.t < LETTER_CUTOFF:
            opts, w = ["12369", "12345", "letters", "online"], [0.39, 0.30, 0.11, 0.20]
        else:
            opts, w = ["12369", "12345", "online"], [0.46, 0.31, 0.23]
        ch = opts[int(rng.choice(len(opts), p=np.array(w) / sum(w)))]
        if ev.person.repeat:
            pref.setdefault(ev.person.id, ch)
            if rng.random() < 0.6 and (pref[ev.person.id] in opts):
                ch = pref[ev.person.id]
        ev.channel = ch
        ev.file = {
            "12369": "complaints/12369.csv",
            "12345": "complaints/12345.json",
            "letters": "complaints/letters.csv",
            "online": "complaints/online.json",
        }[ch]
        if ch == "letters":
            ev.extra["event_t"] = ev.t
            ev.t = letter_time(rng, ev.t)


def pick_xlsx_and_bad(rng, events) -> None:
    octo = [e for e in events if e.channel == "12369" and e.t.month == 10]
    for i in rng.choice(len(octo), size=XLSX_ROWS, replace=False):
        octo[int(i)].file = "complaints/12369_october.xlsx"
    pool = [
        e
        for e in events
        if e.file == "complaints/12369.csv"
        and not e.episode
        and not e.person.repeat
        and e.t.month in (8, 9)
    ]
    for reason, i in zip(
        BAD_REASONS, rng.choice(len(pool), size=len(BAD_REASONS), replace=False), strict=True
    ):
        ev = pool[int(i)]
        ev.bad_row = reason
        if reason == "excel_serial_date":
            ev.t = datetime(2026, 8, 11, 12, 0, 0, tzinfo=TZ)  # Excel serial 46245.5


def make_duplicates(rng, world, events) -> list[Complaint]:
    """Same event reported again on another channel by the same household (or a neighbour)."""
    pool = [e for e in events if e.channel == "12369" and not e.bad_row]
    out = []
    for i in sorted(rng.choice(len(pool), size=N_DUPLICATES, replace=False)):
        src = pool[int(i)]
        same = rng.random() < 0.7
        person = src.person if same or src.community is None else world.person_for(src.community, 0)
        point = src.point if same or src.community is None else person.home
        dt = timedelta(minutes=int(rng.integers(15, 240)))
        t = src.t + dt
        if src.episode:
            end = EPISODE_BY_ID[src.episode].end - timedelta(minutes=1)
            if t > end:
                t = src.t + (end - src.t) * float(rng.uniform(0.2, 1.0))
        t = min(t, PERIOD_END - timedelta(minutes=1))
        ch = "12345" if rng.random() < 0.8 else "online"
        dup = Complaint(
            t.replace(microsecond=0),
            person,
            list(src.cats),
            src.urgent,
            src.community,
            point,
            src.enterprise,
            episode=src.episode,
            site=src.site,
            channel=ch,
            file="complaints/12345.json" if ch == "12345" else "complaints/online.json",
            duplicate_of=src,
            extra=dict(src.extra),
        )
        dup.extra["same_person"] = bool(person is src.person)
        out.append(dup)
    return out


def assign_ids(rng, events) -> None:
    by = {}
    for ev in sorted(events, key=lambda e: (e.t, e.person.id)):
        by.setdefault(ev.channel, []).append(ev)
    day_seq = {}
    for ev in by.get("12369", []):
        d = local_str(ev.t, "%Y%m%d")
        day_seq[d] = day_seq.get(d, 0) + 1
        ev.id = f"JB{d}{day_seq[d]:04d}"
    seq, last = 0, None
    for ev in by.get("12345", []):
        d = local_str(ev.t, "%Y%m%d")
        seq = int(rng.integers(1, 30)) if d != last else seq + int(rng.integers(1, 40))
        last = d
        ev.id = f"GD{d}{seq:05d}"
    n = 100
    for ev in by.get("letters", []):
        n += int(rng.integers(1, 4))
        ev.id = f"XF2026{n:05d}"
    day_seq = {}
    for ev in by.get("online", []):
        d = local_str(ev.t, "%Y%m%d")
        day_seq[d] = day_seq.get(d, 0) + 1
        ev.id = f"OL-{d}-{day_seq[d]:04d}"
    for ev in events:
        ev.key = f"{ev.channel}:{ev.id}"
    last_by_person = {}
    for ev in sorted(events, key=lambda e: (e.extra.get("event_t", e.t), e.key)):
        ev.repeat_of = last_by_person.get(ev.person.id)
        last_by_person[ev.person.id] = ev


def render(rng, ev: Complaint) -> None:
    """Text, address, party and coordinates for one event (stored in ev.extra)."""
    # letters are written days later: no "just now" phrases (hour 12 -> past-tense wording)
    hour = 12 if ev.channel == "letters" else ev.t.astimezone(TZ).hour
    near = ev.extra["near"]
    district = near.props["district"]
    shop = str(rng.choice(T.SHOPS)) if "cooking_fumes" in ev.cats else None
    text = T.body(
        rng,
        ev.cats,
        ev.urgent,
        ev.enterprise,
        hour,
        district,
        ev.site,
        near.props["road"],
        shop=shop,
    )
    text = T.wrap(rng, ev.channel, text, ev.community.name if ev.community else None)
    if not ev.urgent:
        assert not any(w in text for w in T.URGENT_WORDS), text
    if ev.community is not None:
        addr = T.address(rng, ev.community, str(rng.choice(T.ADDRESS_VARIANTS)))
    else:
        road2 = str(
            rng.choice(["北京路", "长江路", "义安大道", "石城大道", "淮河大道", "翠湖一路"])
        )
        addr = T.street_address(rng, district, near.props["road"], road2)
        if "water" in ev.cats:
            addr = f"{T.RIVERS[district]}{district}段（{near.props['road']}桥附近）"
    party = ""
    if ev.enterprise is not None:
        r = rng.random()
        party = (
            ev.enterprise.name
            if r < 0.6
            else (str(rng.choice(ev.enterprise.aliases)) if r < 0.85 else "")
        )
    elif shop:
        party = shop
    elif ev.site:
        party = ev.site
    ev.extra.update(text=text, address=addr, party=party)
    # coordinates as the channel would carry them
    r = rng.random()
    crs = None
    if ev.channel == "12369":
        crs = (
            None
            if r < 0.15
            else str(rng.choice(["WGS84", "", "GCJ02", "BD09"], p=[0.30, 0.22, 0.30, 0.18]))
        )
    elif ev.channel == "12345":
        crs = (
            None if r < 0.10 else str(rng.choice(["GCJ02", "BD09", "WGS84"], p=[0.65, 0.27, 0.08]))
        )
    elif ev.channel == "online":
        crs = "WGS84"
    if ev.bad_row in ("swapped_lon_lat", "outside_china"):
        crs = "WGS84"
    lon, lat = local_to_lonlat(*ev.point)
    ev.extra["true"] = (round_coord(float(lon)), round_coord(float(lat)))
    if crs is None:
        ev.extra["coords"] = None
    else:
        clon, clat = wgs84_to(crs or "WGS84", lon, lat)
        ev.extra["coords"] = (round_coord(float(clon)), round_coord(float(clat)), crs)


def _phone(rng, p, style=0.1):
    return f"{p.phone[:3]}-{p.phone[3:7]}-{p.phone[7:]}" if rng.random() < style else p.phone


def _caller(rng, p, anon=0.1):
    r = rng.random()
    if r < anon:
        return "匿名"
    if r < anon + 0.3:
        return p.name[0] + ("先生" if p.gender == "男" else "女士")
    return p.name


def _row_12369(rng, ev):
    lonlat = ev.extra["coords"]
    lon, lat, crs = lonlat if lonlat else ("", "", "")
    name = _caller(rng, ev.person)
    phone = "" if name == "匿名" and rng.random() < 0.5 else _phone(rng, ev.person)
    when = local_str(ev.t)
    text = ev.extra["text"]
    if ev.bad_row == "missing_content":
        text = ""
    elif ev.bad_row == "bad_date":
        when = "2026-13-45 " + local_str(ev.t, "%H:%M:%S")
    elif ev.bad_row == "excel_serial_date":
        when = "46245.5"
    elif ev.bad_row == "swapped_lon_lat":
        lon, lat = lat, lon
    elif ev.bad_row == "outside_china":
        lon = -lon  # sign lost: western hemisphere
    return [ev.id, when, name, phone, ev.extra["party"], ev.extra["address"], lon, lat, crs, text]


def write_all(rng, events, grids, out=ROOT / "complaints") -> dict:
    """Write the five channel files and ground_truth.json; return counts per file."""
    import openpyxl

    events = sorted(events, key=lambda e: (e.t, e.key))
    csv_rows = [_row_12369(rng, e) for e in events if e.file.endswith("12369.csv")]
    write_csv(out / "12369.csv", H12369, csv_rows, bom=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "举报记录"
    ws.append(H12369)
    for e in [e for e in events if e.file.endswith(".xlsx")]:
        row = _row_12369(rng, e)
        row[1] = e.t.astimezone(TZ).replace(tzinfo=None)
        ws.append([None if v == "" else v for v in row])
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd hh:mm:ss"
    for col, width in zip("ABCDEFGHIJ", [16, 20, 10, 14, 22, 36, 12, 12, 8, 80], strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    (out / "12369_october.xlsx").write_bytes(normalise_xlsx(buf.getvalue()))
    orders = []
    for e in [e for e in events if e.channel == "12345"]:
        c = e.extra["coords"]
        orders.append(
            {
                "工单号": e.id,
                "来电时间": iso(e.t),
                "姓名": _caller(rng, e.person, 0),
                "电话": e.person.phone,
                "事发地址": e.extra["address"],
                "经度": c[0] if c else None,
                "纬度": c[1] if c else None,
                "坐标系": c[2] if c else None,
                "诉求内容": e.extra["text"],
                "被投诉单位": e.extra["party"] or None,
            }
        )
    write_json(out / "12345.json", {"orders": orders})
    letters = [
        [
            e.id,
            local_str(e.t, "%Y-%m-%d %H:%M"),
            e.person.name,
            e.person.phone if rng.random() < 0.9 else "",
            str(rng.choice(["来信", "来访"], p=[0.6, 0.4])),
            e.extra["address"],
            e.extra["text"],
        ]
        for e in events
        if e.channel == "letters"
    ]
    write_csv(out / "letters.csv", HLETTERS, letters)
    online = []
    for e in [e for e in events if e.channel == "online"]:
        c = e.extra["coords"]
        first = (
            e.person.name[1:]
            if rng.random() < 0.5
            else e.person.name[0] + ("先生" if e.person.gender == "男" else "女士")
        )
        main = e.cats[0]
        code = "noise" if main.startswith("noise") else SERVICE_CODE.get(main, "other")
        online.append(
            {
                "service_request_id": e.id,
                "service_code": code,
                "description": e.extra["text"],
                "lat": c[1],
                "long": c[0],
                "address_string": e.extra["address"],
                "requested_datetime": iso(e.t),
                "first_name": first,
                "phone": ("+86 " + e.person.phone) if rng.random() < 0.05 else e.person.phone,
            }
        )
    write_json(out / "online.json", online)
    write_json(out / "ground_truth.json", ground_truth(events, grids))
    return {
        "12369.csv": len(csv_rows),
        "12369_october.xlsx": ws.max_row - 1,
        "12345.json": len(orders),
        "letters.csv": len(letters),
        "online.json": len(online),
    }
