"""Font files: where the system keeps them, what they cover, their bold siblings, loading them once."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import string
import subprocess
import tempfile
from array import array
from importlib import resources
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont
from PIL import ImageFont

#: Characters a font must draw to count as a CJK font (common Simplified Chinese and punctuation).
CJK_PROBE = "中文春游目的地生成扫码，。！？"
#: Characters a font must draw to count as a Latin face (letters and digits).
LATIN_PROBE = string.ascii_letters + string.digits
#: A character every colour emoji font has.
EMOJI_PROBE = "\U0001f600"

#: Well-known places of CJK fonts on Debian/Ubuntu/Alpine/macOS, tried only where fontconfig is not installed.
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
#: Well-known places of colour emoji fonts, tried only where fontconfig is not installed.
EMOJI_CANDIDATES = (
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-emoji/NotoColorEmoji.ttf",
    "/System/Library/Fonts/Apple Color Emoji.ttc",
)

#: The font shipped inside the mplfonts package: always in the chain (it has Chinese, Latin and digits).
MPLFONTS_FONT = "fonts/NotoSansCJKsc-Regular.otf"
#: At most this many system CJK fonts without Latin (e.g. Droid Sans Fallback) join the chain, for rare characters.
MAX_EXTRA_FACES = 2


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


def cache_dir() -> Path:
    """Return the folder where font coverage is cached between processes (``$XDG_CACHE_HOME/posterbooth``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "posterbooth"


def _cache_file(path: str, version: tuple[int, int]) -> Path:
    """Return the coverage cache file of one version (modification time, size) of a font file."""
    key = f"{path}\0{version[0]}\0{version[1]}".encode()
    return cache_dir() / f"cmap-{hashlib.sha256(key).hexdigest()[:32]}.u32"


def _read_cmap(path: str) -> frozenset[int]:
    """Decode a font file's character map (slow for big CJK fonts: about a second)."""
    try:
        with open(path, "rb") as handle:
            cmap = TTFont(handle, fontNumber=_face_index(Path(path)), lazy=True).getBestCmap() or {}
    except Exception:  # noqa: BLE001 - an unreadable font covers nothing
        return frozenset()
    return frozenset(cmap)


@functools.lru_cache(maxsize=32)
def _codepoints(path: str, version: tuple[int, int]) -> frozenset[int]:
    """Return the code points a font file maps to glyphs, cached per file version in memory and on disk."""
    cached = _cache_file(path, version)
    try:
        values = array("I")
        values.frombytes(cached.read_bytes())
        return frozenset(values)
    except (OSError, ValueError):
        pass
    covered = _read_cmap(path)
    if covered:
        try:  # written whole, then renamed: another process never reads half a file
            cached.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=cached.parent, delete=False) as handle:
                handle.write(array("I", sorted(covered)).tobytes())
            os.replace(handle.name, cached)
        except OSError:
            pass  # a read-only home: decode again next time
    return covered


def codepoints(font_path: Path) -> frozenset[int]:
    """Return the set of code points the font can draw (empty when unreadable)."""
    try:
        stat = font_path.stat()
    except OSError:
        return frozenset()
    return _codepoints(str(font_path), (stat.st_mtime_ns, stat.st_size))


def has_glyphs(font_path: Path, text: str) -> bool:
    """Tell whether the font has a glyph for every non-space character of ``text``."""
    covered = codepoints(Path(font_path))
    if not covered:
        return False
    return all(ord(ch) in covered for ch in text if not ch.isspace())


@functools.lru_cache(maxsize=16)
def color_strike(path: str) -> tuple[bool, int | None]:
    """Return whether a font has colour glyphs Pillow can draw, and its bitmap size (None = scalable)."""
    try:
        with open(path, "rb") as handle:
            font = TTFont(handle, fontNumber=_face_index(Path(path)), lazy=True)
            if "CBLC" in font:
                return True, max(s.bitmapSizeTable.ppemY for s in font["CBLC"].strikes)
            if "sbix" in font:
                return True, max(font["sbix"].strikes)
            return "COLR" in font, None
    except Exception:  # noqa: BLE001 - an unreadable font is no emoji font
        return False, None


def _fc_list(pattern: str) -> list[Path] | None:
    """Return the font files fontconfig lists for a pattern, or None when fontconfig is not installed."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run([fc_list, pattern, "file"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = [Path(line.strip().rstrip(":").strip()) for line in sorted(out.splitlines())]
    return [path for path in paths if path.suffix]


def _fontconfig_candidates() -> list[Path]:
    """List fonts fontconfig says support Chinese, Simplified Chinese first."""
    found: list[Path] = []
    for lang in ("zh-cn", "zh"):
        for path in _fc_list(f":lang={lang}") or []:
            if path not in found:
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


def system_cjk_candidates() -> list[Path]:
    """Return the system's CJK fonts: fontconfig's when it is installed, else the well-known places."""
    if shutil.which("fc-list") is not None:
        return _fontconfig_candidates()
    return [Path(p) for p in SYSTEM_CANDIDATES]


def latin_candidates() -> list[Path]:
    """Return system sans-serif fonts with Latin letters (only needed when the bundled font is missing)."""
    found = _fc_list(":lang=en:spacing=proportional") or []
    return sorted(found, key=lambda p: ("Sans" not in p.name, _weight_rank(p.name), p.name))


def emoji_candidates() -> list[Path]:
    """Return colour emoji fonts: fontconfig's when it is installed, else the well-known places."""
    if shutil.which("fc-list") is None:
        return [Path(p) for p in EMOJI_CANDIDATES]
    found: list[Path] = []
    for pattern in (":lang=und-zsye", ":color=true"):
        found += [path for path in _fc_list(pattern) or [] if path not in found]
    return found


def mplfonts_font() -> Path | None:
    """Return the Noto Sans CJK SC file bundled with the mplfonts package, or None without the package."""
    try:
        resource = resources.files("mplfonts").joinpath(MPLFONTS_FONT)
    except ModuleNotFoundError:
        return None
    path = Path(str(resource))
    return path if path.is_file() else None


def bold_of(path: Path) -> Path | None:
    """Return the bold sibling of a font file when it covers what the regular face is probed for."""
    return _bold_sibling(str(path))


@functools.lru_cache(maxsize=16)
def _bold_sibling(regular: str) -> Path | None:
    path = Path(regular)
    wanted = codepoints(path) & frozenset(map(ord, CJK_PROBE + LATIN_PROBE))
    for weight in ("Regular", "regular", "Medium", "Normal"):
        if weight in path.name:
            candidate = path.with_name(path.name.replace(weight, "Bold" if weight[0].isupper() else "bold"))
            if candidate.is_file() and wanted <= codepoints(candidate):
                return candidate
    return None


@functools.lru_cache(maxsize=256)
def _load(path: str, size: int, index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def load_font(font_path: Path, size: int) -> ImageFont.FreeTypeFont:
    """Load a font at a pixel size, cached on path and size."""
    path = Path(font_path)
    return _load(str(path), int(size), _face_index(path))


def clear_caches() -> None:
    """Forget which bold siblings and colour strikes were found (file coverage is keyed on mtime already)."""
    _bold_sibling.cache_clear()
    color_strike.cache_clear()
