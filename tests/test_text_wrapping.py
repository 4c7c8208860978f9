"""Text wrapping of poster text blocks: Chinese per character, Latin per word, kinsoku, ellipsis, shrink, balance."""

from __future__ import annotations

import pytest

from posterbooth.fonts import find_cjk_font
from posterbooth.glyphs import chain_font
from posterbooth.poster import NO_LINE_END, NO_LINE_START, ellipsize, fit_text, lines_that_fit, wrap_text


@pytest.fixture(scope="module")
def font():
    return chain_font(None, 40)


def _assert_kinsoku(lines: list[str]) -> None:
    for line in lines[1:]:
        assert line[:1] not in NO_LINE_START, f"line starts with closing punctuation: {line!r}"
    for line in lines[:-1]:
        assert line[-1:] not in NO_LINE_END, f"line ends with an opening bracket: {line!r}"


def test_long_chinese_wraps_per_character(font) -> None:
    text = "春风十里不如和你一起去看西湖的桃花愿你这个春天走得慢一点看得多一点" * 2
    lines = wrap_text(text, font, 400)
    assert len(lines) > 3
    assert "".join(lines) == text
    assert all(font.getlength(line) <= 400 for line in lines)
    assert all(len(line) >= 9 for line in lines[:-1])  # lines are filled, not broken early


def test_closing_punctuation_never_starts_a_line(font) -> None:
    per_char = font.getlength("春")
    text = "春天来了啊，我们去西湖吧。桃花开了！你来吗？好的、就这样；出发："
    for chars in range(3, 12):
        lines = wrap_text(text, font, per_char * chars + 1)
        assert "".join(lines) == text
        _assert_kinsoku(lines)
    # The case the rule exists for: "，" falls exactly on the start of line two.
    lines = wrap_text("春天来了啊，我们去西湖", font, per_char * 5 + 1)
    assert lines[0] == "春天来了"
    assert lines[1].startswith("啊，")


def test_opening_bracket_never_ends_a_line(font) -> None:
    per_char = font.getlength("春")
    text = "我们去看「断桥残雪」和（苏堤春晓）吧"
    for chars in range(3, 10):
        lines = wrap_text(text, font, per_char * chars + 1)
        assert "".join(lines) == text
        _assert_kinsoku(lines)


def test_long_english_wraps_per_word(font) -> None:
    text = "Lantern-lit lanes, late-night ramen and a skyline that glows like embers over the river."
    lines = wrap_text(text, font, 420)
    assert len(lines) > 1
    assert " ".join(lines) == text
    words = set(text.split())
    for line in lines:
        assert font.getlength(line) <= 420
        assert set(line.split()) <= words  # no word cut in two
        assert line == line.strip()


def test_overlong_word_is_split(font) -> None:
    word = "Supercalifragilisticexpialidocious"
    lines = wrap_text(word, font, 200)
    assert len(lines) > 1
    assert "".join(lines) == word
    assert all(font.getlength(line) <= 200 for line in lines)


def test_mixed_chinese_and_latin(font) -> None:
    text = "我想和best friend一起去West Lake骑车，再吃一碗片儿川和Pizza。"
    lines = wrap_text(text, font, 300)
    joined = "".join(lines)
    assert joined.replace(" ", "") == text.replace(" ", "")
    for word in ("best", "friend", "West", "Lake", "Pizza。"):
        assert any(word in line for line in lines), f"{word!r} was split"
    _assert_kinsoku(lines)


def test_newlines_are_kept(font) -> None:
    assert wrap_text("第一行\n第二行", font, 1000) == ["第一行", "第二行"]


def test_ellipsis_when_too_many_lines() -> None:
    path = find_cjk_font()
    text = "春风十里，不如和你一起去看西湖的桃花。愿你这个春天，走得慢一点，看得多一点。" * 3
    fitted = fit_text(text, path, size=40, width=400, height=400, max_lines=2, line_height=1.3,
                      shrink_to_fit=False)
    assert fitted.truncated and len(fitted.lines) == 2 and fitted.size == 40
    assert fitted.lines[-1].endswith("…")
    assert all(fitted.font.getlength(line) <= 400 for line in fitted.lines)


def test_ellipsis_when_box_is_too_low() -> None:
    path = find_cjk_font()
    text = "Lantern-lit lanes, late-night ramen and a skyline that glows like embers. " * 3
    fitted = fit_text(text, path, size=40, width=500, height=100, max_lines=5, line_height=1.25,
                      shrink_to_fit=False)
    assert len(fitted.lines) == lines_that_fit(100, 40, 1.25, 5) == 2
    assert fitted.lines[-1].endswith("…")
    assert not fitted.lines[-1].endswith(" …")
    assert fitted.lines[-1][:-1].split()[-1] in text.split()  # cut between words


def test_ellipsize_trims_punctuation(font) -> None:
    assert ellipsize("走得慢一点，", font, 1000) == "走得慢一点…"


def test_shrink_to_fit_before_cutting() -> None:
    path = find_cjk_font()
    text = "春风十里不如和你一起去看西湖的桃花"  # 17 characters
    fitted = fit_text(text, path, size=60, width=900, height=80, max_lines=1, line_height=1.2)
    assert not fitted.truncated and fitted.size < 60
    assert fitted.lines == [text]
    fitted = fit_text(text * 3, path, size=60, width=900, height=80, max_lines=1, line_height=1.2,
                      min_size=50)
    assert fitted.truncated and fitted.size == 50


def test_balanced_lines_avoid_a_lone_word() -> None:
    path = find_cjk_font()
    fitted = fit_text("Your spring escape: Kyoto by night", path, size=72, width=960, height=200,
                      max_lines=2, line_height=1.25, balance=True)
    assert len(fitted.lines) == 2
    widths = [fitted.font.getlength(line) for line in fitted.lines]
    assert min(widths) > 0.6 * max(widths)
