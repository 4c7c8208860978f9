"""Split text into the characters a reader sees (a base with its marks, an emoji sequence) and spot emoji."""

from __future__ import annotations

import functools
import unicodedata

ZWJ = "\u200d"
#: Variation selector 15 (text presentation) and 16 (emoji presentation).
VS15, VS16 = "\ufe0e", "\ufe0f"
KEYCAP = "\u20e3"

#: Characters drawn as emoji by default (Emoji_Presentation=Yes in the BMP and the start of the SMP).
_EMOJI_RANGES = (
    (0x231A, 0x231B), (0x23E9, 0x23EC), (0x23F0, 0x23F0), (0x23F3, 0x23F3), (0x25FD, 0x25FE),
    (0x2614, 0x2615), (0x2648, 0x2653), (0x267F, 0x267F), (0x2693, 0x2693), (0x26A1, 0x26A1),
    (0x26AA, 0x26AB), (0x26BD, 0x26BE), (0x26C4, 0x26C5), (0x26CE, 0x26CE), (0x26D4, 0x26D4),
    (0x26EA, 0x26EA), (0x26F2, 0x26F3), (0x26F5, 0x26F5), (0x26FA, 0x26FA), (0x26FD, 0x26FD),
    (0x2705, 0x2705), (0x270A, 0x270B), (0x2728, 0x2728), (0x274C, 0x274C), (0x274E, 0x274E),
    (0x2753, 0x2755), (0x2757, 0x2757), (0x2795, 0x2797), (0x27B0, 0x27B0), (0x27BF, 0x27BF),
    (0x2B1B, 0x2B1C), (0x2B50, 0x2B50), (0x2B55, 0x2B55), (0x1F004, 0x1F004), (0x1F0CF, 0x1F0CF),
    (0x1F18E, 0x1F18E), (0x1F191, 0x1F19A), (0x1F1E6, 0x1F1FF), (0x1F201, 0x1F201), (0x1F21A, 0x1F21A),
    (0x1F22F, 0x1F22F), (0x1F232, 0x1F236), (0x1F238, 0x1F23A), (0x1F250, 0x1F251), (0x1F300, 0x1F64F),
    (0x1F680, 0x1F6FF), (0x1F7E0, 0x1F7F0), (0x1F900, 0x1F9FF), (0x1FA70, 0x1FAFF),
)


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_variation_selector(ch: str) -> bool:
    """Tell whether a character only picks how the character before it looks (VS1-VS256)."""
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _is_skin_tone(cp: int) -> bool:
    return 0x1F3FB <= cp <= 0x1F3FF


def _is_tag(cp: int) -> bool:
    return 0xE0020 <= cp <= 0xE007F


def _is_regional(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def _extends(ch: str) -> bool:
    """Tell whether a character belongs to the character before it."""
    cp = ord(ch)
    return (unicodedata.category(ch).startswith("M") or is_variation_selector(ch) or _is_skin_tone(cp)
            or _is_tag(cp) or ch in (ZWJ, KEYCAP))


def clusters(text: str) -> list[str]:
    """Split text into clusters: a base with its marks, a flag, a keycap or a ZWJ emoji sequence."""
    out: list[str] = []
    for ch in text:
        last = out[-1] if out else ""
        joinable = bool(last) and not last.isspace() and not ch.isspace()
        if joinable and (_extends(ch) or last.endswith(ZWJ)):
            out[-1] = last + ch
        elif joinable and _is_regional(ord(ch)) and len(last) == 1 and _is_regional(ord(last)):
            out[-1] = last + ch  # the second letter of a flag
        else:
            out.append(ch)
    return out


@functools.lru_cache(maxsize=8192)
def is_emoji(cluster: str) -> bool:
    """Tell whether a cluster asks to be drawn as a (colour) emoji."""
    if not cluster or VS15 in cluster:
        return False
    cps = [ord(ch) for ch in cluster]
    if VS16 in cluster or KEYCAP in cluster or any(_is_skin_tone(cp) or _is_tag(cp) for cp in cps):
        return True
    if ZWJ in cluster[1:]:
        return True
    return _in(cps[0], _EMOJI_RANGES)


def text_form(cluster: str) -> str:
    """Return the characters of an emoji cluster that text fonts can draw (no joiners, selectors or tones)."""
    return "".join(
        ch for ch in cluster
        if not (is_variation_selector(ch) or _is_skin_tone(ord(ch)) or _is_tag(ord(ch)) or ch in (ZWJ, KEYCAP))
    )


def is_wide(cluster: str) -> bool:
    """Tell whether a line may break on either side of this cluster (CJK, emoji and the like)."""
    return bool(cluster) and (unicodedata.east_asian_width(cluster[0]) in ("W", "F") or is_emoji(cluster))


def draws_nothing(ch: str) -> bool:
    """Tell whether a character is a control or format character that never draws ink."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs")
