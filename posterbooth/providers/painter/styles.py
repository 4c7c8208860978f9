"""Rendering styles: how each look shades, edges, blends and finishes the scene layers.

``STYLE_ALIASES`` is the one table of accepted style names (English, Chinese and
the Hunyuan style codes) and the look each one gets.
"""

from __future__ import annotations

from .ink_3d import Ink, Render3D
from .painterly import Style, curve_table
from .watercolor_anime import Anime, Watercolor

__all__ = [
    "STYLES", "STYLE_ALIASES", "STYLE_CLASSES", "Anime", "Ink", "Render3D", "Style", "Watercolor",
    "canonical_style", "curve_table",
]

STYLES = ("painterly", "watercolor", "anime", "ink", "3d")

STYLE_ALIASES: dict[str, str] = {
    # default painterly look
    "": "painterly", "default": "painterly", "painterly": "painterly", "painting": "painterly",
    "oil": "painterly", "oil painting": "painterly", "youhua": "painterly", "油画": "painterly",
    "monai": "painterly", "莫奈": "painterly", "impressionist": "painterly", "xieshi": "painterly",
    "写实": "painterly", "realistic": "painterly", "illustration": "painterly", "插画": "painterly",
    # watercolour
    "watercolor": "watercolor", "watercolour": "watercolor", "water color": "watercolor",
    "water colour": "watercolor", "water-color": "watercolor", "aquarelle": "watercolor", "shuicai": "watercolor",
    "水彩": "watercolor", "水彩画": "watercolor", "104": "watercolor", "ertonghuiben": "watercolor",
    "儿童绘本": "watercolor", "picture book": "watercolor", "彩铅": "watercolor", "童话世界": "watercolor",
    "粉笔": "watercolor", "fairytale": "watercolor",
    # anime / cel
    "anime": "anime", "manga": "anime", "cartoon": "anime", "cel": "anime", "cel-shaded": "anime",
    "ghibli": "anime", "riman": "anime", "dongman": "anime", "manhua": "anime", "bianping": "anime",
    "日漫": "anime", "日漫动画": "anime", "动漫": "anime", "动画": "anime", "漫画": "anime", "二次元": "anime",
    "卡通": "anime", "扁平": "anime", "扁平插画": "anime", "日系动漫": "anime", "201": "anime", "204": "anime",
    "301": "anime", "saibopengke": "anime", "赛博朋克": "anime", "flat": "anime", "宫崎骏": "anime",
    "新海诚": "anime", "奇趣卡通": "anime", "波普风": "anime", "糖果色": "anime", "古风二次元": "anime",
    "都市二次元": "anime", "校园": "anime", "都市异能": "anime", "极简": "anime",
    # Chinese ink wash
    "ink": "ink", "ink wash": "ink", "inkwash": "ink", "chinese ink": "ink", "sumi-e": "ink", "sumie": "ink",
    "shuimo": "ink", "水墨": "ink", "水墨画": "ink", "国画": "ink", "guohua": "ink", "中国画": "ink",
    "山水画": "ink", "101": "ink", "heibaimanhua": "ink", "qinghuaci": "ink", "青花瓷": "ink", "素描": "ink",
    # smooth 3D render
    "3d": "3d", "3d render": "3d", "3d-render": "3d", "3drender": "3d", "render": "3d", "3dxuanran": "3d",
    "3d渲染": "3d", "3D渲染": "3d", "c4d": "3d", "clay": "3d", "粘土": "3d", "pixar": "3d", "116": "3d",
    "110": "3d", "2.5d": "3d", "isometric": "3d", "blender": "3d", "毛毡": "3d",
}


def canonical_style(style: str) -> str:
    """Return the look ("painterly", "watercolor", "anime", "ink", "3d") for a style name or alias."""
    key = (style or "").strip().lower().replace("_", " ")
    if key in STYLE_ALIASES:
        return STYLE_ALIASES[key]
    compact = key.replace(" ", "").replace("-", "")
    for alias, look in STYLE_ALIASES.items():
        if alias and alias.replace(" ", "").replace("-", "") == compact:
            return look
    return "painterly"

STYLE_CLASSES: dict[str, type[Style]] = {
    "painterly": Style, "watercolor": Watercolor, "anime": Anime, "ink": Ink, "3d": Render3D,
}
