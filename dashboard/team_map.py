"""The small map on each team order: the case point, where the team checked in.

One function so the base layers (districts, roads, river, place names from the shared base map)
can be added in one place later. A plotly ``scattermap`` (MapLibre) with the ``white-bg`` style:
no tiles, no glyphs, nothing fetched from the internet. Written as a plain figure dict: building
``go.Figure`` objects costs about 0.1 s each here, too much for a page listing 30 orders.
"""

from __future__ import annotations

import json
from typing import Any

CASE_COLOUR = "#b91c1c"
ARRIVAL_COLOUR = "#1d4ed8"


def order_map(case: dict[str, Any], arrivals: list[dict[str, Any]]) -> str | None:
    """Plotly figure JSON of one order's site; None when the case has no point.

    ``case`` needs ``lon``, ``lat``, ``title``; ``arrivals`` are field actions with ``lon``, ``lat``,
    ``distance_m``. The view is centred on the case point at street level.

    >>> fig = json.loads(order_map({"lon": 117.81, "lat": 30.94, "title": "异味"}, []))
    >>> fig["data"][0]["type"], fig["layout"]["map"]["style"]
    ('scattermap', 'white-bg')
    """
    if case.get("lon") is None or case.get("lat") is None:
        return None
    data: list[dict[str, Any]] = [{
        "type": "scattermap", "lon": [case["lon"]], "lat": [case["lat"]], "mode": "markers",
        "marker": {"size": 16, "color": CASE_COLOUR}, "name": "案发点 site",
        "hovertext": [case.get("title") or ""], "hoverinfo": "text"}]
    points = [a for a in arrivals if a.get("lon") is not None]
    if points:
        data.append({
            "type": "scattermap", "lon": [a["lon"] for a in points], "lat": [a["lat"] for a in points],
            "mode": "markers", "marker": {"size": 12, "color": ARRIVAL_COLOUR}, "name": "到场打卡 check-in",
            "hovertext": [f"距案发点 {a['distance_m']:.0f} m" if a.get("distance_m") is not None else "到场打卡"
                          for a in points], "hoverinfo": "text"})
    layout = {"map": {"style": "white-bg", "center": {"lon": case["lon"], "lat": case["lat"]}, "zoom": 14},
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "height": 220, "showlegend": True,
              "legend": {"orientation": "h", "y": 0, "x": 0, "bgcolor": "rgba(255,255,255,0.8)"}}
    return json.dumps({"data": data, "layout": layout}, ensure_ascii=False).replace("</", "<\\/")
