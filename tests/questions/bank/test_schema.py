"""Schema of a bank question: required fields, fixed vocabularies, rules between fields, helpers."""
import copy

import pytest
from pydantic import ValidationError

from questions import Question
from questions.bank.schema import SEED_FILES, TOPICS

from tests.helpers.bank import choice_question, local_text, open_question
from tests.helpers.languages import UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE_ERROR


def errors_of(data):
    with pytest.raises(ValidationError) as caught:
        Question.model_validate(data)
    return caught.value.errors()


def test_valid_questions_of_each_type_load():
    assert Question.model_validate(open_question()).type == "open"
    assert Question.model_validate(open_question(id="routing-code", type="code")).type == "code"
    choice = Question.model_validate(choice_question())
    assert choice.correct_option_indices() == [0] and choice.single_answer
    assert choice.key_points is None


def test_a_choice_question_with_several_correct_options_is_not_single_answer():
    question = choice_question()
    question["options"][2]["correct"] = True
    assert Question.model_validate(question).correct_option_indices() == [0, 2]
    assert not Question.model_validate(question).single_answer


def test_helpers_return_the_text_of_one_language():
    question = Question.model_validate(open_question(sources=[
        {"seed": SEED_FILES[1], "ref": "Q4"}, {"paper": "Fedus et al. 2021", "ref": "Sec. 2.2"}]))
    assert question.text("prompt", "zh") == "为什么要 top-k？"
    assert question.text("answer", "en") == "Answer to: Why top-k?"
    assert question.text("pitfall", "en") == "Pitfall of Why top-k?"
    assert Question.model_validate(open_question(pitfall=None)).text("pitfall", "zh") == ""
    assert question.key_point_texts("en") == ["Why top-k? point 1", "Why top-k? point 2", "Why top-k? point 3"]
    assert question.seed_refs() == [(SEED_FILES[1], "Q4")]
    with pytest.raises(ValueError, match=UNKNOWN_LANGUAGE_ERROR):
        question.text("prompt", UNKNOWN_LANGUAGE)
    with pytest.raises(ValueError, match="field"):
        question.text("tags", "en")


@pytest.mark.parametrize("field", ["id", "type", "topic", "tags", "difficulty", "prompt", "answer", "sources"])
def test_required_fields_are_required(field):
    data = open_question()
    del data[field]
    assert any(e["type"] == "missing" and e["loc"] == (field,) for e in errors_of(data))


def test_unknown_fields_are_errors_at_every_level():
    assert errors_of(open_question(anwser=local_text()))[0]["type"] == "extra_forbidden"
    assert errors_of(open_question(prompt={"zh": "a", "en": "b", "fr": "c"}))[0]["loc"] == ("prompt", "fr")
    data = choice_question()
    data["options"][0]["why"] = "x"
    assert errors_of(data)[0]["loc"] == ("options", 0, "why")


@pytest.mark.parametrize("value", ["2", 2.0, True, 0, 4])
def test_difficulty_is_an_integer_from_1_to_3(value):
    assert errors_of(open_question(difficulty=value))[0]["loc"] == ("difficulty",)


@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("   ", "empty"), ("TODO: translate", "TODO"), ("坏\ufffd字", "replacement character"),
])
def test_local_text_must_be_finished(text, reason):
    errors = errors_of(open_question(answer=local_text(en=text)))
    assert errors[0]["loc"] == ("answer", "en") and reason in errors[0]["msg"]


def test_local_text_needs_both_languages():
    assert errors_of(open_question(prompt={"zh": "只有中文"}))[0]["loc"] == ("prompt", "en")


@pytest.mark.parametrize("bad_id", ["Routing-TopK", "routing_topk", "routing--topk", "-routing", ""])
def test_id_is_lowercase_kebab_case(bad_id):
    assert errors_of(open_question(id=bad_id))[0]["loc"] == ("id",)


def test_id_starts_with_the_topic():
    error = errors_of(open_question(id="capacity-topk"))[0]
    assert error["ctx"]["field"] == "id" and "routing-" in error["msg"]


def test_topic_type_and_vocabularies_are_fixed():
    assert errors_of(open_question(topic="misc"))[0]["loc"] == ("topic",)
    assert errors_of(open_question(type="essay"))[0]["loc"] == ("type",)
    assert len(TOPICS) == 10


def test_links_are_kebab_case_ids_without_repeats():
    # Which exercises and presets exist is checked against those packages in test_bank_links.py.
    assert errors_of(open_question(exercises=["No_Such_Exercise"]))[0]["loc"] == ("exercises", 0)
    error = errors_of(open_question(sandbox_presets=["mixtral-8x7b", "GPT 4"]))[0]
    assert error["loc"] == ("sandbox_presets", 1) and "kebab-case" in error["msg"]
    assert errors_of(open_question(sandbox_presets=[4]))[0]["loc"] == ("sandbox_presets", 0)
    repeated = errors_of(open_question(exercises=["topk-router", "topk-router"]))[0]
    assert repeated["ctx"]["field"] == "exercises" and "repeat" in repeated["msg"]
    assert Question.model_validate(open_question(exercises=["a-new-exercise"])).exercises == ["a-new-exercise"]


@pytest.mark.parametrize("tags", [[], ["Router"], ["two words"], ["router", "router"]])
def test_tags_are_lowercase_unique_and_at_least_one(tags):
    assert errors_of(open_question(tags=tags))[0]["loc"][0] == "tags"


@pytest.mark.parametrize("kind", ["open", "code"])
@pytest.mark.parametrize("count", [0, 2, 7])
def test_open_and_code_questions_need_3_to_6_key_points(kind, count):
    data = open_question(type=kind, key_points=[local_text()] * count)
    error = errors_of(data)[0]
    assert error["ctx"]["field"] == "key_points" and f"got {count}" in error["msg"]


def test_key_points_are_bilingual():
    data = open_question(key_points=[local_text(), local_text(), {"zh": "只有中文"}])
    assert errors_of(data)[0]["loc"] == ("key_points", 2, "en")


def test_choice_rules():
    two_options = choice_question()
    two_options["options"] = two_options["options"][:2]
    assert "3-5 options" in errors_of(two_options)[0]["msg"]
    six_options = choice_question()
    six_options["options"] = six_options["options"] * 2
    assert "got 6" in errors_of(six_options)[0]["msg"]
    none_correct = choice_question()
    for option in none_correct["options"]:
        option["correct"] = False
    assert "correct: true" in errors_of(none_correct)[0]["msg"]
    no_explanation = choice_question()
    del no_explanation["options"][1]["explanation"]
    assert errors_of(no_explanation)[0]["loc"] == ("options", 1, "explanation")
    string_flag = choice_question()
    string_flag["options"][0]["correct"] = "yes"
    assert errors_of(string_flag)[0]["loc"] == ("options", 0, "correct")
    missing = choice_question()
    del missing["options"]
    assert errors_of(missing)[0]["ctx"]["field"] == "options"


def test_options_are_forbidden_on_open_questions():
    data = open_question(options=copy.deepcopy(choice_question()["options"]))
    error = errors_of(data)[0]
    assert error["ctx"]["field"] == "options" and "only allowed on choice" in error["msg"]


def test_sources_rules():
    assert errors_of(open_question(sources=[]))[0]["loc"] == ("sources",)
    assert "seed" in errors_of(open_question(sources=[{"ref": "Q1"}]))[0]["msg"]
    assert errors_of(open_question(sources=[{"seed": "999_nope.txt"}]))[0]["loc"] == ("sources", 0, "seed")
    assert errors_of(open_question(sources=[{"paper": "X", "url": "ftp://x"}]))[0]["loc"] == ("sources", 0, "url")
    assert errors_of(open_question(sources=[{"paper": "TODO: cite"}]))[0]["loc"] == ("sources", 0, "paper")
    assert errors_of(open_question(sources=[{"seed": SEED_FILES[0], "ref": 4}]))[0]["loc"] == ("sources", 0, "ref")
    with_url = open_question(sources=[{"paper": "GShard", "url": "https://arxiv.org/abs/2006.16668"}])
    ok = Question.model_validate(with_url)
    assert ok.sources[0].url.startswith("https://")


def test_key_points_may_carry_cues_in_both_languages():
    data = open_question()
    data["key_points"][0]["cues"] = {"en": ["balance loss", "aux loss"], "zh": ["负载均衡损失"]}
    question = Question.model_validate(data)
    assert question.key_point_cues("en") == [["balance loss", "aux loss"], [], []]
    assert question.key_point_cues("zh")[0] == ["负载均衡损失"]
    assert question.key_point_texts("en")[0] == "Why top-k? point 1"  # cues do not change the point's text


@pytest.mark.parametrize("cues, field", [({"en": ["a"]}, "zh"), ({"en": [], "zh": ["甲"]}, "en"),
                                         ({"en": ["a", "a"], "zh": ["甲"]}, "en"), ({"en": [" "], "zh": ["甲"]}, "en")])
def test_bad_cues_are_errors_at_their_field(cues, field):
    data = open_question()
    data["key_points"][1]["cues"] = cues
    assert errors_of(data)[0]["loc"][:4] == ("key_points", 1, "cues", field)


def test_follow_ups_are_bilingual_question_answer_pairs_at_most_three():
    follow_up = {"question": local_text("Why?", "为什么？"), "answer": local_text("Because.", "因为。")}
    assert Question.model_validate(open_question(follow_ups=[follow_up])).follow_ups[0].answer.get("zh") == "因为。"
    assert errors_of(open_question(follow_ups=[follow_up] * 4))[0]["loc"] == ("follow_ups",)
    assert errors_of(open_question(follow_ups=[{"question": local_text()}]))[0]["loc"] == ("follow_ups", 0, "answer")


def test_output_belongs_to_code_questions_only():
    assert Question.model_validate(open_question(id="routing-code", type="code", output="tensor([1])\n")).output
    assert errors_of(open_question(output="1\n"))[0]["ctx"]["field"] == "output"
    assert errors_of(open_question(id="routing-code", type="code", output="  \n"))[0]["ctx"]["field"] == "output"
