"""Small charts as inline SVG, drawn on the server: no chart library, no external request."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#3b5bdb"
BAR_SOFT = "#dbe4ff"
FAIL = "#e03131"
INK = "#1f2430"
MUTED = "#6b7280"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def hbars(rows: Sequence[tuple[str, int, str]], *, title: str, width: int = 560, row: int = 30,
          label_width: int = 150) -> Markup:
    """Return horizontal bars: (label, value, note shown after the value) per row, scaled to the largest."""
    height = max(row, row * len(rows)) + 4
    top = max((value for _l, value, _n in rows), default=0) or 1
    span = width - label_width - 90
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for index, (label, value, note) in enumerate(rows):
        y = index * row + 2
        bar = max(2.0, span * value / top) if value else 0
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + row / 2 + 4:.0f}" text-anchor="end" font-size="13" '
            f'fill="{INK}"><title>{escape(label)}</title>{escape(short)}</text>'
            f'<rect x="{label_width}" y="{y + 5}" width="{span}" height="{row - 10}" rx="4" fill="{BAR_SOFT}"/>'
            f'<rect x="{label_width}" y="{y + 5}" width="{_fmt(bar)}" height="{row - 10}" rx="4" fill="{BAR}"/>'
            f'<text x="{label_width + span + 8}" y="{y + row / 2 + 4:.0f}" font-size="13" fill="{INK}" '
            f'font-weight="600">{value}<tspan fill="{MUTED}" font-weight="400"> {escape(note)}</tspan></text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def columns(done: Sequence[int], failed: Sequence[int], labels: Sequence[str], *, title: str,
            width: int = 560, height: int = 150) -> Markup:
    """Return stacked columns (posters, and failures on top) over time, with a few time labels."""
    count = max(1, len(done))
    top = max((d + f for d, f in zip(done, failed, strict=False)), default=0) or 1
    plot = height - 24
    step = width / count
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<line x1="0" y1="{plot}" x2="{width}" y2="{plot}" stroke="#d0d5dd"/>',
             f'<text x="2" y="12" font-size="11" fill="{MUTED}">{top}</text>']
    for index, (good, bad) in enumerate(zip(done, failed, strict=False)):
        x = index * step + 1
        good_h = plot * good / top
        bad_h = plot * bad / top
        if good:
            parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(plot - good_h)}" width="{_fmt(step - 2)}" '
                         f'height="{_fmt(good_h)}" fill="{BAR}"><title>{good}</title></rect>')
        if bad:
            parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(plot - good_h - bad_h)}" width="{_fmt(step - 2)}" '
                         f'height="{_fmt(bad_h)}" fill="{FAIL}"><title>{bad}</title></rect>')
    every = max(1, count // 6)
    for index in range(0, count, every):
        parts.append(f'<text x="{_fmt(index * step + 1)}" y="{height - 6}" font-size="11" '
                     f'fill="{MUTED}">{escape(labels[index])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
