"""Small charts drawn on the server as inline SVG (bars) with HTML labels: no library, no external request.

Labels are HTML text beside or below the SVG, so they stay readable at any width (laptop or phone) while
the bars stretch to fit.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR = "#3b5bdb"
BAR_SOFT = "#dbe4ff"
FAIL = "#e03131"


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def hbars(rows: Sequence[tuple[str, int, str]], *, title: str) -> Markup:
    """Return horizontal bars, one per (label, value, note shown after the value), scaled to the largest."""
    top = max((value for _l, value, _n in rows), default=0) or 1
    parts = [f'<div class="hbars" role="img" aria-label="{escape(title)}">']
    for label, value, note in rows:
        share = 100 * value / top
        parts.append(
            f'<div class="hbar"><span class="hbar-label" title="{escape(label)}">{escape(label)}</span>'
            f'<svg class="hbar-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect width="100" height="10" rx="1.5" fill="{BAR_SOFT}"/>'
            + (f'<rect width="{_fmt(max(share, 0.8))}" height="10" rx="1.5" fill="{BAR}"/>' if value else "")
            + f'</svg><span class="hbar-value">{value}'
            + (f' <small>{escape(note)}</small>' if note else "") + "</span></div>"
        )
    parts.append("</div>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def columns(done: Sequence[int], failed: Sequence[int], labels: Sequence[str], *, title: str) -> Markup:
    """Return stacked columns over time (posters, failures on top) with a few time labels below."""
    count = max(1, len(done))
    top = max((d + f for d, f in zip(done, failed, strict=False)), default=0) or 1
    step = 100 / count
    parts = [f'<figure class="columns" role="img" aria-label="{escape(title)}"><span class="columns-top">{top}'
             '</span><svg viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">']
    for index, (good, bad) in enumerate(zip(done, failed, strict=False)):
        x = index * step + step * 0.1
        good_h, bad_h = 100 * good / top, 100 * bad / top
        if good:
            parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(100 - good_h)}" width="{_fmt(step * 0.8)}" '
                         f'height="{_fmt(good_h)}" fill="{BAR}"><title>{good}</title></rect>')
        if bad:
            parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(100 - good_h - bad_h)}" width="{_fmt(step * 0.8)}" '
                         f'height="{_fmt(bad_h)}" fill="{FAIL}"><title>{bad}</title></rect>')
    parts.append('</svg><figcaption class="columns-axis">')
    every = max(1, count // 4)
    parts += [f"<span>{escape(labels[index])}</span>" for index in range(0, count, every)]
    parts.append("</figcaption></figure>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()
