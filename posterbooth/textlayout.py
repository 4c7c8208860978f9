"""Lay text out in a box: break lines (Chinese per character, Latin per word), shrink, cut with '…'."""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from posterbooth.clusters import clusters, is_wide
from posterbooth.fonts import FontChain
from posterbooth.glyphs import ChainFont, chain_font

#: Characters that must not start a line (Chinese closing punctuation and the like).
NO_LINE_START = frozenset("，。！？、；：」』）》〉】〕〗〙〛’”…‥·・～％,.!?;:)]}%")
#: Characters that must not end a line (opening brackets and quotes).
NO_LINE_END = frozenset("（「『《〈【〔〖〘〚‘“([{")
ELLIPSIS = "…"
_TRIM_BEFORE_ELLIPSIS = " \t，。、；：,.;:!！?？…-—·"

#: What text is measured with: a font chain at a size, or a single Pillow font.
Font = ChainFont | ImageFont.FreeTypeFont


def text_units(text: str) -> list[str]:
    """Split text into unbreakable units: one per CJK character or emoji, one per Latin word, spaces, newlines."""
    units: list[str] = []
    word: list[str] = []

    def flush() -> None:
        if word:
            units.append("".join(word))
            word.clear()

    for cluster in clusters(text):
        if cluster == "\n":
            flush()
            units.append("\n")
        elif cluster.isspace():
            flush()
            if not units or units[-1] != " ":
                units.append(" ")
        elif is_wide(cluster):
            flush()
            units.append(cluster)
        else:
            word.append(cluster)
    flush()
    return units


@functools.lru_cache(maxsize=16384)
def _unit_width(font: Font, unit: str) -> float:
    return font.getlength(unit)


def wrap_text(text: str, font: Font, max_width: float) -> list[str]:
    """Wrap text to max_width: Chinese per character, Latin per word, with line-start rules."""
    def width(unit: str) -> float:
        return _unit_width(font, unit)

    lines: list[str] = []
    cur: list[str] = []
    cur_w = 0.0

    def flush() -> None:
        nonlocal cur, cur_w
        while cur and cur[-1] == " ":
            cur.pop()
        lines.append("".join(cur))
        cur, cur_w = [], 0.0

    def start_line(units: list[str]) -> None:
        nonlocal cur, cur_w
        cur = list(units)
        cur_w = sum(width(u) for u in cur)

    queue = deque(text_units(text))
    while queue:
        unit = queue.popleft()
        if unit == "\n":
            flush()
            continue
        if unit == " " and not cur:
            continue
        w = width(unit)
        if cur_w + w <= max_width:
            cur.append(unit)
            cur_w += w
            continue
        if unit == " ":
            flush()
            continue
        if w > max_width and len(unit) > 1:
            if cur:  # a long word goes to a fresh line first
                flush()
                queue.appendleft(unit)
                continue
            # A single word wider than the line: break it between characters.
            cut = 1
            while cut < len(unit) and font.getlength(unit[: cut + 1]) <= max_width:
                cut += 1
            queue.appendleft(unit[cut:])
            start_line([unit[:cut]])
            flush()
            continue
        if not cur:
            start_line([unit])
            continue
        while cur and cur[-1] == " ":
            cur.pop()
        carry: list[str] = []
        if unit[0] in NO_LINE_START:
            # Take characters down from the end of the line so that the new line does not start
            # with closing punctuation; if the line would be left empty, let the punctuation hang.
            while len(cur) >= 2 and (not carry or carry[0][0] in NO_LINE_START):
                carry.insert(0, cur.pop())
            if not carry or carry[0][0] in NO_LINE_START or carry[0] == " ":
                cur.extend(carry)
                cur.append(unit)
                cur_w = sum(width(u) for u in cur)
                continue
        while len(cur) >= 2 and cur[-1][-1] in NO_LINE_END:
            carry.insert(0, cur.pop())
        flush()
        start_line([*carry, unit])
    if cur or not lines:
        flush()
    return lines


def ellipsize(line: str, font: Font, max_width: float) -> str:
    """Return the line cut short enough to end in '…' within max_width."""
    text = line.rstrip(_TRIM_BEFORE_ELLIPSIS)
    full = len(text)
    parts = clusters(text)
    while parts and font.getlength("".join(parts) + ELLIPSIS) > max_width:
        parts.pop()  # a whole emoji sequence or accented letter at a time
    text = "".join(parts)
    if len(text) < full and text and text[-1].isalnum() and not is_wide(text[-1]):
        # Cut inside a Latin word: back off to the previous word when that keeps most of the line.
        space = text.rfind(" ")
        if space > len(text) // 2:
            text = text[:space]
    return text.rstrip(_TRIM_BEFORE_ELLIPSIS) + ELLIPSIS


def balance_lines(text: str, font: Font, max_width: float, count: int) -> list[str]:
    """Wrap text into at most ``count`` lines of the narrowest width that still allows it."""
    lo, hi = max_width / 2, max_width
    best = wrap_text(text, font, hi)
    for _ in range(7):
        mid = (lo + hi) / 2
        lines = wrap_text(text, font, mid)
        if len(lines) <= count:
            hi, best = mid, lines
        else:
            lo = mid
    return best


def lines_that_fit(height: int, size: int, line_height: float, max_lines: int) -> int:
    """Return how many lines of this size fit in a box of this height (at least one)."""
    step = size * line_height
    return max(1, min(max_lines, int((height - size) // step) + 1))


@dataclass(frozen=True)
class FittedText:
    """Lines of a text block laid out in its box."""

    lines: list[str]
    font: ChainFont
    size: int
    truncated: bool

    def overflow(self, width: float, height: float, line_height: float) -> tuple[float, float]:
        """Return how far the lines reach past a box of this size (pixels across, pixels down; 0 when inside)."""
        widest = max((self.font.getlength(line) + 2 * self.font.outline(line) for line in self.lines if line),
                     default=0.0)
        block = (len(self.lines) - 1) * self.size * line_height + self.size
        return max(0.0, widest - width), max(0.0, block - height)


def fit_text(
    text: str,
    fonts: FontChain | Path | None,
    *,
    size: int,
    width: int,
    height: int,
    max_lines: int,
    line_height: float,
    shrink_to_fit: bool = True,
    min_size: int | None = None,
    bold: bool = False,
    balance: bool = False,
) -> FittedText:
    """Wrap text into a box, shrinking the font down to min_size and then cutting with '…'.

    ``fonts`` is the block's font chain (a path stands for a chain headed by that font file).
    """
    smallest = size if not shrink_to_fit else (min_size or max(8, round(size * 0.75)))
    candidate = size
    while True:
        font = chain_font(fonts, candidate, bold)
        room = width - 2 * font.outline(text)
        lines = wrap_text(text, font, room)
        limit = lines_that_fit(height, candidate, line_height, max_lines)
        if len(lines) <= limit:
            if balance and len(lines) > 1 and "\n" not in text:
                lines = balance_lines(text, font, room, len(lines))
            return FittedText(lines, font, candidate, False)
        if candidate <= smallest:
            kept = lines[:limit]
            kept[-1] = ellipsize(kept[-1], font, room)
            return FittedText(kept, font, candidate, True)
        candidate = max(smallest, min(candidate - 1, round(candidate * 0.94)))
