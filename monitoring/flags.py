"""Which readings count: a value and an HJ 212 data flag that is not maintenance, fault or calibration.

The one home of the rule; SQL and Python checks both derive from ``VALID_FLAGS``.
"""

from __future__ import annotations

# N normal, S manually set, T over the instrument's range; D fault, C calibration, M maintenance… do not count.
VALID_FLAGS: frozenset[str | None] = frozenset({None, "N", "S", "T"})
_LISTED = ", ".join(f"'{f}'" for f in sorted(f for f in VALID_FLAGS if f is not None))
VALID_FLAGS_SQL = f"(flag is null or flag in ({_LISTED}))"
VALID_READING_SQL = f"value is not null and {VALID_FLAGS_SQL}"

