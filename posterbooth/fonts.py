"""Find a font that can draw Chinese, check glyph coverage and load fonts once."""

from __future__ import annotations

import functools
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageFont

#: Characters a font must draw to count as a CJK font (common Simplified Chinese and punctuation).
CJK_PROBE = "中文春游目的地生成扫码，。！？"

#: Well-known places of CJK fonts on Debian/Ubuntu/Alpine/macOS, tried after fontconfig.
SYSTEM_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSansSC-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
)

#: The font shipped inside the mplfonts package, the last resort.
MPLFONTS_FONT = "fonts/NotoSansCJKsc-Regular.otf"


class FontNotFoundError(RuntimeError):
    """No font that can draw Chinese text is available."""


def _face_index(path: Path) -> int:
    """Return the face of a font collection to use: the Simplified Chinese one when present."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    return _collection_sc_index(str(path))


@functools.lru_cache(maxsize=32)
def _collection_sc_index(path: str) -> int:
    try:
        with open(path, "rb") as handle:
            collection = TTCollection(handle, lazy=True)
            for index, face in enumerate(collection.fonts):
                name = face["name"].getDebugName(1) or ""
                if name.endswith(" SC") or " SC " in name or "CN" in name or "GB" in name:
                    return index
    except Exception:  # noqa: BLE001 - a broken font file must not stop the poster
        return 0
    return 0


@functools.lru_cache(maxsize=32)
def _codepoints(path: str, mtime: float) -> frozenset[int]:
    """Return the code points a font file maps to glyphs (cached per file version)."""
    del mtime  # part of the cache key only
    try:
        with open(path, "rb") as handle:
            cmap = TTFont(handle, fontNumber=_face_index(Path(path)), lazy=True).getBestCmap() or {}
    except Exception:  # noqa: BLE001 - an unreadable font covers nothing
        return frozenset()
    return frozenset(cmap)


def codepoints(font_path: Path) -> frozenset[int]:
    """Return the set of code points the font can draw (empty when unreadable)."""
    try:
        mtime = font_path.stat().st_mtime
    except OSError:
        return frozenset()
    return _codepoints(str(font_path), mtime)


def has_glyphs(font_path: Path, text: str) -> bool:
    """Tell whether the font has a glyph for every non-space character of ``text``."""
    covered = codepoints(Path(font_path))
    if not covered:
        return False
    return all(ord(ch) in covered for ch in text if not ch.isspace())


def _fontconfig_candidates() -> list[Path]:
    """List fonts fontconfig says support Chinese, Simplified Chinese first."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    found: list[Path] = []
    for lang in ("zh-cn", "zh"):
        try:
            out = subprocess.run(
                [fc_list, f":lang={lang}", "file"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return found
        for line in sorted(out.splitlines()):
            path = Path(line.strip().rstrip(":").strip())
            if path.suffix and path not in found:
                found.append(path)
    # Prefer regular-weight sans-serif Noto / Source Han faces: they suit posters best.
    found.sort(key=lambda p: (
        not ("Sans" in p.name and ("CJK" in p.name or "Han" in p.name)),
        "Mono" in p.name,
        _weight_rank(p.name),
        p.name,
    ))
    return found


def _weight_rank(name: str) -> int:
    """Rank a font file name by how close its weight is to Regular (0 = Regular)."""
    lowered = name.lower()
    for rank, words in enumerate((("regular", "normal", "book"), ("medium",), ("light", "demilight"))):
        if any(word in lowered for word in words):
            return rank
    heavy = ("bold", "black", "heavy", "thin", "extralight")
    return 9 if any(word in lowered for word in heavy) else 1


def _mplfonts_candidate() -> Path | None:
    try:
        resource = resources.files("mplfonts").joinpath(MPLFONTS_FONT)
    except ModuleNotFoundError:
        return None
    path = Path(str(resource))
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def _system_cjk_font() -> Path:
    candidates: list[Path] = _fontconfig_candidates()
    candidates += [Path(p) for p in SYSTEM_CANDIDATES]
    bundled = _mplfonts_candidate()
    if bundled is not None:
        candidates.append(bundled)
    for path in candidates:
        if path.is_file() and has_glyphs(path, CJK_PROBE):
            return path
    raise FontNotFoundError(
        "No font that can draw Chinese was found: install fonts-noto-cjk (or fonts-wqy-microhei), "
        "or the mplfonts Python package, or ship a brand font with Chinese glyphs in the campaign."
    )


def find_cjk_font(preferred: Path | None = None) -> Path:
    """Return the campaign font if it draws Chinese, else a system or bundled CJK font."""
    if preferred is not None and Path(preferred).is_file() and has_glyphs(Path(preferred), CJK_PROBE):
        return Path(preferred)
    return _system_cjk_font()


def find_bold_font(regular: Path) -> Path | None:
    """Return the bold sibling of a font file (e.g. NotoSansCJK-Bold.ttc), or None when there is none."""
    return _bold_sibling(str(regular))


@functools.lru_cache(maxsize=16)
def _bold_sibling(regular: str) -> Path | None:
    path = Path(regular)
    for weight in ("Regular", "regular", "Medium", "Normal"):
        if weight in path.name:
            candidate = path.with_name(path.name.replace(weight, "Bold" if weight[0].isupper() else "bold"))
            if candidate.is_file() and has_glyphs(candidate, CJK_PROBE):
                return candidate
    return None


@functools.lru_cache(maxsize=128)
def _load(path: str, size: int, index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def load_font(font_path: Path, size: int) -> ImageFont.FreeTypeFont:
    """Load a font at a pixel size, cached on path and size."""
    path = Path(font_path)
    return _load(str(path), int(size), _face_index(path))
