"""The offline provider paints deterministic, prompt-driven, styled pictures without network or model."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from posterbooth.providers.base import GeneratedImage, GenerationRequest, Provider, ProviderError
from posterbooth.providers.offline import MODEL, OfflineProvider, paint
from posterbooth.providers.painter import canonical_style, read_prompt

SIZE = (256, 256)


def pixels(prompt: str, seed: int = 1, style: str = "", size: tuple[int, int] = SIZE) -> np.ndarray:
    return np.asarray(paint(prompt, seed, style, size), dtype=np.float32)


def luma(img: np.ndarray) -> np.ndarray:
    return img @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def test_provider_implements_the_protocol_and_returns_a_png() -> None:
    provider = OfflineProvider()
    assert isinstance(provider, Provider)
    assert provider.name == "offline"
    result = provider.start(GenerationRequest(prompt="春天的西湖", seed=3, style="watercolor", width=320,
                                              height=240))
    assert isinstance(result, GeneratedImage)
    assert (result.content_type, result.provider, result.model) == ("image/png", "offline", MODEL)
    assert result.data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(result.data))
    image.load()
    assert image.format == "PNG"
    assert image.size == (320, 240)
    assert image.mode == "RGB"


@pytest.mark.parametrize("size", [(768, 1024), (300, 200)])
def test_output_has_the_requested_size_including_non_square(size: tuple[int, int]) -> None:
    result = OfflineProvider().start(GenerationRequest(prompt="snowy mountains", seed=5, width=size[0],
                                                       height=size[1]))
    assert Image.open(io.BytesIO(result.data)).size == size


def test_same_inputs_give_byte_identical_png() -> None:
    request = GenerationRequest(prompt="a neon city skyline at night with stars", seed=42, style="anime",
                                width=256, height=320)
    first = OfflineProvider().start(request)
    second = OfflineProvider().start(request)
    assert first.data == second.data


def test_different_seeds_give_different_compositions() -> None:
    a = pixels("mountains and a lake", seed=1)
    b = pixels("mountains and a lake", seed=2)
    assert np.abs(a - b).mean() > 8.0


@pytest.mark.parametrize("style", ["watercolor", "anime", "ink", "3d"])
def test_each_style_renders_differently_from_the_default(style: str) -> None:
    base = pixels("婺源 油菜花田 徽派古村 春天", seed=7)
    styled = pixels("婺源 油菜花田 徽派古村 春天", seed=7, style=style)
    assert np.abs(base - styled).mean() > 4.0


def test_styles_differ_from_each_other() -> None:
    images = {s: pixels("大理 洱海 苍山 蓝天白云", seed=9, style=s) for s in ("watercolor", "anime", "ink", "3d")}
    names = list(images)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert np.abs(images[a] - images[b]).mean() > 4.0, (a, b)


def test_ink_is_nearly_monochrome_with_paper_white() -> None:
    img = pixels("snowy mountains at sunset", seed=4, style="shuimo")
    chroma = img.max(axis=2) - img.min(axis=2)
    assert np.median(chroma) < 20
    assert np.median(luma(img)) > 170


def test_style_aliases_map_to_looks() -> None:
    assert canonical_style("shuimo") == canonical_style("水墨") == "ink"
    assert canonical_style("riman") == canonical_style("dongman") == canonical_style("manhua") == "anime"
    assert canonical_style("3dxuanran") == "3d"
    assert canonical_style("watercolour") == canonical_style("水彩") == "watercolor"
    assert canonical_style("") == canonical_style("something-unknown") == "painterly"
    same = pixels("a quiet beach in summer", seed=2, style="shuimo")
    assert np.array_equal(same, pixels("a quiet beach in summer", seed=2, style="ink"))


@pytest.mark.parametrize("night_prompt", ["a lake under the mountains at night", "夜晚的湖边 山"])
def test_night_is_darker_than_a_summer_beach(night_prompt: str) -> None:
    night = luma(pixels(night_prompt, seed=3)).mean()
    beach = luma(pixels("a summer beach by the sea", seed=3)).mean()
    assert night < beach - 40


def test_chinese_and_english_keywords_both_read() -> None:
    zh = read_prompt("冬天 雪山 湖 夜")
    en = read_prompt("winter snowy mountain lake at night")
    for spec in (zh, en):
        assert (spec.season, spec.time, spec.water, spec.mountains) == ("winter", "night", "lake", "peaks")
        assert spec.snowcaps
    assert read_prompt("上海外滩夜景").water == "river"
    assert read_prompt("上海外滩夜景").city
    assert read_prompt("春天的西湖，柳树和桃花").flowers == "peach"
    assert read_prompt("the four seasons").water == ""


def test_snow_adds_bright_pixels() -> None:
    snowy = luma(pixels("snow falling on a village in the hills", seed=6))
    green = luma(pixels("a village in the hills in summer", seed=6))
    assert (snowy > 225).mean() > (green > 225).mean() + 0.05


def test_keywords_change_the_scene() -> None:
    desert = pixels("desert dunes on a sunny day", seed=8)
    sea = pixels("the open sea on a sunny day", seed=8)
    lower = slice(int(SIZE[1] * 0.62), int(SIZE[1] * 0.74))
    d_rgb = desert[lower].reshape(-1, 3).mean(axis=0)
    s_rgb = sea[lower].reshape(-1, 3).mean(axis=0)
    assert d_rgb[0] > d_rgb[2] + 20  # warm sand
    assert s_rgb[2] > s_rgb[0] + 20  # blue water


@pytest.mark.parametrize("kind", ["photo_to_image", "portrait_restyle"])
def test_unknown_kind_is_a_bad_request(kind: str) -> None:
    with pytest.raises(ProviderError) as err:
        OfflineProvider().start(GenerationRequest(prompt="x", kind=kind, inputs={"photo": b"..."}))
    assert err.value.kind == "bad_request"
    assert err.value.code == "unsupported_kind"


def test_resume_is_a_bad_request() -> None:
    with pytest.raises(ProviderError) as err:
        OfflineProvider().resume("job-1", GenerationRequest(prompt="x"))
    assert err.value.kind == "bad_request"


def test_empty_prompt_still_paints_a_picture() -> None:
    img = pixels("", seed=11)
    assert img.std() > 20
