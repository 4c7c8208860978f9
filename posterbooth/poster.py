"""Compose the poster and the share card from a generated image and the campaign's layout."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from posterbooth import aigc as aigc_meta
from posterbooth.aigc import AigcRecord
from posterbooth.glyphs import chain_font
from posterbooth.imaging import (
    PosterAssets,
    asset_key,
    base_layer,
    contain_size,
    cover,
    draw_generated,
    open_asset,
    prepare_generated,
    resize,
    rounded_mask,
)
from posterbooth.layout import PosterLayout, QrBox, TextBlock, rgba
from posterbooth.qr import qr_image
from posterbooth.textdraw import (
    LABEL_MIN_CONTRAST,
    LABEL_MIN_HEIGHT_RATIO,
    DrawnText,
    backdrop_of,
    block_fonts,
    contrast_ratio,
    draw_label,
    draw_lines,
    draw_text_block,
    label_font_size,
    visible_text,
)
from posterbooth.textlayout import (
    ELLIPSIS,
    NO_LINE_END,
    NO_LINE_START,
    FittedText,
    balance_lines,
    ellipsize,
    fit_text,
    lines_that_fit,
    text_units,
    wrap_text,
)

__all__ = [
    "ELLIPSIS", "JPEG_QUALITY", "LABEL_MIN_CONTRAST", "LABEL_MIN_HEIGHT_RATIO", "NO_LINE_END", "NO_LINE_START",
    "SHARE_CARD_SIZE", "ComposedPoster", "DrawnText", "FittedText", "PosterAssets", "balance_lines", "compose_poster",
    "contain_size", "contrast_ratio", "cover", "draw_label", "draw_lines", "ellipsize", "encode_jpeg", "fit_text",
    "label_font_size", "lines_that_fit", "render_poster", "resize", "text_units", "wrap_text",
]

#: JPEG quality of the poster and the share card.
JPEG_QUALITY = 88
#: Size of the share card used for link previews (1.91:1).
SHARE_CARD_SIZE = (1200, 630)


@dataclass(frozen=True)
class ComposedPoster:
    """The encoded poster and share card."""

    poster_jpeg: bytes
    share_card_jpeg: bytes
    width: int
    height: int


# --------------------------------------------------------------------------- QR code


def _draw_qr(canvas: Image.Image, qr: QrBox, url: str, caption: str, assets: PosterAssets,
             notes: list[DrawnText] | None = None) -> None:
    tile = qr.size
    radius = max(4, tile // 16)
    canvas.paste(rgba(qr.background)[:3], (qr.x, qr.y), rounded_mask(tile, tile, radius))
    code = qr_image(url, tile - 2 * qr.padding, border=2)
    canvas.paste(code, (qr.x + qr.padding, qr.y + qr.padding))
    caption = " ".join(caption.split())
    if not caption:
        return
    fonts = block_fonts("brand", assets)
    caption = visible_text(caption, fonts)
    font = chain_font(fonts, qr.caption_size)
    centre = qr.x + tile / 2
    room = min(2 * min(centre, canvas.width - centre) - 16, tile * 2)
    cut = font.getlength(caption) > room
    if cut:
        caption = ellipsize(caption, font, room)
    gap = round(qr.caption_size * 0.55)
    baseline = qr.y + tile + gap + qr.caption_size / 2 + font.center_offset(caption)
    width = font.getlength(caption)
    if notes is not None:
        box = (round(centre - room / 2), qr.y + tile + gap, round(room), qr.caption_size)
        backdrop, margin = backdrop_of(canvas, box, qr.caption_size)
        notes.append(DrawnText("poster", "qr caption", FittedText([caption], font, qr.caption_size, cut), box,
                               "center", "top", 1.0, rgba(qr.caption_color), backdrop, margin))
    font.draw(canvas, (centre - width / 2, baseline), caption, rgba(qr.caption_color))


# --------------------------------------------------------------------------- share card


def _share_card(layout: PosterLayout, image: Image.Image, texts: list[tuple[TextBlock, str, str]],
                assets: PosterAssets, notes: list[DrawnText] | None = None) -> Image.Image:
    """Return the 1200×630 link-preview card: the image on the left, the words on the right."""
    cw, ch = SHARE_CARD_SIZE
    canvas = Image.new("RGB", (cw, ch), rgba(layout.background)[:3])
    if assets.background_image is not None:
        bg = cover(open_asset(Path(assets.background_image)), cw, ch)
        canvas.paste(bg, (0, 0), bg)
    canvas.paste(cover(image, ch, ch), (0, 0))
    pad = 56
    left, width = ch + pad, cw - ch - 2 * pad
    blocks: list[tuple[FittedText, TextBlock, str]] = []
    sizes = (58, 32, 28)
    for (block, text, name), size in zip(texts[:3], sizes, strict=False):
        fonts = block_fonts(block.font, assets)
        text = visible_text(text, fonts)
        if not text.strip():
            continue
        fitted = fit_text(text, fonts, size=min(size, block.size), width=width, height=ch,
                          max_lines=3 if size == sizes[0] else 4, line_height=1.3, bold=block.bold,
                          balance=block.balance)
        blocks.append((fitted, block, name))
    gaps = [round(f.size * 0.9) for f, _, _ in blocks]
    heights = [(len(f.lines) - 1) * f.size * 1.3 + f.size for f, _, _ in blocks]
    total = sum(heights) + sum(gaps[:-1])
    top = (ch - total) / 2
    for (fitted, block, name), h, gap in zip(blocks, heights, gaps, strict=True):
        box = (left, round(top), width, round(h) + 1)
        if notes is not None:
            backdrop, margin = backdrop_of(canvas, box, fitted.size)
            notes.append(DrawnText("share card", name, fitted, box, "left", "top", 1.3, rgba(block.color),
                                   backdrop, margin))
        draw_lines(canvas, fitted, x=left, y=round(top), width=width, height=round(h) + 1, align="left",
                   valign="top", line_height=1.3, color=rgba(block.color))
        top += h + gap
    draw_label(canvas, layout.label, assets, margin=max(16, round(layout.label.margin * ch / min(
        layout.width, layout.height))))
    return canvas


# --------------------------------------------------------------------------- encoding and entry point


def encode_jpeg(image: Image.Image, record: AigcRecord) -> bytes:
    """Encode a JPEG (progressive, sRGB, no EXIF) that carries the implicit AIGC label."""
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=JPEG_QUALITY, progressive=True, subsampling="4:2:0",
               xmp=aigc_meta.xmp_packet(record), comment=aigc_meta.comment(record))
    return buf.getvalue()


def render_poster(layout: PosterLayout, generated: Image.Image, *, render_text: Callable[[str], str],
                  assets: PosterAssets, qr_url: str, photo: Image.Image | None = None,
                  notes: list[DrawnText] | None = None) -> tuple[Image.Image, Image.Image]:
    """Draw the poster and the share card as images (no encoding); ``photo`` fills ``layout.photo``.

    ``notes``, when given, receives every text drawn: its layout and the pixels behind it (for proof sheets).
    """
    background = rgba(layout.background)
    image = prepare_generated(generated, background)
    base = base_layer(layout.model_dump_json(), asset_key(assets.background_image),
                       asset_key(assets.logo if layout.logo is not None else None))
    canvas = base.copy()
    draw_generated(canvas, layout, image)
    if photo is not None and layout.photo is not None:
        draw_generated(canvas, layout, prepare_generated(photo, background), layout.photo)
    rendered: list[tuple[TextBlock, str, str]] = []
    for index, block in enumerate(layout.texts):
        text = render_text(block.text).strip()
        if not text:
            continue
        name = f"texts[{index}]"
        rendered.append((block, text, name))
        box = (block.x, block.y, block.width, block.height)
        backdrop, margin = backdrop_of(canvas, box, block.size) if notes is not None else (None, 0)
        fitted = draw_text_block(canvas, block, text, assets)
        if notes is not None and fitted is not None and backdrop is not None:
            notes.append(DrawnText("poster", name, fitted, box, block.align, block.valign, block.line_height,
                                   rgba(block.color), backdrop, margin))
    if layout.qr is not None:
        caption = render_text(layout.qr.caption) if layout.qr.caption.strip() else ""
        _draw_qr(canvas, layout.qr, qr_url, caption, assets, notes)
    draw_label(canvas, layout.label, assets)
    return canvas, _share_card(layout, image, rendered, assets, notes)


def compose_poster(layout: PosterLayout, generated: Image.Image, *, render_text: Callable[[str], str],
                   assets: PosterAssets, qr_url: str, aigc: AigcRecord,
                   photo: Image.Image | None = None) -> ComposedPoster:
    """Compose and encode the poster and its share card, both labelled as AI-generated."""
    poster, card = render_poster(layout, generated, render_text=render_text, assets=assets, qr_url=qr_url,
                                 photo=photo)
    return ComposedPoster(
        poster_jpeg=encode_jpeg(poster, aigc),
        share_card_jpeg=encode_jpeg(card, aigc),
        width=poster.width,
        height=poster.height,
    )
