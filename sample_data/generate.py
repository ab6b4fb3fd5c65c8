"""Regenerate every SYNTHETIC sample-data file of EnvPetition in place.

    /work/venv/bin/python sample_data/generate.py

Deterministic (numpy default_rng(20260801), no clock reads): two runs give
byte-identical files. Everything is invented, modelled on Tongling, Anhui
(about 30.94 N, 117.81 E); see README.md for the file formats.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.dont_write_bytecode = True  # keep sample_data/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_basemap  # noqa: E402
import gen_channels  # noqa: E402
import gen_complaints as GC  # noqa: E402
import gen_geo  # noqa: E402
import gen_hj212  # noqa: E402
import gen_sensors  # noqa: E402
import gen_sim  # noqa: E402
import gen_tricky  # noqa: E402
import gen_walknav  # noqa: E402
from gen_common import ROOT, make_rngs, write_csv, write_geojson, write_json  # noqa: E402
from gen_episodes import EPISODES, MINUTE_WINDOWS, episodes_json  # noqa: E402
from gen_hj212 import hj212_crc  # noqa: E402,F401  (public: the HJ 212-2017 CRC)

N_BACKGROUND = 420


def build_geography(rngs):
    """Grids, enterprises, communities, districts and sensors (local metres)."""
    grids = gen_geo.build_grids(rngs["geo"])
    enterprises = gen_geo.build_enterprises(rngs["geo"], grids)
    communities = gen_geo.build_communities(rngs["geo"], grids, enterprises)
    gen_geo.assign_admin(enterprises + communities, grids, rngs["geo"])
    districts = gen_geo.build_districts(grids)
    sensors = gen_sensors.build_sensors(enterprises, communities)
    return grids, enterprises, communities, districts, sensors


def write_geography(grids, enterprises, communities, districts, sensors):
    f_d, f_g, f_c, f_e = gen_geo.features(
        districts, grids, communities, enterprises, gen_sensors.mn_by_enterprise(sensors)
    )
    areas = ROOT / "areas"
    write_geojson(areas / "districts.geojson", f_d)
    write_geojson(areas / "grids.geojson", f_g)
    write_geojson(areas / "communities.geojson", f_c)
    write_geojson(areas / "enterprises.geojson", f_e)
    write_geojson(areas / "tricky.geojson", gen_tricky.tricky_features(grids))
    write_json(areas / "teams.json", gen_geo.teams(grids))
    write_geojson(areas / "basemap.geojson", gen_basemap.basemap_features(grids, communities, enterprises))
    header, rows = gen_sensors.sensors_rows(sensors)
    write_csv(ROOT / "sensors" / "sensors.csv", header, rows)


def write_sensor_data(rngs, sensors, enterprises):
    sim = gen_sim.run(rngs, sensors, enterprises)
    minute = gen_hj212.minute_packets(rngs["hj212"], sim, sensors, MINUTE_WINDOWS)
    gen_hj212.write_packets(ROOT / "sensors" / "hj212_minutes.txt.gz", minute)
    hours, _ = gen_hj212.hour_packets(rngs["hj212"], sim, sensors)
    gen_hj212.write_packets(ROOT / "sensors" / "hj212_hours.txt.gz", hours)
    runs = gen_walknav.write_runs(rngs["walknav"], sim, ROOT / "sensors")
    return sim, minute.count(b"\r\n"), hours.count(b"\r\n"), runs


def write_complaints(rngs, grids, enterprises, communities):
    world = GC.World(rngs["persons"], communities, enterprises, grids)
    events = GC.chronic(world) + GC.episode_bursts(world) + GC.background(world, N_BACKGROUND)
    rng = rngs["channels"]
    gen_channels.assign_channels(rng, events)
    gen_channels.pick_xlsx_and_bad(rng, events)
    events += gen_channels.make_duplicates(rng, world, events)
    gen_channels.assign_ids(rng, events)
    for ev in sorted(events, key=lambda e: e.key):
        gen_channels.render(rngs["text"], ev)
    counts = gen_channels.write_all(rng, events, grids)
    return events, counts


def main() -> None:
    rngs = make_rngs()
    grids, enterprises, communities, districts, sensors = build_geography(rngs)
    write_geography(grids, enterprises, communities, districts, sensors)
    _, n_min, n_hour, runs = write_sensor_data(rngs, sensors, enterprises)
    events, counts = write_complaints(rngs, grids, enterprises, communities)
    eps = episodes_json({c.name: c for c in communities})
    for e in eps:
        e["n_complaints"] = sum(1 for ev in events if ev.episode == e["id"])
    runs_by_ep = {"E1": "sensors/walknav_run1.csv"}
    for e in eps:
        e["walknav_run"] = runs_by_ep.get(e["id"])
        e["minute_data"] = e["id"] in ("E1", "E2")
    write_json(ROOT / "episodes.json", eps)
    print(f"communities {len(communities)}, enterprises {len(enterprises)}, grids {len(grids)}")
    print(f"complaints {len(events)}: {counts}")
    print(f"hj212 minute packets {n_min}, hourly packets {n_hour}")
    for r in runs:
        print(
            f"{r['file']}: voc max {r['voc_max']:.2f} at {r['peak_at']},"
            f" median {r['voc_median']:.2f}"
        )
    for e in EPISODES:
        print(e.id, e.start, e.end, e.source, sum(1 for ev in events if ev.episode == e.id))


if __name__ == "__main__":
    main()
