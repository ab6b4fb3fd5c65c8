"""The bureau's local time zone and the one rule for naive times: they are local time.

Every package reads the zone and coerces datetimes here, so a bureau in another zone changes one line.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LOCAL_TZ_NAME = "Asia/Shanghai"
LOCAL_TZ = ZoneInfo(LOCAL_TZ_NAME)
# Origin for SQL ``date_bin``: buckets of a day or an hour start at local midnight / on the local hour.
LOCAL_BIN_ORIGIN_SQL = "timestamptz '2000-01-01 00:00:00+08'"


def as_local(moment: datetime) -> datetime:
    """Return the same instant in local time; a naive datetime is taken as local time already.

    >>> as_local(datetime(2026, 1, 1, 8)).isoformat()
    '2026-01-01T08:00:00+08:00'
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(LOCAL_TZ)
