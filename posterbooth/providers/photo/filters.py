"""Non-photorealistic filters that restyle a photo: cartoon, watercolour, pencil, ink, oil and pixel.

Each filter takes an RGB uint8 array and a seed (for paper and brush texture) and returns an
RGB uint8 array of the same size. ``FILTER_ALIASES`` is the one table that maps style names
(English, Chinese, the Tencent ImageToImage / GenerateAvatar / Hunyuan style codes) to a filter.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw

from posterbooth.fonts import find_cjk_font, load_font

from .pixels import fractal_noise, limit_side, paper, resize, rng_for, smooth_noise, smoothstep

FILTERS = ("cartoon", "watercolor", "pencil", "ink", "oil", "pixel")
DEFAULT_FILTER = "cartoon"

FILTER_ALIASES: dict[str, str] = {
    # cartoon / anime / comic: flat colours and dark outlines
    "cartoon": "cartoon", "anime": "cartoon", "comic": "cartoon", "manga": "cartoon", "卡通": "cartoon",
    "动漫": "cartoon", "漫画": "cartoon", "二次元": "cartoon", "日漫": "cartoon", "插画": "cartoon",
    "illustration": "cartoon", "flat": "cartoon", "3d": "cartoon", "2.5d": "cartoon",
    "riman": "cartoon", "dongman": "cartoon", "manhua": "cartoon", "bianping": "cartoon", "3dxuanran": "cartoon",
    "saibopengke": "cartoon", "cyberpunk": "cartoon",
    # Tencent ImageToImage styles (doc 1668/86250) and TextToImageLite codes
    "107": "cartoon", "116": "cartoon", "201": "cartoon", "210": "cartoon", "123": "cartoon", "124": "cartoon",
    "121": "cartoon", "128": "cartoon", "135": "cartoon", "129": "cartoon", "130": "cartoon", "131": "cartoon",
    "110": "cartoon", "113": "cartoon", "126": "cartoon", "204": "cartoon", "301": "cartoon", "202": "cartoon",
    # GenerateAvatar portrait styles (doc 1668/107741)
    "retro": "cartoon", "amusement": "cartoon", "astronaut": "cartoon", "star": "cartoon", "dopamine": "cartoon",
    "babi": "cartoon", "coin": "cartoon", "commerce": "cartoon", "beach": "cartoon", "pet": "cartoon",
    # watercolour: soft washes on paper
    "watercolor": "watercolor", "watercolour": "watercolor", "水彩": "watercolor", "水彩画": "watercolor",
    "104": "watercolor", "133": "watercolor", "109": "watercolor", "monai": "watercolor", "莫奈": "watercolor",
    "ertonghuiben": "watercolor", "绘本": "watercolor", "water": "watercolor", "flower": "watercolor",
    "wedding": "watercolor", "pastel": "watercolor", "彩铅": "watercolor",
    # pencil: graphite on paper
    "pencil": "pencil", "sketch": "pencil", "素描": "pencil", "铅笔": "pencil", "铅笔画": "pencil",
    "132": "pencil", "112": "pencil", "heibaimanhua": "pencil", "黑白": "pencil",
    # ink: Chinese ink wash
    "ink": "ink", "ink wash": "ink", "水墨": "ink", "水墨画": "ink", "国画": "ink", "国风": "ink", "古风": "ink",
    "shuimo": "ink", "gufeng": "ink", "101": "ink", "203": "ink", "125": "ink", "qinghuaci": "ink",
    "127": "ink", "108": "ink", "xinnianjianzhi": "ink", "xinnianhuayi": "ink",
    # oil / impasto: thick smoothed brush patches
    "oil": "oil", "油画": "oil", "youhua": "oil", "103": "oil", "118": "oil", "106": "oil", "134": "oil",
    "119": "oil", "111": "oil", "impasto": "oil", "厚涂": "oil", "bijiasuo": "oil", "xieshi": "oil",
    "120": "oil", "102": "oil", "114": "oil", "115": "oil", "117": "oil", "401": "oil",
    # pixel art and mosaic
    "pixel": "pixel", "像素": "pixel", "xiangsu": "pixel", "105": "pixel", "masaike": "pixel", "mosaic": "pixel",
    "马赛克": "pixel",
}


def canonical_filter(style: str, prompt: str = "") -> str:
    """Return the filter for a style name or code; else one named in the prompt; else the default."""
    key = (style or "").strip().lower().replace("_", " ")
    if key in FILTER_ALIASES:
        return FILTER_ALIASES[key]
    lowered = (prompt or "").lower()
    for alias, name in sorted(FILTER_ALIASES.items(), key=lambda item: -len(item[0])):
        if not alias.isdigit() and len(alias) >= 2 and alias in lowered:
            return name
    return DEFAULT_FILTER


def _lines(gray: np.ndarray, scale: float, strength: float = 1.0) -> np.ndarray:
    """Return an outline layer (1 = paper, 0 = full line) from a greyscale image."""
    k = max(3, int(5 * scale) | 1)
    soft = cv2.medianBlur(gray, k)
    block = max(5, int(11 * scale) | 1)
    edges = cv2.adaptiveThreshold(soft, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 4)
    # Remove speckles: keep only edge pixels that belong to longer strokes.
    inverted = _drop_specks(255 - edges, max(6, int(20 * scale * scale)))
    line = cv2.GaussianBlur(inverted.astype(np.float32) / 255.0, (0, 0), 0.6 * max(1.0, scale))
    return 1.0 - np.clip(line * 1.4 * strength, 0.0, 1.0)


def _median_cut(rgb: np.ndarray, colours: int) -> np.ndarray:
    """Quantise an RGB array to a few colours (deterministic median cut, no dithering)."""
    image = Image.fromarray(rgb)
    quantised = image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    return np.asarray(quantised.convert("RGB"))


def _saturate(rgb: np.ndarray, factor: float, value: float = 1.0) -> np.ndarray:
    """Scale saturation (and brightness) in HSV."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * factor, 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * value, 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


def cartoon(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """Restyle as a cartoon: smoothed flat colour areas, banded (toon) shading and dark outlines."""
    del seed  # the cartoon look has no random texture
    h, w = rgb.shape[:2]
    scale = max(h, w) / 1024
    small = limit_side(rgb, 512)
    for _ in range(6):
        small = cv2.bilateralFilter(small, 7, 28, 5)
    smooth = cv2.bilateralFilter(resize(small, (w, h)), 7, 20, 5)
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB).astype(np.float32)
    # Toon shading: lightness in a few flat bands with crisp but anti-aliased steps; hues are kept.
    step = 255.0 / 7
    level = cv2.GaussianBlur(lab[..., 0], (0, 0), 2.5 * max(1.0, scale)) / step
    base = np.floor(level)
    lab[..., 0] = np.clip((base + smoothstep(0.42, 0.58, level - base)) * step + step * 0.35, 0, 255)
    chroma = lab[..., 1:] - 128.0
    lab[..., 1:] = 128.0 + chroma * 1.25
    flat = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    flat = cv2.medianBlur(flat, max(3, int(5 * scale) | 1))
    gray = cv2.cvtColor(resize(small, (w, h)), cv2.COLOR_RGB2GRAY)
    lines = _lines(gray, scale)
    ink_colour = np.asarray((38, 28, 34), np.float32)
    out = flat.astype(np.float32) * lines[..., None] + ink_colour * (1.0 - lines[..., None])
    return np.clip(out, 0, 255).astype(np.uint8)


def watercolor(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """Restyle as a watercolour: soft washes, darker pooled edges, granulation and paper, faded borders."""
    h, w = rgb.shape[:2]
    rng = rng_for("watercolor", seed)
    work = limit_side(rgb, 640)
    wh, ww = work.shape[:2]
    washed = cv2.stylization(work, sigma_s=50, sigma_r=0.5)
    # Wobble the washes a little, like wet paint that crept past the drawing.
    dx = (smooth_noise(rng, wh, ww, 40) - 0.5) * 6.0
    dy = (smooth_noise(rng, wh, ww, 40) - 0.5) * 6.0
    gx, gy = np.meshgrid(np.arange(ww, dtype=np.float32), np.arange(wh, dtype=np.float32))
    washed = cv2.remap(washed, gx + dx, gy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    colour = resize(washed, (w, h)).astype(np.float32) / 255.0
    # Transparent pigment: lighter and less saturated than the photo.
    colour = 1.0 - (1.0 - colour) * 0.82
    grey = colour.mean(axis=2, keepdims=True)
    colour = grey + (colour - grey) * 1.15
    # Edge darkening where washes meet (pigment pools at the rim of a wet area).
    lum = cv2.cvtColor(resize(washed, (w, h)), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    gxl = cv2.Sobel(lum, cv2.CV_32F, 1, 0, ksize=3)
    gyl = cv2.Sobel(lum, cv2.CV_32F, 0, 1, ksize=3)
    rim: np.ndarray = np.clip(np.sqrt(gxl * gxl + gyl * gyl) * 2.2, 0, 1)
    rim = cv2.GaussianBlur(rim, (0, 0), 1.2)
    colour *= (1.0 - 0.35 * rim)[..., None]
    # Granulation: pigment settles in the paper's grain, more in darker washes.
    grain = fractal_noise(rng, h, w, max(6.0, w / 90), octaves=3)
    darkness = 1.0 - colour.mean(axis=2)
    colour *= (1.0 - (grain - 0.5) * 0.18 * (0.4 + darkness))[..., None]
    # The painting fades into bare paper towards the edges, with a ragged rim.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.maximum(np.abs(xx / w - 0.5) * 2, np.abs(yy / h - 0.5) * 2)
    ragged = r + (fractal_noise(rng, h, w, max(8.0, w / 12), octaves=3) - 0.5) * 0.22
    coverage = 1.0 - smoothstep(0.78, 0.98, ragged)
    sheet = paper(rng, h, w, (250, 246, 236), grain=0.04)
    out = sheet * (1.0 - coverage[..., None]) + colour * sheet * coverage[..., None] * 1.02
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


def _hatching(h: int, w: int, spacing: float, angle: float, rng: np.random.Generator) -> np.ndarray:
    """Return parallel pencil strokes (1 = stroke) at an angle, slightly irregular."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = np.deg2rad(angle)
    u = xx * np.cos(theta) + yy * np.sin(theta)
    wobble = (smooth_noise(rng, h, w, spacing * 8) - 0.5) * spacing * 0.8
    phase = np.mod(u + wobble, spacing) / spacing
    stroke = np.clip(1.0 - np.abs(phase - 0.5) * 2 / 0.28, 0, 1)
    breaks = smooth_noise(rng, h, w, spacing * 3)
    return stroke * smoothstep(0.25, 0.55, breaks)


def pencil(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """Restyle as a graphite pencil drawing: dodge-blend outlines, soft tone and hatching in the shadows."""
    h, w = rgb.shape[:2]
    rng = rng_for("pencil", seed)
    scale = max(h, w) / 1024
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gray = cv2.bilateralFilter(gray, 7, 30, 5)
    blurred = cv2.GaussianBlur(255 - gray, (0, 0), 9 * scale)
    dodge = cv2.divide(gray, 255 - blurred, scale=256).astype(np.float32) / 255.0
    sketch = np.clip(dodge, 0, 1) ** 3.0
    tone = _stretch(cv2.GaussianBlur(gray.astype(np.float32) / 255.0, (0, 0), 3 * scale))
    spacing = max(4.0, 7.0 * scale)
    hatch1 = _hatching(h, w, spacing, 35, rng)
    hatch2 = _hatching(h, w, spacing * 1.1, -50, rng)
    shade = (0.6 * hatch1 * smoothstep(0.75, 0.4, tone) + 0.55 * hatch2 * smoothstep(0.45, 0.18, tone)
             + 0.4 * smoothstep(0.9, 0.1, tone))
    graphite = np.clip(sketch * (1.0 - 0.5 * shade), 0, 1)
    # Graphite catches on the paper's tooth: dark strokes break up a little.
    tooth = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), 0.7)
    graphite = 1.0 - (1.0 - graphite) * (0.8 + 0.4 * tooth)
    sheet = paper(rng, h, w, (248, 246, 240), grain=0.04)
    lead = np.asarray((0.20, 0.20, 0.24), np.float32)
    out = sheet * graphite[..., None] + lead * (1.0 - graphite[..., None])
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


def _stretch(gray: np.ndarray, low: float = 2.0, high: float = 98.0) -> np.ndarray:
    """Stretch a 0..1 greyscale array so its given percentiles become 0 and 1."""
    lo, hi = (float(v) for v in np.percentile(gray, (low, high)))
    return np.clip((gray - lo) / max(1e-3, hi - lo), 0.0, 1.0).astype(np.float32)


def _drop_specks(edges: np.ndarray, min_area: int) -> np.ndarray:
    """Remove edge fragments smaller than ``min_area`` pixels (texture noise, not outlines)."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(edges, connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < max(2, min_area)
    small[0] = False
    cleaned = edges.copy()
    cleaned[small[labels]] = 0
    return cleaned


def _colour_edges(rgb: np.ndarray, low: int, high: int) -> np.ndarray:
    """Return Canny edges found in lightness or in either colour channel (uint8, 255 = edge)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    edges: np.ndarray = cv2.Canny(lab[..., 0], low, high)
    for channel in (1, 2):
        # The stub wants a dst array; OpenCV takes None and allocates one.
        stretched = cv2.normalize(lab[..., channel], None, 0, 255, cv2.NORM_MINMAX)  # type: ignore[call-overload]
        edges |= cv2.Canny(stretched, low * 2, high * 2)
    return edges


def _seal(size: int, rng: np.random.Generator) -> np.ndarray:
    """Return a size x size coverage mask of a worn red seal with two carved characters."""
    big = size * 4
    img = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(img)
    pad = big // 16
    draw.rounded_rectangle((pad, pad, big - pad, big - pad), radius=big // 14, fill=255)
    font = load_font(find_cjk_font(), int(big * 0.4))
    words = ("如意", "清欢", "自在", "长乐")[int(rng.integers(0, 4))]
    draw.text((big / 2, big * 0.3), words[0], font=font, fill=0, anchor="mm")
    draw.text((big / 2, big * 0.72), words[1], font=font, fill=0, anchor="mm")
    mask = cv2.resize(np.asarray(img, np.float32) / 255.0, (size, size), interpolation=cv2.INTER_AREA)
    wear = smooth_noise(rng, size, size, max(2.0, size / 5))
    return np.clip(mask * (0.8 + 0.4 * wear), 0, 1)


def ink(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """Restyle as a Chinese ink wash: light washes in three tones, bold dry-brush outlines, rice paper, a seal."""
    h, w = rgb.shape[:2]
    rng = rng_for("ink", seed)
    scale = max(h, w) / 1024
    work = limit_side(rgb, 512)
    smooth = cv2.edgePreservingFilter(work, flags=cv2.RECURS_FILTER, sigma_s=40, sigma_r=0.4)
    gray = cv2.cvtColor(resize(smooth, (w, h)), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    density = 1.0 - _stretch(gray)
    # Wet edges: the borders of each wash wander with the paper, they do not follow the photo exactly.
    wander = (fractal_noise(rng, h, w, max(12.0, w / 14), octaves=3) - 0.5) * 0.12
    d = density + wander
    washes: np.ndarray = (0.12 * smoothstep(0.30, 0.36, d) + 0.2 * smoothstep(0.52, 0.58, d)
              + 0.32 * smoothstep(0.76, 0.82, d) + 0.18 * density * density)
    washes = cv2.GaussianBlur(washes, (0, 0), 1.8 * max(1.0, scale))
    # Ink pools a little darker at the rim of each wash.
    rim = np.abs(cv2.Laplacian(washes, cv2.CV_32F, ksize=5))
    washes += np.clip(rim * 0.35, 0, 0.12)
    # Bold outlines from the structure of the picture, with dry-brush breaks.
    edges = _drop_specks(_colour_edges(resize(smooth, (w, h)), 40, 100), int(60 * scale * scale))
    edges = cv2.dilate(edges, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)), iterations=max(1, int(scale)))
    strokes: np.ndarray = cv2.GaussianBlur(edges.astype(np.float32) / 255.0, (0, 0), 0.9 * max(1.0, scale))
    dry = smoothstep(0.15, 0.55, fractal_noise(rng, h, w, max(4.0, w / 150), octaves=2))
    strokes *= 0.5 + 0.5 * dry
    coverage = np.clip(washes + strokes * 0.85, 0, 0.92)
    sheet = paper(rng, h, w, (244, 236, 218), grain=0.03, fibres=0.08)
    ink_colour = np.asarray((0.08, 0.08, 0.09), np.float32)
    out = sheet * (1.0 - coverage[..., None]) + ink_colour * coverage[..., None]
    side = max(24, int(min(h, w) * 0.1))
    seal = _seal(side, rng)[..., None]
    x0, y0 = w - side - int(side * 0.5), h - side - int(side * 0.5)
    patch = out[y0:y0 + side, x0:x0 + side]
    red = np.asarray((0.74, 0.13, 0.11), np.float32)
    out[y0:y0 + side, x0:x0 + side] = patch * (1.0 - seal) + red * seal
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


def oil(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """Restyle as an oil painting: Kuwahara brush patches, richer colour, brush strokes that follow the forms."""
    h, w = rgb.shape[:2]
    rng = rng_for("oil", seed)
    work = limit_side(rgb, 800)
    wh, ww = work.shape[:2]
    radius = max(2, round(3 * max(wh, ww) / 800))
    painted = _kuwahara(_saturate(work, 1.25, 1.03), radius)
    out = resize(painted, (w, h)).astype(np.float32) / 255.0
    strokes = _brush_strokes(cv2.cvtColor(work, cv2.COLOR_RGB2GRAY), rng, max(5, int(max(wh, ww) / 60)))
    strokes = resize(strokes, (w, h))
    # Impasto: light from the top left catches the ridges of the paint.
    relief = cv2.Sobel(strokes, cv2.CV_32F, 1, 0, ksize=3) + cv2.Sobel(strokes, cv2.CV_32F, 0, 1, ksize=3)
    shade = 1.0 + 0.06 * (strokes - 0.5) - 0.12 * relief
    return np.clip(out * shade[..., None] * 255.0, 0, 255).astype(np.uint8)


def _brush_strokes(gray: np.ndarray, rng: np.random.Generator, length: int) -> np.ndarray:
    """Return a 0..1 texture of short strokes that run along the picture's edges (structure tensor)."""
    h, w = gray.shape
    smooth = cv2.GaussianBlur(gray.astype(np.float32) / 255.0, (0, 0), 2.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), 6.0)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), 6.0)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), 6.0)
    # The stroke runs across the gradient, i.e. along the edge.
    angle = (0.5 * np.arctan2(2 * jxy, jxx - jyy) + np.pi / 2) % np.pi
    noise = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), 0.8)
    bins = 6
    index = np.round(angle / (np.pi / bins)).astype(np.int32) % bins
    texture = np.zeros((h, w), np.float32)
    for k in range(bins):
        theta = k * np.pi / bins
        kernel = np.zeros((length, length), np.float32)
        c = (length - 1) / 2
        dx, dy = np.cos(theta) * c, np.sin(theta) * c
        cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
        kernel /= kernel.sum()
        streaked = cv2.filter2D(noise, -1, kernel, borderType=cv2.BORDER_REFLECT)
        texture[index == k] = streaked[index == k]
    lo, hi = (float(v) for v in np.percentile(texture, (1, 99)))
    return np.clip((texture - lo) / max(1e-4, hi - lo), 0.0, 1.0).astype(np.float32)


def _kuwahara(rgb: np.ndarray, radius: int) -> np.ndarray:
    """Apply a Kuwahara filter: each pixel takes the mean of its least varied neighbouring quadrant."""
    img = rgb.astype(np.float32) / 255.0
    lum = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    k = radius + 1
    mean = cv2.blur(img, (k, k), borderType=cv2.BORDER_REFLECT)
    lmean = cv2.blur(lum, (k, k), borderType=cv2.BORDER_REFLECT)
    lsq = cv2.blur(lum * lum, (k, k), borderType=cv2.BORDER_REFLECT)
    var = lsq - lmean * lmean
    h, w = lum.shape
    offsets = ((-radius // 2 - 1, -radius // 2 - 1), (-radius // 2 - 1, radius // 2 + 1),
               (radius // 2 + 1, -radius // 2 - 1), (radius // 2 + 1, radius // 2 + 1))
    best_var = np.full((h, w), np.inf, np.float32)
    out = np.zeros_like(img)
    for dy, dx in offsets:
        matrix = np.array([[1, 0, -dx], [0, 1, -dy]], np.float32)
        shifted_var = cv2.warpAffine(var, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
        shifted_mean = cv2.warpAffine(mean, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
        better = shifted_var < best_var
        best_var[better] = shifted_var[better]
        out[better] = shifted_mean[better]
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


def pixel(rgb: np.ndarray, seed: int = 0) -> np.ndarray:
    """Restyle as pixel art: big square pixels in a small palette."""
    del seed
    h, w = rgb.shape[:2]
    cells = 64
    small = cv2.resize(rgb, (max(1, w * cells // max(h, w)), max(1, h * cells // max(h, w))),
                       interpolation=cv2.INTER_AREA)
    small = _median_cut(_saturate(small, 1.2), 24)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


FILTER_FUNCTIONS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "cartoon": cartoon, "watercolor": watercolor, "pencil": pencil, "ink": ink, "oil": oil, "pixel": pixel,
}


def apply_filter(rgb: np.ndarray, name: str, seed: int = 0) -> np.ndarray:
    """Apply the named filter (see FILTERS) to an RGB uint8 array."""
    return FILTER_FUNCTIONS[name](rgb, seed)
