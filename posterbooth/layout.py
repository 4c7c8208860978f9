"""The poster layout of a campaign: canvas, image box, text blocks, logo, QR code and AI label."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

#: Canvas size the default layout is designed for; other sizes get scaled defaults.
BASE_WIDTH = 1080
BASE_HEIGHT = 1920

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_ASSET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\.(?:jpe?g|png|webp)", re.IGNORECASE)


def _normalize_color(value: str) -> str:
    """Return a colour as #RRGGBB or #RRGGBBAA, upper case."""
    text = value.strip()
    if not _HEX.fullmatch(text):
        raise ValueError(f"colour must be #RGB, #RGBA, #RRGGBB or #RRGGBBAA (got {value!r})")
    digits = text[1:]
    if len(digits) in (3, 4):
        digits = "".join(ch * 2 for ch in digits)
    if digits[6:].upper() == "FF":
        digits = digits[:6]
    return "#" + digits.upper()


def _check_asset_name(value: str | None) -> str | None:
    if value is None:
        return None
    if not _ASSET_NAME.fullmatch(value):
        raise ValueError(
            f"background_image must be a file name in the campaign folder ending in .jpg, .png or "
            f".webp, without folders (got {value!r})"
        )
    return value


Color = Annotated[str, AfterValidator(_normalize_color)]
AssetName = Annotated[str | None, AfterValidator(_check_asset_name)]


def rgba(color: str) -> tuple[int, int, int, int]:
    """Return a validated colour string as an (r, g, b, a) tuple."""
    digits = _normalize_color(color)[1:]
    if len(digits) == 6:
        digits += "FF"
    return tuple(int(digits[i : i + 2], 16) for i in range(0, 8, 2))  # type: ignore[return-value]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageBox(_Model):
    """Where the generated image goes and how it is framed."""

    x: int = Field(60, ge=0, description="Left edge of the image box, in canvas pixels.")
    y: int = Field(150, ge=0, description="Top edge of the image box, in canvas pixels.")
    width: int = Field(960, gt=0, description="Width of the image box, in pixels.")
    height: int = Field(960, gt=0, description="Height of the image box, in pixels.")
    fit: Literal["cover", "contain", "outpaint"] = Field(
        "cover",
        description="cover: fill the box and crop the overflow; contain: show the whole image, "
        "centred, with the poster background around it; outpaint: extend the picture to the box's ratio "
        "(the nearest of 1:1, 4:3, 3:4, 16:9, 9:16) before composing, so it fills the box uncropped.",
    )
    radius: int = Field(32, ge=0, description="Corner radius of the image, in pixels (0 = square).")
    border: int = Field(0, ge=0, le=64, description="Width of a frame drawn around the image (0 = none).")
    border_color: Color = Field("#FFFFFF", description="Colour of the frame.")
    shadow: bool = Field(True, description="Draw a soft drop shadow under the image.")


class TextBlock(_Model):
    """A block of text rendered from a Jinja template and wrapped into a box."""

    text: str = Field(
        description="Jinja template of the text, rendered in a sandbox with the participation's "
        "context (e.g. {{ outcome.title }}). Empty results draw nothing.",
        max_length=2000,
    )
    x: int = Field(60, ge=0, description="Left edge of the text box, in canvas pixels.")
    y: int = Field(0, ge=0, description="Top edge of the text box, in canvas pixels.")
    width: int = Field(960, gt=0, description="Width of the text box; lines wrap at this width.")
    height: int = Field(120, gt=0, description="Height of the text box; text beyond it is cut with '…'.")
    size: int = Field(48, ge=8, le=400, description="Font size in pixels.")
    color: Color = Field("#1F2A44", description="Text colour (an alpha channel makes it translucent).")
    align: Literal["left", "center", "right"] = Field("center", description="Horizontal alignment.")
    valign: Literal["top", "middle", "bottom"] = Field(
        "top", description="Vertical alignment of the lines inside the box."
    )
    font: Literal["brand", "default"] = Field(
        "brand",
        description="brand: the campaign's font file first, every character it lacks from the font chain "
        "(Latin face, CJK face, bundled Noto Sans CJK SC, colour emoji); default: the chain without the brand font.",
    )
    max_lines: int = Field(2, ge=1, le=20, description="At most this many lines; the last one ends in '…'.")
    line_height: float = Field(
        1.25, ge=0.8, le=3.0, description="Line spacing as a multiple of the font size."
    )
    bold: bool = Field(
        False, description="Draw the text heavier: a font's bold file where it has one, else a thin outline in the "
        "text colour (faux bold)."
    )
    shrink_to_fit: bool = Field(
        True, description="Before cutting text with '…', try smaller sizes down to min_size."
    )
    min_size: int | None = Field(
        None, ge=8, description="Smallest size shrink_to_fit may use; default 75% of size."
    )
    balance: bool = Field(
        True, description="Even out the line lengths of wrapped text (no lone word on the last line)."
    )

    @model_validator(mode="after")
    def _fits_one_line(self) -> TextBlock:
        if self.height < self.size:
            raise ValueError(
                f"text box height {self.height} is smaller than its font size {self.size}: "
                "not even one line fits"
            )
        if self.min_size is not None and self.min_size > self.size:
            raise ValueError(f"min_size {self.min_size} is larger than size {self.size}")
        return self


class LogoBox(_Model):
    """Where the campaign's logo asset is drawn (contain-fitted, never cropped)."""

    x: int = Field(60, ge=0, description="Left edge of the logo box, in canvas pixels.")
    y: int = Field(44, ge=0, description="Top edge of the logo box, in canvas pixels.")
    width: int = Field(300, gt=0, description="Width of the logo box, in pixels.")
    height: int = Field(72, gt=0, description="Height of the logo box, in pixels.")
    align: Literal["left", "center", "right"] = Field(
        "left", description="Where the logo sits in its box when it is narrower than the box."
    )


class QrBox(_Model):
    """The QR code tile and its caption."""

    x: int = Field(836, ge=0, description="Left edge of the QR tile, in canvas pixels.")
    y: int = Field(1624, ge=0, description="Top edge of the QR tile, in canvas pixels.")
    size: int = Field(184, ge=64, le=2000, description="Width and height of the QR tile, in pixels.")
    caption: str = Field(
        "扫码生成你的海报",
        max_length=200,
        description="Line under the QR tile (a Jinja template like the text blocks; empty = none).",
    )
    caption_color: Color = Field("#5B6475", description="Colour of the caption.")
    caption_size: int = Field(24, ge=10, le=120, description="Font size of the caption, in pixels.")
    background: Color = Field("#FFFFFF", description="Colour of the tile behind the code (keep it light).")
    padding: int = Field(12, ge=0, le=200, description="Space between the tile edge and the code, in pixels.")

    def caption_height(self) -> int:
        """Return the height the caption takes under the tile (0 without a caption)."""
        return round(self.caption_size * 1.9) if self.caption.strip() else 0


#: The visible label of English campaigns that do not set one: the legally required Chinese, and English.
ENGLISH_AI_LABEL = "AI生成 · AI-generated"


class AiLabel(_Model):
    """The visible "AI生成" mark required by GB 45438-2025."""

    text: str = Field(
        "AI生成", min_length=2, max_length=20,
        description="Label text; must say AI or 人工智能. English campaigns (locale: en) that leave it out get "
        "AI生成 · AI-generated.",
    )
    corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = Field(
        "bottom-left", description="Corner of the poster (and share card) where the label sits."
    )
    color: Color = Field("#FFFFFF", description="Text colour of the label.")
    background: Color = Field(
        "#1F2A44CC",
        description="Colour of the pill behind the label (alpha allowed); made more opaque or swapped "
        "when the label text would not stand out enough from what is behind it.",
    )
    margin: int = Field(60, ge=0, le=400, description="Distance from the two edges of the corner, in pixels.")
    size: int | None = Field(
        None,
        ge=8,
        le=400,
        description="Font size in pixels. The composer never draws the label smaller than the legal "
        "minimum (text height at least 5% of the image's shortest side); leave empty for that minimum.",
    )

    @model_validator(mode="after")
    def _says_ai(self) -> AiLabel:
        if "AI" not in self.text.upper() and "人工智能" not in self.text:
            raise ValueError(
                f"label text must say it is AI-generated (AI生成 / 人工智能生成), got {self.text!r}"
            )
        return self


def _default_texts() -> list[TextBlock]:
    return [
        TextBlock(
            text="{{ outcome.title }}", x=60, y=1140, width=960, height=180, size=72,
            bold=True, max_lines=2, line_height=1.25, valign="middle",
        ),
        TextBlock(
            text="{{ outcome.description }}", x=110, y=1362, width=860, height=158, size=38,
            color="#5B6475", max_lines=3, line_height=1.55,
        ),
        TextBlock(
            text="{{ campaign.title }}", x=60, y=1626, width=700, height=56, size=36,
            bold=True, max_lines=1, align="left",
        ),
    ]


def _wide_defaults(width: int, height: int) -> dict[str, Any]:
    """Return default parts for a landscape canvas: the image on the left, words on the right."""
    m = round(height * 0.06)
    side = height - 2 * m
    x0 = m + side + m
    col = width - x0 - m
    qr_size = max(64, round(height * 0.2))
    caption = max(10, round(height * 0.024))
    qr_y = height - m - qr_size - round(caption * 1.9)
    texts = [
        {"text": "{{ outcome.title }}", "x": x0, "y": round(height * 0.16), "width": col,
         "height": round(height * 0.2), "size": max(8, round(height * 0.075)), "bold": True, "max_lines": 2,
         "align": "left", "valign": "bottom"},
        {"text": "{{ outcome.description }}", "x": x0, "y": round(height * 0.4), "width": col,
         "height": round(height * 0.2), "size": max(8, round(height * 0.036)), "color": "#5B6475",
         "max_lines": 3, "line_height": 1.55, "align": "left"},
        {"text": "{{ campaign.title }}", "x": x0, "y": qr_y, "width": max(1, col - qr_size - m),
         "height": max(8, round(height * 0.06)), "size": max(8, round(height * 0.034)), "bold": True,
         "max_lines": 1, "align": "left"},
    ]
    return {
        "image": {"x": m, "y": m, "width": side, "height": side},
        "texts": texts,
        "logo": {"x": x0, "y": m, "width": min(col, round(height * 0.3)), "height": round(height * 0.075)},
        "qr": {"x": width - m - qr_size, "y": qr_y, "size": qr_size, "caption_size": caption,
               "padding": max(4, round(qr_size * 0.065))},
        "label": {"margin": m + round(height * 0.03)},
    }


def _scaled_defaults(width: int, height: int) -> dict[str, Any]:
    """Return the default parts scaled from the 1080×1920 design to another canvas size."""
    if width >= 1.3 * height:
        return _wide_defaults(width, height)
    sx, sy = width / BASE_WIDTH, height / BASE_HEIGHT
    s = min(sx, sy)

    def box(model: BaseModel, square: bool = False) -> dict[str, Any]:
        data = model.model_dump()
        data["x"] = round(data["x"] * sx)
        data["y"] = round(data["y"] * sy)
        if square:
            data["size"] = max(64, round(data["size"] * s))
        else:
            data["width"] = max(1, round(data["width"] * sx))
            data["height"] = max(1, round(data["height"] * sy))
        return data

    texts = []
    for block in _default_texts():
        data = box(block)
        data["size"] = max(8, round(block.size * s))
        data["height"] = max(data["height"], data["size"])
        texts.append(data)
    qr = box(QrBox(), square=True)
    qr["caption_size"] = max(10, round(QrBox().caption_size * s))
    qr["padding"] = max(4, round(QrBox().padding * s))
    qr["x"] = min(qr["x"], width - qr["size"])
    label = {"margin": round(AiLabel().margin * s)}  # the text stays unset: English campaigns get their own
    return {"image": box(ImageBox()), "texts": texts, "logo": box(LogoBox()), "qr": qr, "label": label}


class PosterLayout(_Model):
    """The whole poster: canvas and the parts drawn on it."""

    width: int = Field(BASE_WIDTH, ge=320, le=4096, description="Canvas width in pixels.")
    height: int = Field(BASE_HEIGHT, ge=320, le=4096, description="Canvas height in pixels.")
    background: Color = Field("#F6F1E7", description="Canvas colour, under everything else.")
    background_image: AssetName = Field(
        None,
        description="File name of an image in the campaign folder that covers the canvas "
        "(cover-fitted); the background colour shows through its transparent parts.",
    )
    image: ImageBox = Field(default_factory=ImageBox, description="Box of the generated image.")
    photo: ImageBox | None = Field(
        None,
        description="Photo campaigns: box of the attendee's own photo, framed like the image and drawn "
        "over it (e.g. a small 'before' in a corner of the 'after'); null = not drawn.",
    )
    texts: list[TextBlock] = Field(
        default_factory=_default_texts,
        max_length=12,
        description="Text blocks, drawn in order. Default: the outcome title, its description and, "
        "at the bottom left, the campaign title.",
    )
    logo: LogoBox | None = Field(
        default_factory=LogoBox,
        description="Box of the campaign logo (drawn only when the campaign has a logo); null = no logo.",
    )
    qr: QrBox | None = Field(
        default_factory=QrBox, description="QR code tile linking to the campaign; null = no QR code."
    )
    label: AiLabel = Field(
        default_factory=AiLabel, description="The visible AI-generated label (always drawn)."
    )

    @model_validator(mode="before")
    @classmethod
    def _scale_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        width, height = data.get("width", BASE_WIDTH), data.get("height", BASE_HEIGHT)
        if (width, height) == (BASE_WIDTH, BASE_HEIGHT) or not all(
            isinstance(v, int) and 320 <= v <= 4096 for v in (width, height)
        ):
            return data
        defaults = _scaled_defaults(width, height)
        return {**{k: v for k, v in defaults.items() if k not in data}, **data}

    @model_validator(mode="after")
    def _inside_canvas(self) -> PosterLayout:
        def check(name: str, x: int, y: int, w: int, h: int) -> None:
            if x + w > self.width or y + h > self.height:
                raise ValueError(
                    f"{name} (x={x}, y={y}, {w}×{h}) reaches past the {self.width}×{self.height} canvas"
                )

        check("image box", self.image.x, self.image.y, self.image.width, self.image.height)
        if self.photo is not None:
            check("photo box", self.photo.x, self.photo.y, self.photo.width, self.photo.height)
            if self.photo.radius * 2 > min(self.photo.width, self.photo.height):
                raise ValueError("photo radius is more than half the photo box")
        for i, block in enumerate(self.texts):
            check(f"texts[{i}] box", block.x, block.y, block.width, block.height)
        if self.logo is not None:
            check("logo box", self.logo.x, self.logo.y, self.logo.width, self.logo.height)
        if self.qr is not None:
            check("QR tile with its caption", self.qr.x, self.qr.y, self.qr.size,
                  self.qr.size + self.qr.caption_height())
            if self.qr.size - 2 * self.qr.padding < 64:
                raise ValueError(f"QR padding {self.qr.padding} leaves less than 64 px for the code")
        if self.image.radius * 2 > min(self.image.width, self.image.height):
            raise ValueError("image radius is more than half the image box")
        if self.label.margin * 4 > min(self.width, self.height):
            raise ValueError(f"label margin {self.label.margin} is too large for the canvas")
        return self
