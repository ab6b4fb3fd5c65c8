"""The filters every hotspot statistic and export shares: period, category group, district, channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.periods import Period, parse_period
from ingest.classify import AIR, CATEGORIES
from ingest.views import ComplaintFilter

NOISE = tuple(c for c in CATEGORIES if c.startswith("noise_"))
CATEGORY_GROUPS: dict[str, tuple[str, ...]] = {
    "air": AIR, "odour": ("odour",), "noise": NOISE, "water": ("water",), "solid_waste": ("solid_waste",),
    "other": ("radiation", "ecology", "other"),
}
GROUP_LABELS = {"": "全部类别", "air": "大气（含异味）", "odour": "异味", "noise": "噪声", "water": "水",
                "solid_waste": "固体废物", "other": "其他"}
CHANNEL_LABELS = {"12369": "12369热线", "12345": "12345热线", "letters": "来信来访", "online": "网上投诉"}


@dataclass(frozen=True)
class HotspotFilter:
    """Period, category group, district and channel (None = all)."""

    period: Period
    group: str | None = None
    district_id: int | None = None
    channel: str | None = None

    @classmethod
    def parse(cls, period: str, group: str | None = None, district_id: int | None = None,
              channel: str | None = None) -> HotspotFilter:
        """Validate the raw values (ValueError with the accepted values on bad input)."""
        group = group or None
        if group is not None and group not in CATEGORY_GROUPS:
            raise ValueError(f"未知类别组 {group!r} / category group must be one of {', '.join(CATEGORY_GROUPS)}")
        channel = channel or None
        if channel is not None and channel not in CHANNEL_LABELS:
            raise ValueError(f"未知渠道 {channel!r} / channel must be one of {', '.join(CHANNEL_LABELS)}")
        return cls(parse_period(period), group, district_id or None, channel)

    def complaints(self, start: Any = None, end: Any = None) -> ComplaintFilter:
        """The complaint filter for [start, end) (default: the period)."""
        return ComplaintFilter(start or self.period.start, end or self.period.end,
                               CATEGORY_GROUPS[self.group] if self.group else None, self.district_id, self.channel)

    def describe(self, district_name: str | None = None) -> dict[str, str]:
        """The filter in words, as written into exports."""
        return {"期间 period": f"{self.period.label} ({self.period.key})",
                "类别 category group": GROUP_LABELS.get(self.group or "", self.group or ""),
                "区 district": district_name or ("全部" if self.district_id is None else str(self.district_id)),
                "渠道 channel": CHANNEL_LABELS.get(self.channel or "", "全部渠道")}

    def query_string(self) -> str:
        from urllib.parse import urlencode

        pairs = {"period": self.period.key, "group": self.group or "", "district": self.district_id or "",
                 "channel": self.channel or ""}
        return urlencode({k: v for k, v in pairs.items() if v})
