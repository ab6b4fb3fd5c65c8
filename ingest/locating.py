"""Place a batch of complaints: coordinates (any CRS) to WGS-84 and areas, else names in the text.

Built once per import (:class:`Places` holds the locator and the gazetteer of current areas).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg

from envpetition.areas import Area, current_areas
from envpetition.geo_crs import in_china, to_wgs84
from envpetition.geo_locate import DEFAULT_BOUNDARY_M, DEFAULT_NEARBY_RADIUS_M, Location, Locator
from ingest.fields import ComplaintFields
from ingest.places import Gazetteer


@dataclass
class Placed:
    """Where one complaint is, or why we could not tell."""

    location: Location | None
    source: str | None = None  # 'coordinates' | 'address'
    problem: str | None = None  # set when the complaint must wait for a person
    kind: str = "needs_location"  # quarantine kind for the problem


class Places:
    """The city's current areas, indexed for locating by point and by name."""

    def __init__(self, areas: Sequence[Area], *, nearby_radius_m: float = DEFAULT_NEARBY_RADIUS_M,
                 boundary_m: float = DEFAULT_BOUNDARY_M) -> None:
        self.areas = list(areas)
        self.by_id = {a.id: a for a in self.areas if a.id is not None}
        self.locator = Locator(self.areas, nearby_radius_m=nearby_radius_m, boundary_m=boundary_m)
        self.gazetteer = Gazetteer(self.areas)

    @classmethod
    def load(cls, conn: psycopg.Connection[Any], **options: float) -> Places:
        return cls(current_areas(conn), **options)

    def place_many(self, items: Sequence[ComplaintFields]) -> list[Placed]:
        """Locate every complaint of a batch (vectorised for those with coordinates)."""
        out: list[Placed | None] = [None] * len(items)
        by_crs: dict[str, list[int]] = defaultdict(list)
        for i, item in enumerate(items):
            if item.raw_lon is not None and item.raw_lat is not None:
                by_crs[item.source_crs or "wgs84"].append(i)
        with_points: list[int] = []
        lons: list[float] = []
        lats: list[float] = []
        for crs, idx in by_crs.items():
            x = np.array([items[i].raw_lon for i in idx], dtype=float)
            y = np.array([items[i].raw_lat for i in idx], dtype=float)
            lon, lat = to_wgs84(x, y, crs)
            ok = in_china(lon, lat)
            for j, i in enumerate(idx):
                if ok[j]:
                    with_points.append(i)
                    lons.append(float(lon[j]))
                    lats.append(float(lat[j]))
                else:
                    out[i] = Placed(None, problem=f"coordinates outside China after {crs} conversion", kind="bad_row")
        for i, loc in zip(with_points, self.locator.locate(lons, lats), strict=True):
            out[i] = Placed(loc, "coordinates")
        by_name = [i for i, p in enumerate(out) if p is None]
        named = [self.place_by_name(items[i]) for i in by_name]
        for i, placed in zip(by_name, named, strict=True):
            out[i] = placed
        located = [(i, p) for i, p in zip(by_name, named, strict=True) if p.location is not None]
        if located:
            again = self.locator.locate([p.location.lon for _, p in located], [p.location.lat for _, p in located])  # type: ignore[union-attr]
            for (i, p), loc in zip(located, again, strict=True):
                assert p.location is not None
                loc.community, loc.community_id = p.location.community, p.location.community_id
                if p.location.enterprise_id is not None:
                    loc.enterprise, loc.enterprise_id = p.location.enterprise, p.location.enterprise_id
                loc.near_boundary = False  # a representative point, not a reported one
                out[i] = Placed(loc, "address")
        for i, item in enumerate(items):
            done = out[i]
            assert done is not None
            if done.location is not None and done.location.enterprise_id is None:
                party = self.gazetteer.enterprise_for_party(item.reported_party)
                if party is not None:
                    done.location.enterprise, done.location.enterprise_id = party.name, party.id
        return [p for p in out if p is not None]

    def place_by_name(self, item: ComplaintFields) -> Placed:
        """Community or enterprise named in the address or text; otherwise 'needs location'."""
        g = self.gazetteer
        community = g.communities.find(item.address, item.text)
        enterprise = g.enterprises.find(item.reported_party, item.address, item.text)
        chosen = community.area or enterprise.area
        if chosen is not None:
            point = chosen.geom.representative_point()
            loc = Location(lon=point.x, lat=point.y)
            if community.area is not None:
                loc.community, loc.community_id = community.area.name, community.area.id
            if enterprise.area is not None:
                loc.enterprise, loc.enterprise_id = enterprise.area.name, enterprise.area.id
            return Placed(loc, "address")
        hints = []
        for match in (community, enterprise):
            if match.how == "ambiguous":
                hints.append("ambiguous: " + "/".join(match.candidates))
        district = g.districts.find(item.address, item.text, fuzzy=False).area
        if district is not None:
            hints.append(f"district {district.name} only")
        reason = "needs location" + (f" ({'; '.join(hints)})" if hints else "")
        return Placed(None, problem=reason)
