"""Text normalisation, negation/simile/place-name handling, and the rules for what must never wait."""

from __future__ import annotations

import pytest

from ingest.classifier_features import blank_negated
from ingest.normalize import Normalizer, load_typos, normalize
from ingest.priority_rules import PriorityRules, load_rules, mask_lookalikes, strongest


@pytest.mark.parametrize("raw, expected", [
    ("工地揚塵很大", "工地扬尘很大"),                      # traditional → simplified
    ("飯館油煙直排，窗戶都不敢開", "饭馆油烟直排,窗户都不敢开"),  # and the full-width comma becomes half-width
    ("ＫＴＶ唱到２３点", "ktv唱到23点"),                    # full-width letters and digits
    ("工地躁音太大", "工地噪音太大"),                      # homophone typo from typos.csv
    ("楼下油咽好大", "楼下油烟好大"),
    ("有人烧桔杆", "有人烧秸秆"),
    ("喘不过来气了", "喘不上气了"),
    ("噪聲擾民", "噪声扰民"),
    ("", ""),
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_typo_map_is_editable(tmp_path):
    path = tmp_path / "typos.csv"
    path.write_text("wrong,right,note\n# a comment,,\n臭臭,臭味,\n", encoding="utf-8")
    assert load_typos(path) == {"臭臭": "臭味"}
    assert Normalizer(load_typos(path))("一股臭臭") == "一股臭味"
    path.write_text("wrong,right,note\n臭臭,,\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no replacement"):
        load_typos(path)


@pytest.mark.parametrize("text, blanked", [
    ("不是油烟的问题,是排风机响", "不是□□□□□,是排风机响"),
    ("没有噪音了,就是灰大", "没有□□□,就是灰大"),
    ("没人管,噪音很大", "没人管,噪音很大"),               # 没人管 is not a denial
    ("吵得没法睡", "吵得没法睡"),
])
def test_negation_blanks_what_is_ruled_out(text, blanked):
    assert blank_negated(text) == blanked


@pytest.mark.parametrize("text, masked", [
    ("烟大得像着火了一样", "烟大得□□□□□□"),
    ("油烟机厂小区门口有灰", "□□□□□□门口有灰"),
    ("吵得跟爆炸似的", "吵得□□□□□"),
])
def test_similes_and_place_names_are_masked(text, masked):
    assert mask_lookalikes(text) == masked


RULES = PriorityRules()


@pytest.mark.parametrize("text, level, rule", [
    # emergencies in everyday words
    ("化工厂冒黄烟,好多人呛得喘不上气", "emergency", "unwell_now"),
    ("河里漂着好多死鱼", "emergency", "fish_kill"),
    ("今早鱼塘的鱼全翻白肚了", "emergency", "fish_kill"),
    ("家里自来水发黄还有怪味", "emergency", "drinking_water"),
    ("槽罐车侧翻了,有液体流出来", "emergency", "leak"),
    ("楼道里好大一股煤气味", "emergency", "gas_smell"),
    ("仓库着火了,黑烟滚滚", "emergency", "fire"),
    ("化工厂刚才炸了一声", "emergency", "fire"),
    ("厂里冒绿烟,还在往外冒", "emergency", "acute_release"),
    ("孩子闻了以后一直吐,已经送医院了", "emergency", "unwell_now"),
    ("附近孩子验血发现血铅超标", "emergency", "unwell_now"),
    ("河沟里漂着好几只死鸡", "emergency", "dead_animals"),
    # uncertain: a person decides
    ("闻了那个味道头晕,孩子们都难受", "review", "unwell_maybe"),
    ("有人在烧轮胎,黑烟呛人", "emergency", "toxic_burning"),    # a burning that gives off toxic smoke
    ("刚才好几个人闻了以后头晕", "emergency", "unwell_now"),        # dizzy right now
    ("排口到现在还在往外排黑水", "review", "still_going"),
    ("管道泄漏已经处理好了", "review", "leak"),          # over: a person confirms, not 2 h on site
    # urgent
    ("工地凌晨两点还在打桩", "urgent", "night_noise"),
    ("旁边就是幼儿园,灰太大", "urgent", "sensitive"),
    ("反映过好几次了没人管", "urgent", "repeated"),
])
def test_rules_fire(text, level, rule):
    hits = RULES.hits(normalize(text))
    assert (rule, level) in {(h.rule, h.level) for h in hits}
    assert strongest(hits) == level or (strongest(hits) == "emergency" and level != "emergency")


@pytest.mark.parametrize("text", [
    "烟大得像着火了一样",               # simile
    "吵得跟爆炸似的",                   # simile
    "住院部后面的垃圾桶满了",           # place name: a building, nobody hospitalised
    "水厂路边有人乱倒垃圾",             # place name: a road
    "没有人晕倒,就是味道大",            # negated
    "并未发现死鱼,水有点黑",            # negated
    "不是煤气味,是油漆味",              # ruled out
    "广场舞音响太大声",                 # nothing pressing
])
def test_lookalikes_are_not_emergencies(text):
    assert "emergency" not in {h.level for h in RULES.hits(normalize(text))}


def test_rule_table_rejects_bad_rows(tmp_path):
    path = tmp_path / "rules.csv"
    path.write_text("rule,level,pattern,needs,reason\nx,soon,a,,r\n", encoding="utf-8")
    with pytest.raises(ValueError, match="level"):
        load_rules(path)
    path.write_text("rule,level,pattern,needs,reason\nx,urgent,(a,,r\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad pattern"):
        load_rules(path)


def test_every_category_has_a_national_pollution_type():
    from ingest.classify import CATEGORIES
    from ingest.pollution_types import national_type

    assert national_type("odour") == ("大气", "恶臭/异味")
    assert national_type("noise_traffic") == ("噪声", "交通运输噪声")
    assert {national_type(c)[0] for c in CATEGORIES} == {"大气", "噪声", "水", "固废", "辐射", "生态", "其他"}
