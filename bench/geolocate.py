"""Locate 1,000,000 points against >= 10,000 polygons; compare with geopandas.sjoin in the same run.

Polygons: a Voronoi tessellation of random seeds over Tongling's extent (irregular 5-9 sided cells,
like community boundaries), densified to ~40 vertices each. Points: uniform over the same extent.
The last line printed is one JSON object.

    PYTHONPATH=$PWD python bench/geolocate.py [--points 1000000] [--polygons 10000]
"""

from __future__ import annotations

import argparse
import json
import time

import geopandas as gpd
import numpy as np
import shapely

from envpetition.geo_locate import points_in_polygons

EXTENT = (117.60, 30.70, 118.10, 31.10)


def make_polygons(n: int, rng: np.random.Generator) -> np.ndarray:
    min_x, min_y, max_x, max_y = EXTENT
    seeds = shapely.multipoints(np.column_stack([rng.uniform(min_x, max_x, n), rng.uniform(min_y, max_y, n)]))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=shapely.box(*EXTENT)))
    cells = shapely.intersection(cells, shapely.box(*EXTENT))
    return shapely.segmentize(cells, (max_x - min_x) / np.sqrt(n) / 8)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--polygons", type=int, default=10_000)
    args = parser.parse_args()
    rng = np.random.default_rng(12369)
    polygons = make_polygons(args.polygons, rng)
    min_x, min_y, max_x, max_y = EXTENT
    x = rng.uniform(min_x, max_x, args.points)
    y = rng.uniform(min_y, max_y, args.points)
    vertices = int(shapely.get_num_coordinates(polygons).sum())
    print(f"{args.points:,} points, {len(polygons):,} polygons, {vertices:,} vertices")

    # Ours: tree + prepared polygons built inside the timing, as a fresh Locator would.
    t0 = time.perf_counter()
    polys = polygons.copy()
    shapely.prepare(polys)
    tree = shapely.STRtree(polys)
    ours = points_in_polygons(tree, polys, shapely.area(polys), x, y)
    ours_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    left = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")
    right = gpd.GeoDataFrame({"poly": np.arange(len(polygons))}, geometry=polygons, crs="EPSG:4326")
    joined = gpd.sjoin(left, right, how="left", predicate="intersects")
    sjoin_s = time.perf_counter() - t0

    theirs = joined.groupby(level=0)["poly"].first().reindex(range(args.points)).fillna(-1).to_numpy(dtype=np.int64)
    agree = float(np.mean(ours == theirs))
    result = {
        "bench": "geolocate", "points": args.points, "polygons": int(len(polygons)), "vertices": vertices,
        "ours_s": round(ours_s, 3), "sjoin_s": round(sjoin_s, 3),
        "points_per_s": round(args.points / ours_s), "sjoin_points_per_s": round(args.points / sjoin_s),
        "ratio_vs_sjoin": round(sjoin_s / ours_s, 2), "agreement": round(agree, 6),
        "located": int((ours >= 0).sum()),
    }
    print(f"ours {result['points_per_s']:,} points/s, sjoin {result['sjoin_points_per_s']:,} points/s, "
          f"ratio {result['ratio_vs_sjoin']}x, agreement {agree:.6f}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
