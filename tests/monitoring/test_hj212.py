"""HJ 212 parsing against every packet of reference/hj212_samples.txt, plus hand-made edge cases."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from monitoring.hj212 import build_packet, hj212_crc, modbus_crc, parse_packet

SAMPLES = Path("/work/shared/reference/hj212_samples.txt")
if not SAMPLES.exists():  # a clone without the shared folder: the copy kept next to the tests
    SAMPLES = Path(__file__).with_name("hj212_samples.txt")


def load_samples() -> list[dict[str, str]]:
    samples, current = [], None
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^\[(\d+)\] SOURCE", line):
            current = {"n": m.group(1)}
        elif line.startswith("PACKET: ") and current is not None:
            current["packet"] = line[len("PACKET: "):]
        elif line.startswith("CHECK: ") and current is not None:
            m = re.search(r"crc_field=(\w{4}) hj212_crc=(\w{4}) -> (\w+); \(plain CRC-16/MODBUS would give (\w{4})", line)
            assert m, line
            current.update(field=m.group(1), hj212=m.group(2), verdict=m.group(3), modbus=m.group(4))
            samples.append(current)
            current = None
    return samples


SAMPLE_LIST = load_samples()

# What we decided for each sample (by number): crc tag, valid, CN, value count.
EXPECTED = {
    "1": ("ok", True, "1062", 0),
    "2": ("ok", True, "2011", 1),
    "3": ("ok", True, "9011", 0),
    "4": ("bad", False, "2011", 3),
    "5": ("ok", True, "2051", 11),
    "6": ("ok", True, "2061", 5),
    "7": ("ok", True, "2011", 11),
    "8": ("ok", True, "2011", 31),
    "9": ("ok", True, "2011", 5),
    "10": ("modbus", True, "2011", 31),
    "11": ("modbus", True, "2011", 36),
    "12": ("ok", True, "2011", 1),
    "13": ("ok", False, "2051", 0),  # length field 121 vs 119 bytes and no closing &&
    "14": ("ok", True, "2011", 3),
    "15": ("ok", True, "2011", 2),
}


def test_every_sample_is_covered() -> None:
    assert sorted(s["n"] for s in SAMPLE_LIST) == sorted(EXPECTED)


@pytest.mark.parametrize("sample", SAMPLE_LIST, ids=lambda s: s["n"])
def test_crc_algorithms_match_reference_numbers(sample: dict[str, str]) -> None:
    segment = re.match(r"^##\d{4}(.*)\w{4}(\\r\\n)?$", sample["packet"]).group(1).encode()  # type: ignore[union-attr]
    assert format(hj212_crc(segment), "04X") == sample["hj212"]
    assert format(modbus_crc(segment), "04X") == sample["modbus"]


@pytest.mark.parametrize("sample", SAMPLE_LIST, ids=lambda s: s["n"])
def test_sample_packets(sample: dict[str, str]) -> None:
    crc, valid, cn, n_values = EXPECTED[sample["n"]]
    packet = parse_packet(sample["packet"])
    assert (packet.crc, packet.valid, packet.cn, len(packet.values)) == (crc, valid, cn, n_values), packet.error
    assert (packet.crc == "ok") == (sample["verdict"] == "VALID")


def test_minute_packet_values_flags_and_local_time() -> None:
    packet = parse_packet(SAMPLE_LIST[4]["packet"])
    assert packet.kind == "minute" and packet.st == "22" and packet.mn == "JLYP01_AIR01_0001"
    assert packet.data_time is not None and packet.data_time.isoformat() == "2022-05-13T16:26:00+08:00"
    assert packet.values["a34004"] == {"value": 14.0, "flag": "N"}
    assert packet.values["a21005"] == {"value": 0.427, "flag": "N"}


def test_flag_split_off_by_semicolon_belongs_to_previous_code() -> None:
    packet = parse_packet(SAMPLE_LIST[11]["packet"])
    assert packet.values == {"a34001": {"value": 92.0, "flag": "N"}}


def test_2005_style_without_qn_and_flag() -> None:
    packet = parse_packet(SAMPLE_LIST[13]["packet"])
    assert packet.qn is None and packet.flag is None and packet.valid
    assert packet.values["B01"] == {"value": 36.91, "flag": None}
    assert packet.values["011"] == {"value": 231.0, "flag": "N"}


def test_milliseconds_in_datatime() -> None:
    packet = parse_packet(SAMPLE_LIST[14]["packet"])
    assert packet.data_time is not None and packet.data_time.isoformat() == "2021-03-05T00:38:17+08:00"


@pytest.mark.parametrize("flag", list("NFMSDCTB"))
def test_all_data_flags_are_kept(flag: str) -> None:
    packet = parse_packet(build_packet(
        f"QN=20240101120000000;ST=22;CN=2061;PW=123456;MN=T1;Flag=4;CP=&&DataTime=20240101120000;"
        f"a34004-Avg=35.5,a34004-Min=30,a34004-Max=40,a34004-Flag={flag}&&"))
    assert packet.valid and packet.kind == "hour"
    assert packet.values == {"a34004": {"value": 35.5, "flag": flag}}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("hello", "not an HJ 212 frame"),
        ("##0010ST=32;CN=2011&&ABCD", "no CP=&&"),
        (build_packet("ST=32;CN=2011;PW=1;MN=X;CP=&&a34004-Rtd=1&&"), "without DataTime"),
        (build_packet("ST=32;CN=2011;PW=1;MN=X;CP=&&DataTime=20241301000000;a34004-Rtd=1&&"), "DataTime"),
        (build_packet("ST=32;CN=2011;PW=1;MN=X;CP=&&DataTime=20240101000000;a34004-Rtd=abc&&"), "not a number"),
        (build_packet("ST=32;CN=2011;PW=1;CP=&&DataTime=20240101000000;a34004-Rtd=1&&"), "MN are required"),
    ],
)
def test_malformed_packets_say_why(text: str, error: str) -> None:
    packet = parse_packet(text)
    assert not packet.valid and packet.error is not None and error in packet.error


def test_missing_crlf_and_modbus_in_high_byte_first_order() -> None:
    segment = b"ST=32;CN=2011;PW=1;MN=X;CP=&&DataTime=20240101000000;a34004-Rtd=1&&"
    packet = parse_packet(b"##%04d%s%04X" % (len(segment), segment, modbus_crc(segment)))
    assert packet.valid and packet.crc == "modbus"


def test_cli_prints_one_json_object_per_line() -> None:
    lines = "\n".join(s["packet"] for s in SAMPLE_LIST) + "\n"
    out = subprocess.run([sys.executable, "-m", "envpetition", "hj212", "parse", "-", "--json"],
                         input=lines.encode(), capture_output=True, check=True).stdout.decode()
    objects = [json.loads(line) for line in out.splitlines()]
    assert len(objects) == len(SAMPLE_LIST)
    assert [o["crc"] for o in objects] == [EXPECTED[s["n"]][0] for s in SAMPLE_LIST]
    assert set(objects[0]) >= {"valid", "crc", "st", "cn", "mn", "data_time", "values", "error"}
    assert objects[4]["values"]["a21004"] == {"value": 4.0, "flag": "N"}
