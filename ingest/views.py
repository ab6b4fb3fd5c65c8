"""Read views of ingest for other packages (no complainant identity ever leaves through here)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

AIR_COMPLAINTS_AFTER = """
select id, case_id, received_at, lon, lat, categories, text from complaints
where id > %s and lon is not null and lat is not null and duplicate_of is null
  and categories && array['odour', 'industrial_exhaust', 'smoke_dust']
order by id limit %s
"""


def air_complaints_after(conn: psycopg.Connection[Any], after_id: int, limit: int) -> list[dict[str, Any]]:
    """Located air complaints (odour, exhaust, smoke/dust) with id above ``after_id``, oldest id first.

    Duplicates (the same event reported again) are left out: an incident counts events, not calls.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(AIR_COMPLAINTS_AFTER, (after_id, limit)))
