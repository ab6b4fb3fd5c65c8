"""Names in addresses: suffixes, phases, full-width digits, typos, ambiguity, districts."""

from __future__ import annotations

import pytest
import shapely

from envpetition.areas import Area
from ingest.places import Gazetteer, name_variants, normalise

AREAS = [
    Area("community", "世界花园", shapely.box(0, 0, 1, 1), aliases=["世界花园小区"], id=1),
    Area("community", "阳光花园一期", shapely.box(1, 0, 2, 1), id=2),
    Area("community", "阳光花园二期", shapely.box(2, 0, 3, 1), id=3),
    Area("community", "瑞龙公馆", shapely.box(3, 0, 4, 1), id=4),
    Area("community", "金御华府", shapely.box(4, 0, 5, 1), id=5),
    Area("enterprise", "铜化有机化工有限公司", shapely.box(5, 0, 6, 1), aliases=["铜化有机化工"], id=6),
    Area("district", "铜官区", shapely.box(0, 0, 9, 9), id=7),
]
G = Gazetteer(AREAS)


@pytest.mark.parametrize("address, expected, how", [
    ("铜陵市铜官区迎江路140号世界花园4栋2单元", "世界花园", "exact"),
    ("世界花园小区7栋", "世界花园", "exact"),
    ("铜官区世界花园附近", "世界花园", "exact"),
    ("阳光花园2期5栋", "阳光花园二期", "exact"),
    ("阳光花园（二期）3栋", "阳光花园二期", "exact"),
    ("阳光花园一期门口", "阳光花园一期", "exact"),
    ("阳光花园东门", None, "ambiguous"),
    ("金御华府１５栋１单元", "金御华府", "exact"),
    ("瑞隆公馆6栋", "瑞龙公馆", "fuzzy"),
    ("金玉华府2栋", "金御华府", "fuzzy"),
    ("北京西路与长江路交叉口", None, "none"),
])
def test_community_in_address(address, expected, how):
    match = G.communities.find(address)
    assert (match.area.name if match.area else None, match.how) == (expected, how)


def test_enterprise_by_alias_and_district():
    assert G.enterprise_for_party("铜化有机化工").id == 6
    assert G.enterprises.find("附近铜化有机化工有限公司排气").area.id == 6
    assert G.districts.find("铜陵市铜官区某路", fuzzy=False).area.id == 7


@pytest.mark.parametrize("name, kind, expected", [
    ("阳光花园二期", "community", {"阳光花园二期", "阳光二期"}),
    ("世界花园", "community", {"世界花园", "世界"}),
    ("铜化有机化工有限公司", "enterprise", {"铜化有机化工有限公司", "铜化有机化工"}),
])
def test_name_variants(name, kind, expected):
    assert name_variants(name, kind) == expected


def test_normalise():
    assert normalise("金御华府１５栋 3期") == "金御华府15栋三期"
