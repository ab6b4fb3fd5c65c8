"""Complaint wording: category fragments, urgent add-ons, channel wrappers, addresses.

Every fragment carries the categories it expresses, so the ground truth is the union of
the fragments used. Non-urgent fragments never contain an URGENT_WORDS term.
"""

from __future__ import annotations

URGENT_WORDS = ["中毒", "死鱼", "饮用水", "爆炸", "泄漏", "学校", "很多人"]

FLAVOUR = {  # industry -> smell words
    "化工": ["化工味", "刺鼻的化学品气味", "氨水味", "塑料烧焦的味道"],
    "钛白粉/化工": ["刺鼻的酸味", "硫磺味", "呛人的酸性气味"],
    "焦化": ["焦油味", "煤焦味", "沥青一样的焦糊味"],
    "污水处理": ["臭味", "烂鸡蛋一样的臭味", "恶臭"],
    "垃圾焚烧": ["垃圾腐烂的臭味", "恶臭", "焦臭味"],
    "屠宰": ["腥臭味", "恶臭"],
    "造纸": ["臭鸡蛋味", "酸臭味"],
    "印染": ["染料的刺鼻气味", "化学品异味"],
    "沥青搅拌": ["沥青味", "焦油味"],
    None: ["异味", "臭味", "怪味"],
}
VAGUE = {
    "化工": ["附近的化工厂", "东边那家化工厂", "化工园区"],
    "钛白粉/化工": ["钛白粉厂", "附近的化工厂"],
    "焦化": ["焦化厂"],
    "冶炼": ["冶炼厂"],
    "水泥": ["水泥厂"],
    "电力": ["电厂"],
    "印染": ["印染厂"],
    "造纸": ["造纸厂"],
    "建材": ["建材厂"],
    "混凝土搅拌": ["搅拌站"],
    "污水处理": ["污水处理厂"],
    "垃圾焚烧": ["垃圾焚烧厂", "垃圾电厂"],
    "电子材料": ["那家电子厂"],
    "铸造": ["铸造厂"],
    "屠宰": ["屠宰场"],
    "沥青搅拌": ["沥青搅拌站"],
    "建筑施工": ["旁边的工地"],
}

# category -> list of fragments; {ent} enterprise reference, {smell} flavour word,
# {when} time phrase, {shop} {shop2} {road} {river} {lake} {site} fillers.
FRAG = {
    "odour": [
        "{when}小区里能闻到很浓的{smell}，窗户都不敢开",
        "{when}{ent}方向飘过来一股{smell}，闻了嗓子疼、胸口发闷",
        "一到晚上就有{smell}，家里老人闻了头晕",
        "{when}空气里全是{smell}，晚上根本睡不着",
        "夜里十一点以后{smell}特别明显，怀疑{ent}晚上偷排",
        "{smell}一阵一阵的，早上起来整个小区都是这个味道",
        "{ent}散发的{smell}太重了，出门都要戴口罩",
    ],
    "smoke_dust": [
        "{ent}扬尘很大，阳台上每天都落一层灰",
        "附近工地没有围挡也不洒水，一刮风尘土飞扬",
        "渣土车进出不冲洗，{road}路面全是泥，扬尘严重",
        "{ent}的烟囱冒黑烟，{when}特别明显",
        "{ent}粉尘很大，车子停一晚上全是灰",
    ],
    "industrial_exhaust": [
        "{ent}{when}在排放黄色的废气，治理设施好像没开",
        "{ent}的烟囱晚上偷排废气，烟是黄褐色的",
        "怀疑{ent}废气处理设施没有正常运行，夜里排气量明显变大",
    ],
    "cooking_fumes": [
        "楼下{shop}油烟直排，没有装油烟净化器，油烟都飘进家里",
        "{shop}在小区门口露天烧烤，油烟很大",
        "商住楼底层{shop}的排烟管道正对着住户窗户",
    ],
    "noise_construction": [
        "{site}夜间施工，{when}还在打桩，吵得没法睡觉",
        "工地凌晨还在浇筑混凝土，搅拌车进进出出，噪音很大",
        "{site}晚上十点以后还在施工，机器声音很大",
        "{site}半夜还在切割钢筋，刺耳的声音一直不停",
    ],
    "noise_industrial": [
        "{ent}的风机噪声日夜不停，嗡嗡响",
        "{ent}晚上机器轰鸣，声音传得很远，影响休息",
        "{ent}夜间装卸货物，叮叮咣咣的，吵得睡不着",
    ],
    "noise_social": [
        "小区广场舞音响声音太大，每天晚上跳到十点",
        "楼下{shop2}音响放得很大声，半夜还在吵",
        "小区门口商户用高音喇叭招揽生意，从早到晚吵个不停",
    ],
    "noise_traffic": [
        "{road}夜间大货车特别多，鸣笛声不断，影响休息",
        "{road}渣土车半夜轰鸣而过，噪音扰民",
    ],
    "water": [
        "{river}河道发黑，水面漂着一层油污",
        "{ent}通过暗管往{river}排放污水，污水直排",
        "雨水管里流出白色的废水，直接排进{river}",
        "{river}的水颜色发红，怀疑有企业偷排",
    ],
    "solid_waste": [
        "路边空地堆放了大量建筑垃圾和生活垃圾，很久没人清理",
        "有人在{river}边倾倒工业固废",
        "附近空地被人偷偷倾倒废渣，越堆越多",
    ],
    "solid_waste+smoke_dust": [
        "有人在空地上焚烧垃圾，浓烟滚滚",
        "晚上有人露天焚烧电线和废塑料，黑烟很大",
    ],
    "radiation": [
        "小区楼顶新装了通信基站，担心辐射影响健康",
        "小区旁边在建变电站和基站，担心电磁辐射",
    ],
    "ecology": [
        "有人在{lake}边砍树，成片的树都被砍了",
        "{lake}正在被填湖造地，破坏生态",
        "山上有人私自开挖取土，植被破坏严重",
    ],
    "other": [
        "想咨询一下{ent}的环评公示在哪里可以查到",
        "想了解企业环境信息公开的渠道",
        "之前反映的问题想了解一下处理进度",
    ],
}
SECOND = {  # fragments added as a second label (prefixed by a connector)
    "noise_industrial": ["厂里的机器声也很大，晚上吵得睡不着", "还有风机的噪声，嗡嗡响个不停"],
    "industrial_exhaust": ["还能看到烟囱冒黄烟", "厂里的废气好像是直接排的"],
    "odour": ["还有一股很重的臭味", "空气里有刺鼻的异味"],
    "smoke_dust": ["工地扬尘也很大", "灰尘到处飞"],
    "noise_construction": ["晚上还在施工，吵得睡不着"],
    "noise_social": ["店里客人喝酒划拳到半夜，吵得睡不着"],
}
PAIRS = {  # first category -> possible second categories
    "odour": ["noise_industrial", "industrial_exhaust"],
    "industrial_exhaust": ["odour", "noise_industrial"],
    "smoke_dust": ["noise_construction"],
    "noise_construction": ["smoke_dust"],
    "water": ["odour"],
    "solid_waste": ["odour"],
    "cooking_fumes": ["noise_social"],
    "noise_industrial": ["odour"],
}
URGENT = {
    "odour": [
        "家里老人孩子闻了头晕呕吐，怀疑是中毒了",
        "很多人都闻到了，大家都很害怕",
        "怀疑厂里发生了泄漏",
        "刚才听到一声闷响，怀疑发生爆炸了",
        "附近就是学校，孩子们白天都在里面",
    ],
    "industrial_exhaust": ["刚才听到一声闷响，怀疑发生爆炸了", "怀疑是管道泄漏"],
    "water": ["河里漂着很多死鱼", "下游就是饮用水取水口，担心影响饮用水安全"],
    "smoke_dust": ["旁边就是学校，孩子们天天吸灰", "很多人被呛得直咳嗽"],
    "noise_construction": ["旁边就是学校，孩子们没法上课"],
    "solid_waste": ["倒的是一桶桶化工废液，已经泄漏到地上了"],
}
DEMAND = [
    "希望环保部门尽快处理",
    "请相关部门来现场查一下",
    "希望能彻底解决",
    "要求给一个答复",
    "请尽快派人来看看",
    "希望加强监管",
    "请依法查处",
]
HISTORY = [
    "已经持续一个多月了",
    "反映过好几次了都没有解决",
    "断断续续有半年了",
    "最近越来越严重",
    "之前整改过，现在又出现了",
]
SHOPS = ["老王烧烤", "川味火锅店", "大排档", "小龙虾店", "农家饭庄", "江南酒楼"]
SHOPS2 = ["KTV", "酒吧", "棋牌室", "麻将馆"]
RIVERS = {"铜官区": "黑沙河", "义安区": "顺安河", "郊区": "五松河"}
LAKES = {"铜官区": "天井湖", "义安区": "东湖", "郊区": "西湖湿地"}
TYPOS = {
    "世界花园": "世介花园",
    "瑞龙公馆": "瑞隆公馆",
    "焦化新村": "蕉化新村",
    "金御华府": "金玉华府",
    "迎江花园": "迎江花苑",
    "翠湖苑": "翠湖园",
    "铜都花园": "铜都花苑",
    "幸福小区": "辛福小区",
    "天井湖小区": "天景湖小区",
    "学府名苑": "学府名园",
}
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def when_phrase(rng, hour: int) -> str:
    if 19 <= hour <= 23:
        opts = ["今天晚上", "今晚", "刚才", f"从晚上{hour - 12}点多开始", "现在"]
    elif hour <= 5:
        opts = ["现在", "刚才", "半夜", f"凌晨{hour if hour else 12}点左右", "今天凌晨"]
    else:
        opts = ["昨天夜里", "最近几天晚上", "这几天", "每天早上", "今天上午", "白天"]
    return str(rng.choice(opts))


def ent_ref(rng, ent) -> str:
    """How a complainant names an enterprise: official name, alias or a vague description."""
    if ent is None:
        return "附近的工厂"
    r = rng.random()
    if r < 0.4:
        return ent.name
    if r < 0.75 and ent.aliases:
        return str(rng.choice(ent.aliases))
    return str(rng.choice(VAGUE.get(ent.props["industry"], ["附近的工厂"])))


def body(
    rng,
    cats: list[str],
    urgent: bool,
    ent,
    hour: int,
    district: str,
    site: str,
    road: str,
    smell_industry=None,
    shop=None,
) -> str:
    """Compose the complaint body for the categories (first = main)."""
    main = cats[0]
    key = "solid_waste+smoke_dust" if cats[:2] == ["solid_waste", "smoke_dust"] else main
    frag = str(rng.choice(FRAG[key]))
    ind = smell_industry if smell_industry is not None else (ent.props["industry"] if ent else None)
    fill = {
        "ent": ent_ref(rng, ent),
        "when": when_phrase(rng, hour),
        "smell": str(rng.choice(FLAVOUR.get(ind, FLAVOUR[None]))),
        "shop": shop or str(rng.choice(SHOPS)),
        "shop2": str(rng.choice(SHOPS2)),
        "road": road,
        "river": RIVERS[district],
        "lake": LAKES[district],
        "site": site,
    }
    parts = [frag.format(**fill)]
    rest = cats[2:] if key == "solid_waste+smoke_dust" else cats[1:]
    for c in rest:
        parts.append(str(rng.choice(SECOND[c])).format(**fill))
    if urgent:
        pool = URGENT.get(main) or URGENT["odour"]
        parts.append(str(rng.choice(pool)))
    if rng.random() < 0.35:
        parts.append(str(rng.choice(HISTORY)))
    return "，".join(parts)


def wrap(rng, channel: str, text: str, community: str | None) -> str:
    demand = str(rng.choice(DEMAND))
    if channel == "12369":
        pre = str(rng.choice(["", "", "群众来电反映：", "举报人反映：", "来电人称，"]))
        return f"{pre}{text}。{demand}。"
    if channel == "12345":
        return f"市民来电反映：{text}。诉求：{demand}。"
    if channel == "letters":
        who = f"{community}的居民" if community else "附近的居民"
        hist = "" if any(h in text for h in HISTORY) else str(rng.choice(HISTORY)) + "，"
        return (
            f"尊敬的领导：您好！我是{who}，{text}。我们多次向有关部门反映，"
            f"{hist}{demand}，还我们一个良好的生活环境。此致敬礼！"
        )
    return f"{text}。{demand}"


def address(rng, com, variant: str) -> str:
    """Address text for a community in one of several real-world styles."""
    name, dist = com.name, com.props["district"]
    road, no = com.props["road"], com.props["house_no"]
    b, u = int(rng.integers(1, 19)), int(rng.integers(1, 5))
    bare = name
    if variant == "typo" and name in TYPOS:
        bare = TYPOS[name]
    elif variant == "phase" and name.endswith(("一期", "二期")):
        base, ph = name[:-2], name[-2:]
        bare = str(rng.choice([f"{base}{'1' if ph == '一期' else '2'}期", f"{base}（{ph}）", name]))
    elif variant == "suffix" and not name.endswith(("小区", "新村")):
        bare = name + "小区"
    if variant == "full":
        return f"铜陵市{dist}{road}{no}号{bare}{b}栋{u}单元"
    if variant == "fullwidth":
        return f"{dist}{road}{bare}{b}栋{u}单元".translate(FULLWIDTH)
    if variant == "near":
        return f"{dist}{bare}附近"
    if variant == "short":
        return f"{bare}{b}栋"
    return f"铜陵市{dist}{bare}{b}栋{u}单元"


ADDRESS_VARIANTS = [
    "full",
    "full",
    "plain",
    "short",
    "suffix",
    "typo",
    "fullwidth",
    "near",
    "phase",
]


def street_address(rng, district: str, road: str, road2: str) -> str:
    return str(
        rng.choice(
            [
                f"铜陵市{district}{road}与{road2}交叉口附近",
                f"{district}{road}路边空地",
                f"{district}{road}{int(rng.integers(1, 300))}号对面",
            ]
        )
    )
