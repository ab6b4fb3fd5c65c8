"""HJ 212-2017 packets: the Appendix A CRC and the minute / hourly data files.

Wire form of one packet: "##" + 4-digit decimal length of the data segment (bytes) +
data segment + 4 upper-case hex CRC digits + "\\r\\n". The CRC covers the data segment only.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from gen_common import PERIOD_START, fmt_num, minute_of, write_gzip
from gen_sensors import CODES
from gen_sim import FLAG_CHARS, hourly


def hj212_crc(data: str) -> str:
    """HJ 212-2017 Appendix A CRC of a data segment, as 4 upper-case hex digits.

    Not CRC-16/MODBUS: each byte is folded in as ``crc = (crc >> 8) ^ byte``
    (MODBUS does ``crc ^= byte``), then eight shift/xor-0xA001 rounds.

    >>> hj212_crc("QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...           "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&")
    '1C80'
    """
    crc = 0xFFFF
    for b in data.encode("utf-8"):
        crc = (crc >> 8) ^ b
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xA001
            else:
                crc >>= 1
    return f"{crc:04X}"


def _table() -> np.ndarray:
    t = np.zeros(256, np.uint32)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        t[i] = c
    return t


_T = _table()


def hj212_crc_many(datas: list[bytes]) -> list[str]:
    """Vectorised hj212_crc over many UTF-8 data segments (same result, ~100x faster).

    After ``crc = (crc >> 8) ^ byte`` the register fits in 8 bits, so the eight
    rounds reduce to one lookup: ``crc = T[(crc >> 8) ^ byte]``.
    """
    n = len(datas)
    lens = np.fromiter((len(d) for d in datas), np.int64, n)
    order = np.argsort(-lens, kind="stable")
    width = int(lens.max())
    buf = np.frombuffer(b"".join(datas[i].ljust(width, b"\0") for i in order), np.uint8).reshape(
        n, width
    )
    slens = lens[order]
    crc = np.full(n, 0xFFFF, np.uint32)
    for pos in range(width):
        k = int(np.searchsorted(-slens, -pos, side="left"))  # rows with length > pos
        if k == 0:
            break
        crc[:k] = _T[(crc[:k] >> 8) ^ buf[:k, pos]]
    out = [""] * n
    for j, i in enumerate(order):
        out[i] = f"{int(crc[j]):04X}"
    return out


def frame(datas: list[bytes]) -> bytes:
    """Frame data segments into wire packets, one per line, CRLF-terminated."""
    crcs = hj212_crc_many(datas)
    return b"".join(
        b"##%04d%s%s\r\n" % (len(d), d, c.encode()) for d, c in zip(datas, crcs, strict=True)
    )


def _fmt_series(values: np.ndarray, code: str, idx) -> list[str]:
    nd = CODES[code][2]
    v = values[idx]
    if code == "a01008":
        v = np.round(v) % 360
    return [fmt_num(x, nd) for x in v.tolist()]


def _qn(dt, rng_s, rng_ms):
    t = dt + timedelta(seconds=int(rng_s))
    return t.strftime("%Y%m%d%H%M%S") + f"{int(rng_ms):03d}"


def minute_packets(rng, sim, sensors, windows) -> bytes:
    """CN=2051 minute packets for every fixed monitor and the met station in the windows."""
    fixed = [s for s in sensors if s.kind != "mobile"]
    datas = []
    for w0, w1 in windows:
        a, b = minute_of(w0), minute_of(w1)
        idx = np.arange(a, b)
        cols = {}
        for s in fixed:
            for code in s.codes:
                vals, flags = sim.series[s.id][code]
                cols[s.id, code] = (
                    _fmt_series(vals, code, idx),
                    [FLAG_CHARS[f] for f in flags[idx].tolist()],
                )
        delays = rng.integers(62, 80, size=(len(idx), len(fixed)))
        ms = rng.integers(0, 1000, size=(len(idx), len(fixed)))
        for k, m in enumerate(idx.tolist()):
            t = PERIOD_START + timedelta(minutes=m)
            dtime = t.strftime("%Y%m%d%H%M%S")
            for j, s in enumerate(fixed):
                items = ";".join(
                    f"{c}-Avg={cols[s.id, c][0][k]},{c}-Flag={cols[s.id, c][1][k]}" for c in s.codes
                )
                datas.append(
                    (
                        f"QN={_qn(t, delays[k, j], ms[k, j])};ST={s.st};CN=2051;PW=123456;"
                        f"MN={s.mn};Flag=4;CP=&&DataTime={dtime};{items}&&"
                    ).encode()
                )
    return frame(datas)


def hour_packets(rng, sim, sensors) -> tuple[bytes, dict]:
    """CN=2061 hourly packets for the whole period; also returns the hourly arrays."""
    fixed = [s for s in sensors if s.kind != "mobile"]
    agg, cols = {}, {}
    for s in fixed:
        for code in s.codes:
            vals, flags = sim.series[s.id][code]
            avg, mn, mx, fl = hourly(vals, flags, code)
            agg[s.id, code] = (avg, mn, mx, fl)
            nd = CODES[code][2]
            if code == "a01008":
                avg, mn, mx = (np.round(avg) % 360, np.round(mn) % 360, np.round(mx) % 360)
            cols[s.id, code] = (
                [fmt_num(x, nd) for x in avg.tolist()],
                [fmt_num(x, nd) for x in mn.tolist()],
                [fmt_num(x, nd) for x in mx.tolist()],
                [FLAG_CHARS[f] for f in fl.tolist()],
            )
    n_hours = len(next(iter(agg.values()))[0])
    delays = rng.integers(3605, 3840, size=(n_hours, len(fixed)))
    ms = rng.integers(0, 1000, size=(n_hours, len(fixed)))
    datas = []
    for h in range(n_hours):
        t = PERIOD_START + timedelta(hours=h)
        dtime = t.strftime("%Y%m%d%H%M%S")
        for j, s in enumerate(fixed):
            parts = []
            for c in s.codes:
                a, lo, hi, f = cols[s.id, c]
                parts.append(f"{c}-Min={lo[h]},{c}-Avg={a[h]},{c}-Max={hi[h]},{c}-Flag={f[h]}")
            datas.append(
                (
                    f"QN={_qn(t, delays[h, j], ms[h, j])};ST={s.st};CN=2061;PW=123456;"
                    f"MN={s.mn};Flag=4;CP=&&DataTime={dtime};{';'.join(parts)}&&"
                ).encode()
            )
    return frame(datas), agg


def write_packets(path, blob: bytes) -> None:
    write_gzip(path, blob)
