"""Offline photo kinds, part by part: face finding, sketch colouring, product cut-outs and memes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

from posterbooth.fonts import find_cjk_font, has_glyphs
from posterbooth.providers.photo import (
    colour_sketch,
    cut_out,
    find_face,
    meme_gif,
    render_offline,
)
from posterbooth.providers.photo.sketch import choose_palette
from tests.photo_samples import (
    PORTRAIT_A,
    PORTRAIT_B,
    pixels,
    rendered,
    save_sample,
    synthetic_portrait,
    synthetic_product,
    synthetic_sketch,
)

# -- faces --------------------------------------------------------------------------------------------------------


def test_face_is_found_on_a_portrait_and_guessed_otherwise() -> None:
    for params, centre_x in ((PORTRAIT_A, 384), (PORTRAIT_B, 384 + 0.12 * 768)):
        box = find_face(np.asarray(synthetic_portrait(**params)))
        assert box.found
        cx, cy = box.centre
        assert abs(cx - centre_x) < 40 and 300 < cy < 560, box
        assert 150 < box.width < 330
    plain = np.full((600, 800, 3), (40, 90, 200), np.uint8)
    guess = find_face(plain)
    assert not guess.found and abs(guess.centre[0] - 400) < 2
    assert not find_face(np.asarray(synthetic_product())).found


# -- sketches -------------------------------------------------------------------------------------------------------


def test_sketch_regions_are_filled_and_lines_kept() -> None:
    sketch = np.asarray(synthetic_sketch())
    out = colour_sketch(sketch, "", 1).astype(np.float32)
    assert out.shape == sketch.shape
    ink = sketch[..., 0] < 100
    assert out[ink].mean() < 90, "lines must stay dark"
    wall = out[int(768 * 0.62), int(1024 * 0.27)]  # inside the house
    assert not (wall > 235).all(), "closed regions must be coloured, not left white"
    top = out[5:40].reshape(-1, 3).mean(axis=0)
    assert top[2] > top[0], "the region along the top edge is sky"


def test_sketch_palette_follows_the_prompt() -> None:
    sketch = np.asarray(synthetic_sketch(photo=True))
    day = colour_sketch(sketch, "sunny spring", 1).astype(np.float32)
    night = colour_sketch(sketch, "夜晚 星空", 1).astype(np.float32)
    assert night[5:60].mean() < day[5:60].mean() - 80, "a night prompt gives a dark sky"
    colours, _, _ = choose_palette("蓝色的房子")
    assert np.allclose(colours[0] * 255, (0x4A, 0x90, 0xE2), atol=1)


# -- products --------------------------------------------------------------------------------------------------------


def test_product_is_cut_out_of_its_studio_shot() -> None:
    product = np.asarray(synthetic_product())
    mask = cut_out(product)
    assert mask.shape == product.shape[:2]
    assert mask[int(900 * 0.6), 450] > 0.9 and mask[int(900 * 0.17), 450] > 0.9  # body and cap
    assert mask[50, 50] < 0.1 and mask[int(900 * 0.6), 120] < 0.1 and mask[880, 800] < 0.1
    share = float((mask > 0.5).mean())
    assert 0.08 < share < 0.25


def test_product_backdrop_follows_the_prompt_and_transparency_is_used() -> None:
    studio, _ = rendered("product_background", prompt="")
    scene, _ = rendered("product_background", prompt="海边 沙滩 夏天")
    blue, _ = rendered("product_background", prompt="blue")
    save_sample("product_scene", scene, "image/jpeg")
    assert np.abs(pixels(studio) - pixels(scene)).mean() > 15
    corner = pixels(blue)[20:120, 20:120].reshape(-1, 3).mean(axis=0)
    assert corner[2] > corner[0] + 40, "a blue prompt gives a blue studio"
    rgba = np.zeros((400, 300, 4), np.uint8)
    rgba[100:380, 90:210] = (200, 40, 40, 255)
    data, _ = render_offline("product_background", {"product": Image.fromarray(rgba)}, "", "", 1, (512, 512))
    out = pixels(data)
    assert np.abs(out[300, 256] - (200, 40, 40)).max() < 30, "the product keeps its colour"
    assert np.abs(out[60, 60] - (200, 40, 40)).max() > 60, "the transparent area shows the backdrop"


# -- memes ------------------------------------------------------------------------------------------------


def frames_of(data: bytes) -> list[np.ndarray]:
    """Return every frame of a GIF as an RGB array."""
    image = Image.open(io.BytesIO(data))
    return [np.asarray(frame.convert("RGB"), np.float32) for frame in ImageSequence.Iterator(image)]


@pytest.mark.parametrize("motion", ["bounce", "zoom", "shake", "tilt"])
def test_meme_moves(motion: str) -> None:
    data = meme_gif(np.asarray(synthetic_portrait()), "加油", motion, 3, 320)
    frames = frames_of(data)
    assert len(frames) >= 8 and frames[0].shape == (320, 320, 3)
    stage = slice(0, 240)  # above the caption band
    changes = [np.abs(frames[i][stage] - frames[0][stage]).mean() for i in range(1, len(frames))]
    assert max(changes) > 3, f"{motion}: the face does not move"
    band = [np.abs(frame[260:] - frames[0][260:]).mean() for frame in frames]
    assert max(band) < 1.0, "the caption stays still"
    assert Image.open(io.BytesIO(data)).info.get("loop") == 0


def test_meme_caption_draws_chinese_not_tofu() -> None:
    assert has_glyphs(find_cjk_font(), "今天也要加油中文测试")
    photo = np.asarray(synthetic_portrait())
    first = frames_of(meme_gif(photo, "今天也要加油", "zoom", 3, 320))[0]
    second = frames_of(meme_gif(photo, "中文测试成功", "zoom", 3, 320))[0]
    plain = frames_of(meme_gif(photo, "", "zoom", 3, 320))[0]
    band = slice(250, 320)
    # Missing glyphs would draw the same boxes for any six characters.
    assert np.abs(first[band] - second[band]).mean() > 3
    assert first[band].std() > 30 and np.abs(first[band] - plain[band]).mean() > 5
    # The caption is white text with a dark outline.
    assert (first[band] > 240).all(axis=2).sum() > 500 and (first[band] < 40).all(axis=2).sum() > 300


def test_meme_caption_is_wrapped_and_gif_stays_small() -> None:
    data = meme_gif(np.asarray(synthetic_portrait()), "Keep calm and carry on 今天也要加油鸭 always", "shake", 5,
                    480)
    assert len(data) < 2 * 1024 * 1024
    image = Image.open(io.BytesIO(data))
    assert image.size == (480, 480) and image.n_frames > 1
    band = np.asarray(image.convert("L"), np.float32)[366:]
    text_rows = np.nonzero((band > 240).sum(axis=1) > 3)[0]
    assert len(text_rows) > 0
    gaps = np.diff(text_rows)
    assert (gaps > 3).any(), "a long caption breaks into two lines"
