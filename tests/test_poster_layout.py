"""Poster layout validation: defaults, scaled defaults, errors, colours and documentation of every field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from posterbooth.layout import PosterLayout, TextBlock


def test_minimal_layout_has_good_defaults() -> None:
    layout = PosterLayout.model_validate({})
    assert (layout.width, layout.height) == (1080, 1920)
    assert layout.image.y < layout.texts[0].y < layout.qr.y
    assert layout.qr.x + layout.qr.size > layout.width / 2
    assert layout.label.corner == "bottom-left" and layout.label.text == "AI生成"


def test_yaml_shape_from_the_campaign_docs() -> None:
    layout = PosterLayout.model_validate({
        "width": 1080, "height": 1920, "background": "#F6F1E7", "background_image": "poster-bg.jpg",
        "image": {"x": 60, "y": 220, "width": 960, "height": 960, "fit": "cover", "radius": 32, "border": 0,
                  "border_color": "#ffffff", "shadow": True},
        "texts": [{"text": "我的春游目的地：{{ outcome.title }}", "x": 60, "y": 1230, "width": 960,
                   "height": 120, "size": 64, "color": "#1F2A44", "align": "center", "font": "brand",
                   "max_lines": 2, "line_height": 1.25, "bold": False}],
        "logo": {"x": 60, "y": 60, "width": 260, "height": 100, "align": "left"},
        "qr": {"x": 820, "y": 1640, "size": 200, "caption": "扫码测测你的春游地", "caption_color": "#1F2A44",
               "caption_size": 28, "background": "#FFFFFF", "padding": 12},
        "label": {"text": "AI生成", "corner": "bottom-left", "color": "#FFFFFF", "background": "#00000099",
                  "margin": 24},
    })
    assert layout.image.border_color == "#FFFFFF"
    assert layout.label.background == "#00000099"


def test_scaled_defaults_fit_other_canvases() -> None:
    for width, height in ((1080, 1080), (1242, 2208), (750, 1334), (1600, 900)):
        layout = PosterLayout.model_validate({"width": width, "height": height})
        assert layout.image.x + layout.image.width <= width


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"image": {"x": 200, "y": 100, "width": 960, "height": 960}}, "image box"),
        ({"texts": [{"text": "x", "x": 100, "y": 1900, "width": 500, "height": 100}]}, "texts[0] box"),
        ({"qr": {"x": 1000, "y": 1600, "size": 200}}, "QR tile"),
        ({"logo": {"x": 900, "y": 10, "width": 300, "height": 80}}, "logo box"),
        ({"background": "red"}, "colour must be"),
        ({"background": "#12345"}, "colour must be"),
        ({"texts": [{"text": "x", "color": "#GGGGGG"}]}, "colour must be"),
        ({"texts": [{"text": "x", "font": "comic"}]}, "brand"),
        ({"texts": [{"text": "x", "size": 80, "height": 60}]}, "smaller than its font size"),
        ({"image": {"fit": "stretch"}}, "cover"),
        ({"label": {"text": "Hello"}}, "AI"),
        ({"label": {"corner": "middle"}}, "bottom-left"),
        ({"background_image": "../secret.png"}, "file name"),
        ({"background_image": "bg.gif"}, "file name"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
        ({"image": {"zoom": 2}}, "Extra inputs are not permitted"),
        ({"width": 100}, "greater than or equal to 320"),
    ],
)
def test_layout_validation_errors(data: dict, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        PosterLayout.model_validate(data)
    assert message in str(info.value)


def test_colours_are_normalized() -> None:
    block = TextBlock(text="x", color="#abc")
    assert block.color == "#AABBCC"
    assert TextBlock(text="x", color="#11223380").color == "#11223380"
    assert TextBlock(text="x", color="#112233ff").color == "#112233"


def test_every_field_is_described() -> None:
    from posterbooth.layout import AiLabel, ImageBox, LogoBox, QrBox

    for model in (PosterLayout, ImageBox, TextBlock, LogoBox, QrBox, AiLabel):
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_every_field_is_in_the_layout_docs() -> None:
    from posterbooth.layout import AiLabel, ImageBox, LogoBox, QrBox

    doc = (Path(__file__).resolve().parent.parent / "docs" / "poster-layout.md").read_text(encoding="utf-8")
    for model in (PosterLayout, ImageBox, TextBlock, LogoBox, QrBox, AiLabel):
        for name in model.model_fields:
            assert f"| `{name}` |" in doc, f"{model.__name__}.{name} is missing from docs/poster-layout.md"
