"""Complaint distributions: categories, sources by category, hours, names, repeaters."""

import numpy as np

CATEGORIES = [
    "odour",
    "smoke_dust",
    "industrial_exhaust",
    "cooking_fumes",
    "noise_construction",
    "noise_industrial",
    "noise_social",
    "noise_traffic",
    "water",
    "solid_waste",
    "radiation",
    "ecology",
    "other",
]
BG_WEIGHTS = {
    "odour": 0.26,
    "smoke_dust": 0.12,
    "industrial_exhaust": 0.07,
    "cooking_fumes": 0.09,
    "noise_construction": 0.10,
    "noise_industrial": 0.05,
    "noise_social": 0.08,
    "noise_traffic": 0.04,
    "water": 0.07,
    "solid_waste": 0.06,
    "radiation": 0.025,
    "ecology": 0.025,
    "other": 0.01,
}
SOURCES = {
    "odour": [
        ("铜化有机化工", 0.30),
        ("安纳达钛业", 0.12),
        ("铜港焦化", 0.10),
        ("城北污水处理厂", 0.08),
        ("绿能垃圾焚烧发电厂", 0.08),
        ("城东生猪屠宰场", 0.07),
        ("长江纸业", 0.06),
        ("锦纶印染", 0.05),
        ("路桥沥青搅拌站", 0.04),
        ("金桥磷化工", 0.05),
        (None, 0.05),
    ],
    "smoke_dust": [
        ("江南水泥", 0.2),
        ("城建商品混凝土搅拌站", 0.15),
        ("天门建材", 0.1),
        ("铜峰冶炼", 0.1),
        ("翠湖苑三期项目工地", 0.15),
        ("铜都铸造厂", 0.07),
        ("路桥沥青搅拌站", 0.05),
        ("江滨发电", 0.08),
        (None, 0.10),
    ],
    "industrial_exhaust": [
        ("铜化有机化工", 0.3),
        ("安纳达钛业", 0.2),
        ("铜港焦化", 0.15),
        ("铜峰冶炼", 0.12),
        ("金桥磷化工", 0.1),
        ("江滨发电", 0.07),
        ("绿能垃圾焚烧发电厂", 0.06),
    ],
    "noise_industrial": [
        ("铜化有机化工", 0.2),
        ("安纳达钛业", 0.15),
        ("铜港焦化", 0.1),
        ("城建商品混凝土搅拌站", 0.15),
        ("铜都铸造厂", 0.1),
        ("天门建材", 0.1),
        ("铜箔电子材料", 0.1),
        ("绿能垃圾焚烧发电厂", 0.1),
    ],
    "water": [
        ("锦纶印染", 0.2),
        ("长江纸业", 0.2),
        ("城北污水处理厂", 0.15),
        ("城东生猪屠宰场", 0.15),
        ("铜化有机化工", 0.1),
        (None, 0.2),
    ],
    "noise_construction": [("翠湖苑三期项目工地", 0.45), (None, 0.55)],
}
STREET_SHARE = {"water": 0.5, "solid_waste": 0.4, "ecology": 0.6, "smoke_dust": 0.1}
_H = np.arange(24)
HOURS = {
    "night": np.where((_H >= 19) | (_H <= 2), 3.0, 0.4),
    "late": np.where((_H >= 22) | (_H <= 2), 4.0, 0.2),
    "day": np.where((_H >= 8) & (_H <= 18), 2.0, 0.2),
    "office": np.where((_H >= 9) & (_H <= 17), 2.0, 0.05),
    "meal": np.where(((_H >= 11) & (_H <= 13)) | ((_H >= 17) & (_H <= 21)), 2.0, 0.2),
    "evening": np.where((_H >= 18) & (_H <= 23), 3.0, 0.2),
}
HOUR_PROFILE = {
    "odour": "night",
    "smoke_dust": "day",
    "industrial_exhaust": "night",
    "cooking_fumes": "meal",
    "noise_construction": "late",
    "noise_industrial": "night",
    "noise_social": "evening",
    "noise_traffic": "late",
    "water": "day",
    "solid_waste": "day",
    "radiation": "office",
    "ecology": "day",
    "other": "office",
}
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌辉海燕鹏飞俊峰雪梅晓东春林荣新宇晨婷琳欣怡浩然子涵"
)
PHONE_PREFIX = ["139", "138", "137", "136", "150", "151", "188", "177"]
# repeat complainants: community, theme category, enterprise, count range
REPEATERS = [
    ("焦化新村", "odour", "铜化有机化工"),
    ("焦化新村", "odour", "铜港焦化"),
    ("世界花园", "odour", "铜化有机化工"),
    ("世界花园", "odour", "铜化有机化工"),
    ("瑞龙公馆", "odour", "铜化有机化工"),
    ("瑞龙公馆", "industrial_exhaust", "安纳达钛业"),
    ("迎江花园", "odour", "安纳达钛业"),
    ("迎江花园", "odour", "铜化有机化工"),
    ("金御华府", "odour", "铜化有机化工"),
    ("金御华府", "odour", "安纳达钛业"),
    ("翠湖苑", "noise_construction", "翠湖苑三期项目工地"),
    ("学府名苑", "noise_construction", "翠湖苑三期项目工地"),
    ("北斗星城", "odour", "城北污水处理厂"),
    ("幸福小区", "cooking_fumes", None),
    ("阳光花园二期", "noise_social", None),
]
