"""Read a prompt (Chinese or English) into the features of a scene.

``KEYWORDS`` is the one table that maps words to scene features.  Phrases
(place names, compounds such as 雪花 or 烟花) come first and are removed from
the text once matched, so that 上海 does not also read as 海 (sea) or 雪花 as 花.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SEASONS = ("spring", "summer", "autumn", "winter")
TIMES = ("day", "sunset", "dawn", "night")


@dataclass
class SceneSpec:
    """What the prompt asks to see; empty values mean "not said", left for the seed to choose."""

    season: str = ""
    time: str = ""
    mountains: str = ""  # "peaks" | "hills" | "karst"
    snowcaps: bool = False
    snowy: bool = False
    snowfall: bool = False
    water: str = ""  # "sea" | "lake" | "river"
    beach: bool = False
    city: bool = False
    neon: bool = False
    flowers: str = ""  # "rapeseed" | "cherry" | "peach" | "plum" | "lotus" | "lavender" | "sunflower" | "generic"
    trees: set[str] = field(default_factory=set)  # "forest" | "willow" | "pine" | "palm" | "maple" | "ginkgo"
    village: str = ""  # "huizhou" | "village"
    terraces: bool = False
    desert: bool = False
    grassland: bool = False
    clouds: float = -1.0  # 0..1, -1 = not said
    stars: bool = False
    moon: bool = False
    pagoda: bool = False
    mist: bool = False
    matched: list[str] = field(default_factory=list)

    def landscape_named(self) -> bool:
        """Tell whether the prompt named any landform, water, settlement or vegetation."""
        return bool(self.mountains or self.water or self.city or self.village or self.terraces
                    or self.desert or self.grassland or self.flowers or self.trees or self.beach)


# Each entry: (words, features).  Words with CJK characters match as substrings; latin words match
# whole words (an optional plural s/es allowed).  Feature values: strings/bools/floats set the field;
# a value for "trees" is added to the set.
PHRASES: list[tuple[tuple[str, ...], dict[str, object]]] = [
    (("西湖",), {"water": "lake", "mountains": "hills", "trees": "willow", "pagoda": True}),
    (("洱海",), {"water": "lake", "mountains": "peaks", "clouds": 0.7}),
    (("苍山",), {"mountains": "peaks"}),
    (("上海", "外滩", "陆家嘴", "浦东", "shanghai", "the bund"), {"city": True, "water": "river"}),
    (("婺源",), {"village": "huizhou", "flowers": "rapeseed", "mountains": "hills", "season": "spring"}),
    (("徽派", "徽州", "宏村", "西递"), {"village": "huizhou"}),
    (("乌镇", "周庄", "西塘", "同里", "江南", "水乡"), {"village": "huizhou", "water": "river", "trees": "willow"}),
    (("古镇", "古城", "古村", "old town", "ancient town"), {"village": "huizhou"}),
    (("桂林", "漓江", "阳朔", "guilin", "karst"), {"mountains": "karst", "water": "river", "mist": True}),
    (("黄山", "huangshan"), {"mountains": "peaks", "trees": "pine", "mist": True}),
    (("张家界",), {"mountains": "karst", "mist": True, "trees": "pine"}),
    (("云海", "sea of clouds"), {"mountains": "peaks", "mist": True}),
    (("雪山", "玉龙", "珠峰", "西藏", "拉萨", "梅里"), {"mountains": "peaks", "snowcaps": True}),
    (("长城", "great wall"), {"mountains": "hills"}),
    (("三亚", "海南", "马尔代夫", "tropical", "热带"), {"water": "sea", "beach": True, "trees": "palm",
                                                   "season": "summer"}),
    (("九寨沟", "jiuzhaigou"), {"water": "lake", "trees": "forest", "mountains": "peaks"}),
    (("敦煌", "戈壁", "撒哈拉", "sahara"), {"desert": True}),
    (("元阳", "龙脊", "梯田", "rice terrace", "terraced"), {"terraces": True, "mountains": "hills"}),
    (("内蒙古", "呼伦贝尔", "草原", "grassland", "prairie", "meadow", "steppe"), {"grassland": True}),
    (("哈尔滨", "雪乡", "冰雪"), {"snowy": True, "season": "winter", "snowfall": True}),
    (("雪花", "下雪", "飘雪", "大雪", "snowfall", "snowing", "snowflake", "snowstorm"),
     {"snowy": True, "snowfall": True, "season": "winter"}),
    (("烟花", "烟火", "fireworks"), {"time": "night"}),
    (("银河", "星空", "星河", "milky way", "galaxy", "starry", "starlit"), {"time": "night", "stars": True}),
    (("中秋", "满月", "明月", "月亮", "月光", "月夜", "moonlight", "moonlit", "full moon"),
     {"time": "night", "moon": True}),
    (("春节", "新年", "过年", "元宵"), {"season": "winter"}),
    (("青春", "春风得意"), {}),
    (("浪花", "海浪", "waves", "surf"), {"water": "sea"}),
    (("沙滩", "海滩", "海边", "海岸", "海岛", "beach", "seaside", "coast", "shore", "island"),
     {"water": "sea", "beach": True}),
    (("油菜花", "油菜", "rapeseed", "canola", "mustard field"), {"flowers": "rapeseed", "season": "spring"}),
    (("樱花", "樱", "sakura", "cherry blossom", "cherry"), {"flowers": "cherry", "season": "spring"}),
    (("桃花", "桃林", "peach blossom", "peach"), {"flowers": "peach", "season": "spring"}),
    (("梅花", "腊梅", "plum blossom"), {"flowers": "plum", "season": "winter"}),
    (("荷花", "荷塘", "莲", "荷叶", "lotus", "water lily"), {"flowers": "lotus", "water": "lake",
                                                        "season": "summer"}),
    (("薰衣草", "lavender"), {"flowers": "lavender", "season": "summer"}),
    (("向日葵", "sunflower"), {"flowers": "sunflower", "season": "summer"}),
    (("枫叶", "枫树", "红叶", "maple"), {"trees": "maple", "season": "autumn"}),
    (("银杏", "ginkgo"), {"trees": "ginkgo", "season": "autumn"}),
    (("霓虹", "赛博", "neon", "cyberpunk"), {"neon": True, "city": True, "time": "night"}),
    (("蓝天白云", "白云", "蓝天", "blue sky"), {"clouds": 0.8, "time": "day"}),
]

WORDS: list[tuple[tuple[str, ...], dict[str, object]]] = [
    (("春", "spring", "springtime"), {"season": "spring"}),
    (("夏", "summer", "summertime"), {"season": "summer"}),
    (("秋", "autumn", "fall"), {"season": "autumn"}),
    (("冬", "winter", "wintry"), {"season": "winter"}),
    (("雪", "snow", "snowy", "frost"), {"snowy": True, "season": "winter"}),
    (("日落", "黄昏", "夕阳", "晚霞", "落日", "傍晚", "sunset", "dusk", "golden hour", "twilight", "evening"),
     {"time": "sunset"}),
    (("日出", "朝霞", "清晨", "黎明", "早晨", "sunrise", "dawn", "morning", "daybreak"), {"time": "dawn"}),
    (("夜", "晚上", "星", "月", "night", "midnight", "nighttime", "star", "moon"), {"time": "night"}),
    (("晴", "阳光", "sunny", "sunshine", "daylight", "noon"), {"time": "day"}),
    (("云", "cloud", "cloudy"), {"clouds": 0.8}),
    (("雾", "霭", "烟雨", "mist", "misty", "fog", "foggy", "haze"), {"mist": True}),
    (("海", "洋", "sea", "ocean", "bay", "harbor", "harbour"), {"water": "sea"}),
    (("湖", "潭", "池", "lake", "pond", "lagoon"), {"water": "lake"}),
    (("江", "河", "溪", "river", "stream", "creek", "canal"), {"water": "river"}),
    (("山丘", "丘陵", "hill", "hillside", "rolling hills"), {"mountains": "hills"}),
    (("山", "峰", "岭", "mountain", "peak", "alps", "summit", "range"), {"mountains": "peaks"}),
    (("城市", "都市", "城", "楼", "skyline", "city", "downtown", "urban", "skyscraper", "metropolis"),
     {"city": True}),
    (("村", "乡", "镇", "房", "屋", "village", "hamlet", "cottage", "town", "house"), {"village": "village"}),
    (("森林", "树林", "林", "forest", "woods", "woodland", "jungle", "trees"), {"trees": "forest"}),
    (("松", "pine", "conifer", "fir"), {"trees": "pine"}),
    (("柳", "willow"), {"trees": "willow"}),
    (("椰", "palm"), {"trees": "palm", "season": "summer"}),
    (("塔", "寺", "pagoda", "temple"), {"pagoda": True}),
    (("沙漠", "沙丘", "desert", "dune"), {"desert": True}),
    (("田", "field", "farmland"), {"grassland": True}),
    (("花", "flower", "bloom", "blossom", "garden", "floral"), {"flowers": "generic"}),
]

_TIME_RANK = {"": 0, "day": 1, "dawn": 2, "sunset": 3, "night": 4}


def _pattern(word: str) -> re.Pattern[str]:
    if any(ord(ch) > 0x2E80 for ch in word):
        return re.compile(re.escape(word))
    return re.compile(r"\b" + re.escape(word).replace(r"\ ", r"\s+") + r"(?:s|es)?\b")


_COMPILED = [(tuple(_pattern(w) for w in words), words, feats) for words, feats in PHRASES + WORDS]


def _apply(spec: SceneSpec, feats: dict[str, object]) -> None:
    for key, value in feats.items():
        if key == "trees":
            spec.trees.add(str(value))
        elif key == "mountains":
            if not spec.mountains:
                spec.mountains = str(value)
        elif key == "time":
            if _TIME_RANK[str(value)] > _TIME_RANK[spec.time]:
                spec.time = str(value)
        elif key in ("season", "water", "flowers", "village"):
            if not getattr(spec, key):
                setattr(spec, key, value)
        elif key == "clouds":
            spec.clouds = max(spec.clouds, float(value))  # type: ignore[arg-type]
        else:
            setattr(spec, key, value)


def read_prompt(prompt: str) -> SceneSpec:
    """Return the scene features named in ``prompt`` (Chinese and English keywords)."""
    text = " " + prompt.lower() + " "
    spec = SceneSpec()
    for patterns, words, feats in _COMPILED:
        for pat, word in zip(patterns, words, strict=True):
            if pat.search(text):
                spec.matched.append(word)
                _apply(spec, feats)
                text = pat.sub(" ", text)
    if spec.snowy and spec.mountains in ("peaks", "karst"):
        spec.snowcaps = True
    if spec.snowcaps and not spec.mountains:
        spec.mountains = "peaks"
    if spec.neon:
        spec.city = True
    if spec.moon or spec.stars:
        spec.time = "night"
    if spec.time == "night" and ("star" in spec.matched or "星" in spec.matched):
        spec.stars = True
    return spec
