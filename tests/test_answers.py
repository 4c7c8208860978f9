"""Answers, outcomes and prompts: the rules between the form and the image prompt."""

from __future__ import annotations

import pytest

from posterbooth.answers import AnswerError, check_answers, clean_text, find_blocked, parse_answer
from posterbooth.outcome import choose_outcome, score_outcomes
from posterbooth.prompt import TemplateProblem, compose_prompt, render
from posterbooth.schema import Campaign, Question

BASE = {
    "slug": "unit",
    "title": "Unit",
    "locale": "en",
    "questions": [
        {"id": "colors", "type": "multiple", "title": "Colours", "min": 1, "max": 2, "options": [
            {"value": "red", "label": "Red", "prompt": "red", "scores": {"warm": 2}},
            {"value": "blue", "label": "Blue", "prompt": "blue", "scores": {"cool": 2}},
            {"value": "gold", "label": "Gold", "prompt": "gold", "scores": {"warm": 1, "cool": 1}},
        ]},
        {"id": "mood", "type": "single", "title": "Mood", "show_if": {"question": "colors", "any_of": ["blue"]},
         "options": [{"value": "calm", "label": "Calm", "prompt": "calm sea"},
                     {"value": "wild", "label": "Wild", "prompt": "storm"}]},
        {"id": "name", "type": "text", "title": "Name", "required": False, "max_length": 10},
    ],
    "outcomes": [{"id": "warm", "title": "Warm", "prompt": "sunny"}, {"id": "cool", "title": "Cool"}],
    "prompt": {"template": "{{ outcome.prompt }} {{ fragments }} for {{ answers.name.text }}", "max_length": 60},
    "share": {"title": "x"},
}


def campaign(**changes) -> Campaign:
    return Campaign.model_validate({**BASE, **changes})


def test_multiple_choice_limits():
    question = campaign().questions[0]
    assert parse_answer(question, ["gold", "red"]) == ["red", "gold"]  # option order, not click order
    with pytest.raises(AnswerError) as few:
        parse_answer(question, [])
    assert few.value.code == "too_few" and few.value.params == {"min": 1}
    with pytest.raises(AnswerError) as many:
        parse_answer(question, ["red", "blue", "gold"])
    assert many.value.code == "too_many"
    with pytest.raises(AnswerError, match="unknown_option"):
        parse_answer(question, ["red", "green"])


def test_hidden_questions_are_dropped_and_shown_ones_required():
    c = campaign()
    assert check_answers(c, {"colors": ["red"], "mood": "wild"}, []) == {"colors": ["red"], "name": ""}
    with pytest.raises(AnswerError) as missing:
        check_answers(c, {"colors": ["blue"]}, [])
    assert missing.value.question_id == "mood"


def test_clean_text_strips_controls_and_keeps_emoji():
    assert clean_text("  a\x00b\u202ec\n\td  ") == "abc d"
    assert clean_text("👨‍👩‍👧 好") == "👨‍👩‍👧 好"


def test_blocklist_ignores_case_spacing_and_width():
    assert find_blocked("I want to K.I.L.L it", ["kill"]) == "kill"
    assert find_blocked("ｈａｔｅ", ["hate"]) == "hate"
    assert find_blocked("skill", ["kil1"]) is None


def test_scores_pick_the_highest_and_ties_go_to_the_first_outcome():
    c = campaign()
    assert score_outcomes(c, {"colors": ["red", "gold"]}) == {"warm": 3.0, "cool": 1.0}
    assert choose_outcome(c, {"colors": ["blue"]}).id == "cool"
    assert choose_outcome(c, {"colors": ["gold"]}).id == "warm"


def test_rules_pick_the_first_match_or_the_fallback():
    c = campaign(outcome_by="rules", outcomes=[
        {"id": "warm", "title": "Warm", "when": [{"question": "colors", "any_of": ["red"]}]},
        {"id": "cool", "title": "Cool"},
    ])
    assert choose_outcome(c, {"colors": ["red", "blue"]}).id == "warm"
    assert choose_outcome(c, {"colors": ["blue"]}).id == "cool"


def test_rules_need_a_fallback():
    with pytest.raises(ValueError, match="fallback"):
        campaign(outcome_by="rules", outcomes=[
            {"id": "warm", "title": "Warm", "when": [{"question": "colors", "any_of": ["red"]}]},
            {"id": "cool", "title": "Cool", "when": [{"question": "colors", "any_of": ["blue"]}]}])


def test_prompt_is_composed_and_capped():
    c = campaign()
    answers = {"colors": ["blue"], "mood": "calm", "name": "Ada"}
    prompt = compose_prompt(c, answers, choose_outcome(c, answers), None)
    assert prompt == "blue, calm sea for Ada"  # the cool outcome has no prompt fragment
    long = compose_prompt(c, {**answers, "name": "x" * 10}, c.outcomes[0], None)
    assert len(long) <= 60


def test_typed_text_is_data_not_template_code():
    c = campaign()
    answers = {"colors": ["red"], "name": "{{ 7*7 }}"}
    assert "{{ 7*7 }}" in compose_prompt(c, answers, c.outcomes[0], None)


def test_sandbox_refuses_unsafe_attributes():
    with pytest.raises(TemplateProblem):
        render("{{ ''.__class__.__mro__[1].__subclasses__() }}", {})


def test_photo_question_needs_a_consent_line():
    with pytest.raises(ValueError, match="consent line"):
        Question.model_validate({"id": "selfie", "type": "photo", "title": "Selfie"})
    question = Question.model_validate({"id": "selfie", "type": "photo", "title": "Selfie", "consent": "OK"})
    assert question.max_mb == 10 and question.camera == "user"


def test_photo_answer_is_only_a_marker():
    question = Question.model_validate({"id": "selfie", "type": "photo", "title": "Selfie", "consent": "OK"})
    assert parse_answer(question, ["photo"]) == "photo"
    for values in ([], [""], ["uploads/ab/x.jpg"]):
        with pytest.raises(AnswerError):
            parse_answer(question, values)


# --- parse_answer and clean_text, case by case (what the mutation run asked for) ---------------------------

PHOTO_Q = {"id": "selfie", "type": "photo", "title": "Selfie", "consent": "I agree."}


def _question(qid: str) -> Question:
    return next(q for q in campaign().questions if q.id == qid)


@pytest.mark.parametrize(
    ("qid", "values", "expected"),
    [
        ("mood", ["calm"], "calm"),
        ("mood", ["wild", None], "wild"),
        ("colors", ["blue"], ["blue"]),
        ("colors", ["gold", "gold", "", "blue"], ["blue", "gold"]),  # duplicates and blanks dropped
        ("colors", ["gold", "blue"], ["blue", "gold"]),
        ("name", ["  Ann \t Lee "], "Ann Lee"),
        ("name", [], ""),  # optional text
        ("name", ["x" * 10], "x" * 10),
        ("name", ["a\u200bb"], "ab"),  # a format character removed before the length is checked
    ],
)
def test_parse_answer_accepts(qid: str, values: list, expected: object) -> None:
    assert parse_answer(_question(qid), values) == expected


@pytest.mark.parametrize(
    ("qid", "values", "code", "params"),
    [
        ("mood", [], "missing", {}),
        ("mood", [""], "missing", {}),
        ("mood", [None], "missing", {}),
        ("mood", ["calm", "wild"], "unknown_option", {}),
        ("mood", ["sunny"], "unknown_option", {}),
        ("colors", [""], "too_few", {"min": 1}),
        ("colors", ["red", "blue", "gold"], "too_many", {"max": 2}),
        ("colors", ["red", "nope"], "unknown_option", {}),
        ("name", ["x" * 11], "too_long", {"max": 10}),
        ("name", ["x" * 41], "too_long", {"max": 10}),  # refused before cleaning
    ],
)
def test_parse_answer_refuses(qid: str, values: list, code: str, params: dict) -> None:
    with pytest.raises(AnswerError) as refused:
        parse_answer(_question(qid), values)
    assert refused.value.code == code and refused.value.question_id == qid and refused.value.params == params
    assert str(refused.value) == f"{code} ({qid})"


def test_parse_answer_text_limits_and_required() -> None:
    required = Question.model_validate({"id": "w", "type": "text", "title": "W", "max_length": 3})
    assert parse_answer(required, ["abc"]) == "abc"
    assert parse_answer(required, [" a \n b "]) == "a b"  # cleaned first, then measured
    assert parse_answer(required, ["a     b"]) == "a b"  # 7 long as typed, 3 once folded: within 4× the limit
    with pytest.raises(AnswerError) as missing:
        parse_answer(required, ["\u200b \t"])
    assert missing.value.code == "missing"
    with pytest.raises(AnswerError) as raw_too_long:
        parse_answer(required, [" " * 13])  # over 4× the limit as typed: refused without cleaning
    assert raw_too_long.value.code == "too_long"
    assert parse_answer(required, [" " * 5 + "a" + " " * 6]) == "a"  # exactly 12 (= 4×3) is still cleaned


def test_parse_answer_photo_and_unknown_types() -> None:
    photo = Question.model_validate(PHOTO_Q)
    assert parse_answer(photo, ["photo", "x"]) == "photo"
    for values in ([], ["x", "photo"], [""]):
        with pytest.raises(AnswerError) as missing:
            parse_answer(photo, values)
        assert missing.value.code == "missing" and missing.value.question_id == "selfie"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  a  b  ", "a b"),
        ("a\tb\nc\rd", "a b c d"),
        ("a\u3000b\u00a0c", "a b c"),  # ideographic and no-break spaces are spaces
        ("a\x00b\x1fc\x7f", "abc"),  # control characters go
        ("a\u200bb\u202ec", "abc"),  # format characters go...
        ("👩\u200d💻 ❤\ufe0f", "👩\u200d💻 ❤\ufe0f"),  # ...except those emoji need
        ("e\u0301", "\u00e9"),  # NFC
        ("a\ue000b", "ab"),  # private use
        ("", ""),
    ],
)
def test_clean_text_cases(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_template_context_names_every_answer() -> None:
    from posterbooth.prompt import recorded_context, template_context

    unit = campaign()
    answers = {"colors": ["blue", "red"], "mood": "calm", "name": "Ann"}
    context = template_context(unit, answers, unit.outcomes[1], None)
    assert context["campaign"] == {"title": "Unit", "slug": "unit"}
    assert context["answers"]["colors"] == {"value": "blue,red", "label": "Blue, Red", "prompt": "blue，red",
                                            "text": "", "values": ["blue", "red"], "labels": ["Blue", "Red"]}
    assert context["answers"]["mood"] == {"value": "calm", "label": "Calm", "prompt": "calm sea", "text": "",
                                          "values": ["calm"], "labels": ["Calm"]}
    assert context["answers"]["name"] == {"value": "Ann", "label": "Ann", "prompt": "", "text": "Ann",
                                          "values": [], "labels": []}
    assert context["outcome"] == {"id": "cool", "title": "Cool", "description": "", "prompt": ""}
    assert context["style"] == {"id": "", "label": "", "prompt": ""}
    assert context["fragments"] == "blue，red, calm sea"
    empty = template_context(unit, {}, unit.outcomes[0], None)["answers"]
    assert empty["colors"]["values"] == [] and empty["name"]["text"] == "" and empty["mood"]["label"] == ""
    zh = campaign(locale="zh-CN")
    zh_context = template_context(zh, {"colors": ["red", "gold"]}, zh.outcomes[0], None)
    assert zh_context["answers"]["colors"]["label"] == "Red、Gold" and zh_context["fragments"] == "red，gold"
    assert recorded_context(unit, answers, "no-such-outcome", "")["outcome"]["id"] == "warm"  # the first one
    assert recorded_context(unit, answers, "cool", "")["outcome"]["id"] == "cool"


# --- what the second mutation run asked for --------------------------------------------------------------


def test_clean_text_drops_surrogates_and_unassigned_code_points_and_keeps_letters() -> None:
    assert clean_text("a\ud800b") == "ab"  # a lone surrogate (Cs)
    assert clean_text("a\u0378b") == "ab"  # an unassigned code point (Cn)
    assert clean_text("Xmas XX") == "Xmas XX"  # letters are never taken for whitespace


def test_visible_questions_follow_the_earlier_answers() -> None:
    from posterbooth.answers import visible_questions

    unit = campaign()
    assert [q.id for q in visible_questions(unit, {})] == ["colors", "name"]
    assert [q.id for q in visible_questions(unit, {"colors": ["red"]})] == ["colors", "name"]
    assert [q.id for q in visible_questions(unit, {"colors": ["red", "blue"]})] == ["colors", "mood", "name"]


def test_required_text_left_blank_names_its_question() -> None:
    required = Question.model_validate({"id": "w", "type": "text", "title": "W", "max_length": 3})
    with pytest.raises(AnswerError) as missing:
        parse_answer(required, [" "])
    assert (missing.value.code, missing.value.question_id) == ("missing", "w")


def test_a_question_type_this_code_does_not_know_is_refused() -> None:
    future = Question.model_construct(id="stars", type="rating", title="Stars")  # e.g. from a newer definition
    with pytest.raises(AnswerError) as refused:
        parse_answer(future, ["5"])
    assert (refused.value.code, refused.value.question_id) == ("unknown_question", "stars")


def test_typed_text_must_pass_the_campaign_and_the_global_blocklists() -> None:
    from posterbooth.answers import check_answer

    unit = campaign(prompt={**BASE["prompt"], "blocklist": ["spam"]})
    name = _question("name")
    assert check_answer(unit, name, ["Ada"], ["evil"]) == "Ada"
    for typed, blocklist in (("S.P.A.M", []), ("so Evil", ["evil"])):
        with pytest.raises(AnswerError) as blocked:
            check_answer(unit, name, [typed], blocklist)
        assert (blocked.value.code, blocked.value.question_id) == ("blocked", "name")
    with pytest.raises(AnswerError) as whole:
        check_answers(unit, {"colors": ["red"], "name": "pure evil"}, ("evil",))  # any iterable of words
    assert (whole.value.code, whole.value.question_id) == ("blocked", "name")
    assert check_answer(unit, _question("mood"), ["calm"], ["calm"]) == "calm"  # options are never checked


def test_check_answers_fills_optional_text_and_requires_the_rest() -> None:
    unit = campaign(questions=[
        {"id": "name", "type": "text", "title": "Name", "required": False},
        {"id": "mood", "type": "single", "title": "Mood",
         "options": [{"value": "calm", "label": "Calm"}, {"value": "wild", "label": "Wild"}]},
        {"id": "motto", "type": "text", "title": "Motto"},
    ], outcomes=[{"id": "warm", "title": "Warm"}])
    with pytest.raises(AnswerError) as missing:  # an optional text before it does not end the check
        check_answers(unit, {"name": "Ada"}, [])
    assert (missing.value.code, missing.value.question_id) == ("missing", "mood")
    with pytest.raises(AnswerError) as motto:  # a required text is not filled in
        check_answers(unit, {"mood": "calm"}, [])
    assert (motto.value.code, motto.value.question_id) == ("missing", "motto")
    assert check_answers(unit, {"mood": ["calm"], "motto": 7}, []) == {"name": "", "mood": "calm", "motto": "7"}


def test_render_reports_what_failed_and_caps_the_length() -> None:
    from posterbooth.prompt import MAX_RENDERED_LENGTH

    with pytest.raises(TemplateProblem, match="'nope' is undefined"):
        render("{{ nope }}", {})
    with pytest.raises(TemplateProblem, match="^ZeroDivisionError: division by zero$"):
        render("{{ 1 / 0 }}", {})
    assert len(render("{{ 'x' * n }}", {"n": MAX_RENDERED_LENGTH})) == MAX_RENDERED_LENGTH
    with pytest.raises(TemplateProblem, match=f"produced {MAX_RENDERED_LENGTH + 1} characters"):
        render("{{ 'x' * n }}", {"n": MAX_RENDERED_LENGTH + 1})


def test_a_prompt_template_failing_at_run_time_falls_back_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    en = campaign(prompt={"template": "{{ 1 / 0 }}", "max_length": 60},
                  styles=[{"id": "ink", "label": "Ink", "prompt": "ink wash"}])
    answers = {"colors": ["red", "blue"], "mood": "calm"}
    with caplog.at_level("WARNING", logger="posterbooth.prompt"):
        assert compose_prompt(en, answers, en.outcomes[0], en.styles[0]) == "sunny, red，blue, calm sea, ink wash"
    assert [r.getMessage() for r in caplog.records] == [
        "a campaign template failed at run time (ZeroDivisionError: division by zero); using its fallback"]
    assert compose_prompt(en, answers, en.outcomes[1], None) == "red，blue, calm sea"  # no empty parts
    zh = campaign(locale="zh-CN", prompt={"template": "{{ 1 / 0 }}", "max_length": 60})
    assert compose_prompt(zh, answers, zh.outcomes[0], None) == "sunny，red，blue，calm sea"


def test_template_context_of_zh_campaigns_photo_answers_and_recorded_styles() -> None:
    from posterbooth.prompt import recorded_context, template_context

    zh = campaign(locale="zh-CN")
    context = template_context(zh, {"colors": ["red"], "mood": "wild"}, zh.outcomes[0], None)
    assert context["fragments"] == "red，storm"
    styled = campaign(styles=[{"id": "ink", "label": "Ink", "prompt": "ink wash"},
                              {"id": "oil", "label": "Oil", "prompt": "oil paint"}])
    assert recorded_context(styled, {}, "warm", "oil")["style"] == {"id": "oil", "label": "Oil", "prompt": "oil paint"}
    photo = campaign(questions=[*BASE["questions"], PHOTO_Q], generation={"kind": "avatar"})
    assert template_context(photo, {"selfie": "photo"}, photo.outcomes[0], None)["answers"]["selfie"] == {
        "value": "", "label": "", "prompt": "", "text": "", "values": [], "labels": []}


def test_rules_campaigns_ignore_the_scores() -> None:
    c = campaign(outcome_by="rules", outcomes=[
        {"id": "warm", "title": "Warm", "when": [{"question": "colors", "any_of": ["gold"]}]},
        {"id": "cool", "title": "Cool"},
    ])
    assert choose_outcome(c, {"colors": ["red"]}).id == "cool"  # red scores for warm, but no rule holds
