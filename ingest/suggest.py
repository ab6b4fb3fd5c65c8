"""Open cases the complaint being typed is probably about: the intake seat joins instead of opening a new one.

Locates what has been typed so far (coordinates, else the community or enterprise named in the
address or text) and asks dispatch for open cases in that community or near the point, ranked by
distance and shared categories. Reads only; nothing is stored until the seat registers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from dispatch import views as dispatch_views
from envpetition.geo_crs import distance_m
from ingest.fields import ComplaintFields
from ingest.intake import cached_context
from ingest.views import complaint_counts_by_case

NEAR_RADIUS_M = 800.0  # an odour or a noise reaches a few hundred metres; further is another case
SHOWN = 5


def suggest_cases(conn: psycopg.Connection[Any], *, text: str = "", address: str = "", reported_party: str = "",
                  lon: float | None = None, lat: float | None = None, crs: str | None = None,
                  now: datetime) -> dict[str, Any]:
    """Where the typed complaint is, and up to five open cases nearby, nearest and most alike first."""
    if not (text.strip() or address.strip() or reported_party.strip() or lon is not None):
        return {"place": None, "cases": []}
    ctx = cached_context(conn)
    item = ComplaintFields("intake", "suggest", now, text, address or None, reported_party or None,
                           raw_lon=lon, raw_lat=lat, source_crs=crs or None)
    placed = ctx.places.place_many([item])[0]
    if placed.location is None:
        return {"place": None, "cases": [], "problem": placed.problem}
    loc = placed.location
    categories = set(ctx.classifier.classify(text).categories) if text.strip() else set()
    cases = dispatch_views.open_cases_near(conn, lon=loc.lon, lat=loc.lat, community_id=loc.community_id,
                                           radius_m=NEAR_RADIUS_M)
    counts = complaint_counts_by_case(conn, [c["id"] for c in cases])
    for case in cases:
        case["complaints"] = counts.get(case["id"], 0)
        case["distance_m"] = (round(float(distance_m(loc.lon, loc.lat, case["lon"], case["lat"])))
                              if case["lon"] is not None else None)
        case["shared"] = sorted(categories & set(case["categories"] or []))
    cases.sort(key=lambda c: (not c["shared"], c["distance_m"] if c["distance_m"] is not None else 1e9))
    return {"place": {"community": loc.community, "enterprise": loc.enterprise, "lon": loc.lon, "lat": loc.lat,
                      "source": placed.source}, "cases": cases[:SHOWN]}
