"""Offline photo kinds: every output is a valid picture, deterministic, and follows its input.

Test photos are drawn in tests/photo_samples.py (a portrait, a product shot, line art); nothing is committed.
Set PHOTO_SAMPLES=/some/dir to save each kind's output there for a visual check.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from posterbooth.providers.base import ProviderError
from posterbooth.providers.photo import (
    FILTER_ALIASES,
    FILTERS,
    KIND_INPUTS,
    OFFLINE_KINDS,
    apply_filter,
    canonical_filter,
    render_offline,
)
from tests.photo_samples import (
    SIZE,
    decode,
    inputs_for,
    pixels,
    render,
    rendered,
    save_sample,
    synthetic_portrait,
    synthetic_product,
    synthetic_sketch,
)

# -- every kind ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", OFFLINE_KINDS)
def test_kind_output_is_valid_deterministic_and_follows_the_input(kind: str) -> None:
    data, content_type = rendered(kind)
    save_sample(kind, data, content_type)
    image = decode(data)
    if kind == "meme":
        assert content_type == "image/gif" and image.format == "GIF"
        assert getattr(image, "is_animated", False) and image.n_frames > 1
        assert max(image.size) <= 480 and len(data) < 2 * 1024 * 1024
    else:
        assert content_type == "image/jpeg" and image.format == "JPEG" and image.mode == "RGB"
        assert min(image.size) >= 512 and max(image.size) <= 1024
    if kind in ("avatar", "product_background"):
        assert image.size == SIZE
    if kind == "image_to_image":
        assert image.size == (768, 1024)  # the portrait's aspect, fitted into the requested box
    if kind == "sketch_to_image":
        assert image.size == (1024, 768)
    if kind == "glam":
        assert image.size == (720, 960)  # the template's size, as Tencent answers
    assert render(kind) == (data, content_type), "same inputs must give the same bytes"
    other, _ = rendered(kind, variant=1)
    assert other != data
    changed = np.abs(pixels(other) - pixels(data))
    if kind == "glam":  # only the face changes: the template's face box
        from tests.glam_samples import face_box

        x, y, w, h = face_box((720, 960))
        changed = changed[y:y + h, x:x + w]
    difference = changed.mean()
    assert difference > 8.0, f"{kind}: output barely changes with a different input ({difference:.1f})"


def test_outputs_are_not_blank_or_a_copy_of_the_input() -> None:
    for kind in OFFLINE_KINDS:
        data, _ = rendered(kind)
        out = pixels(data)
        assert out.std() > 20, f"{kind} output is nearly flat"
        # The input as a plain copy at the output's size would look: centre-cropped and scaled to fit.
        source = next(iter(inputs_for(kind, 0).values())).convert("RGB")
        copy = np.asarray(ImageOps.fit(source, (out.shape[1], out.shape[0])), np.float32)
        assert np.abs(out - copy).mean() > 8, f"{kind} output is the input unchanged"


def test_try_on_says_it_needs_a_real_provider() -> None:
    with pytest.raises(ProviderError) as raised:
        render_offline("try_on", inputs_for("try_on", 0), "", "", 1, SIZE)
    assert raised.value.kind == "bad_request" and raised.value.code == "needs_real_provider"
    assert "real image provider" in raised.value.message and "ChangeClothes" in raised.value.message
    assert KIND_INPUTS["try_on"] == ("model", "garment")


def test_unknown_kinds_missing_inputs_and_bad_sizes_are_refused() -> None:
    photo = {"photo": synthetic_portrait()}
    for kind in ("text_to_image", "video", ""):
        with pytest.raises(ProviderError) as raised:
            render_offline(kind, photo, "", "", 1, SIZE)
        assert raised.value.code == "unsupported_kind"
    with pytest.raises(ProviderError) as raised:
        render_offline("avatar", {}, "", "", 1, SIZE)
    assert raised.value.code == "missing_input"
    with pytest.raises(ProviderError) as raised:
        render_offline("avatar", {"a": synthetic_portrait(), "b": synthetic_portrait(1)}, "", "", 1, SIZE)
    assert raised.value.code == "missing_input"
    with pytest.raises(ProviderError) as raised:
        render_offline("avatar", photo, "", "", 1, (32, 32))
    assert raised.value.code == "bad_size"
    # A kind with one input takes a lone image under another name (the question's id, say).
    assert render_offline("avatar", {"selfie": synthetic_portrait()}, "", "", 1, (256, 256))[1] == "image/jpeg"


@pytest.mark.parametrize("kind", OFFLINE_KINDS)
def test_odd_inputs_still_give_a_picture(kind: str) -> None:
    """Tiny, very thin, greyscale, blank and fully transparent inputs give a valid picture, not a crash."""
    rng = np.random.default_rng(0)
    odd = [
        Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)),
        Image.fromarray(rng.integers(0, 255, (2000, 64, 3), dtype=np.uint8)),
        Image.fromarray(rng.integers(0, 255, (64, 2000, 3), dtype=np.uint8)),
        Image.new("L", (300, 200), 128),
        Image.new("RGB", (300, 300), (0, 0, 0)),
        Image.new("RGB", (300, 300), (255, 255, 255)),
        Image.new("RGBA", (300, 300), (255, 0, 0, 0)),
    ]
    template = {"template": inputs_for("glam", 0)["template"]} if kind == "glam" else {}
    for image in odd:
        data, content_type = render_offline(kind, {KIND_INPUTS[kind][0]: image, **template}, "测试", "", 1, (512, 512))
        out = decode(data)
        assert out.format == content_type.split("/")[1].upper()
        assert out.size == (720, 960) if kind == "glam" else max(out.size) <= 512


# -- filters and styles -----------------------------------------------------------------------------------------


def test_every_filter_restyles_the_photo_and_keeps_its_size() -> None:
    source = np.asarray(synthetic_portrait().resize((384, 512)))
    outputs = {}
    for name in FILTERS:
        out = apply_filter(source, name, 3)
        assert out.shape == source.shape and out.dtype == np.uint8
        assert np.abs(out.astype(np.float32) - source).mean() > 4, name
        outputs[name] = out
    for a in FILTERS:
        for b in FILTERS:
            if a < b:
                assert np.abs(outputs[a].astype(np.float32) - outputs[b]).mean() > 4, (a, b)
    grey = outputs["pencil"].astype(np.float32)
    assert np.abs(grey[..., 0] - grey[..., 2]).mean() < 12  # pencil is graphite, not colour
    ink = outputs["ink"].astype(np.float32)
    seal = ink[-80:, -80:]
    assert (seal[..., 0] - seal[..., 2]).max() > 80  # the red seal, bottom right


def test_tencent_style_names_map_to_filters() -> None:
    assert set(FILTER_ALIASES.values()) <= set(FILTERS)
    expected = {"104": "watercolor", "201": "cartoon", "107": "cartoon", "132": "pencil", "203": "ink",
                "gufeng": "ink", "water": "watercolor", "comic": "cartoon", "cartoon": "cartoon",
                "shuimo": "ink", "youhua": "oil", "xiangsu": "pixel", "水彩": "watercolor", "素描": "pencil"}
    for style, name in expected.items():
        assert canonical_filter(style) == name, style
    # Every documented ImageToImage and GenerateAvatar style has a filter.
    for code in ["104", "107", "116", "201", "203", "210", *map(str, range(120, 136))]:
        if code in ("122",):
            continue
        assert code in FILTER_ALIASES, code
    for style in ("flower", "babi", "commerce", "wedding", "gufeng", "coin", "water", "retro", "amusement",
                  "astronaut", "cartoon", "star", "dopamine", "comic", "beach"):
        assert style in FILTER_ALIASES, style
    assert canonical_filter("", "画成水墨风格") == "ink"
    assert canonical_filter("unknown-style") == "cartoon"


def test_synthetic_inputs_are_drawn_as_intended() -> None:
    """Guard the fixtures: the portrait has a skin-coloured face, the product a red body, the sketch dark lines."""
    portrait = np.asarray(synthetic_portrait(), np.float32)
    assert np.abs(portrait[420, 384] - (224, 172, 140)).max() < 40
    product = np.asarray(synthetic_product(), np.float32)
    assert product[int(900 * 0.45), 450, 0] > 150 > product[int(900 * 0.45), 450, 2]
    sketch = cv2.cvtColor(np.asarray(synthetic_sketch()), cv2.COLOR_RGB2GRAY)
    assert (sketch < 60).mean() > 0.01
