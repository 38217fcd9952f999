"""load_bank: each kind of broken file gives its own message with the right file and line; good questions still load."""
import json
from pathlib import Path

import pytest

from questions import BankProblem, filter_questions, load_bank
from questions.bank.cache import cache_entry, code_fingerprint, default_cache_dir, write_entry

from tests.helpers.bank import question_yaml
from tests.helpers.languages import UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE_ERROR


def write(directory, name, text):
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load(path):
    return load_bank(path, cache_dir=None)


def only_problem(result):
    assert len(result.problems) == 1, [str(p) for p in result.problems]
    return result.problems[0]


def test_a_good_file_loads(tmp_path):
    write(tmp_path, "routing.yaml", question_yaml() + question_yaml(qid="routing-two"))
    result = load(tmp_path)
    assert result.ok and [q.id for q in result.questions] == ["routing-topk", "routing-two"]
    assert result.by_id()["routing-two"].difficulty == 2


def test_problem_str_is_path_line_field_message():
    assert str(BankProblem("bank/routing.yaml", 7, "answer.en", "must not be empty")) == \
        "bank/routing.yaml:7: answer.en: must not be empty"


def test_missing_field_points_at_the_question(tmp_path):
    without_answer = question_yaml(qid="routing-two").replace('  answer:\n    zh: 因为\n    en: "Because."\n', "")
    text = question_yaml() + without_answer
    path = write(tmp_path, "routing.yaml", text)
    result = load(tmp_path)
    problem = only_problem(result)
    assert (problem.path, problem.line, problem.field) == (str(path), 16, "answer")
    assert problem.message == "missing required field"
    assert [q.id for q in result.questions] == ["routing-topk"]  # the good question of the file still loads


def test_wrong_type_points_at_the_field_line(tmp_path):
    write(tmp_path, "routing.yaml", question_yaml(difficulty='"two"'))
    problem = only_problem(load(tmp_path))
    assert (problem.line, problem.field) == (5, "difficulty")
    assert problem.message.startswith("wrong type: expected an integer, got string")


def test_unknown_field_is_named_with_a_suggestion(tmp_path):
    write(tmp_path, "routing.yaml", question_yaml(extra="  pitfal: {zh: 错, en: wrong}\n"))
    problem = only_problem(load(tmp_path))
    assert (problem.line, problem.field) == (16, "pitfal")
    assert "unknown field 'pitfal'" in problem.message and "did you mean 'pitfall'" in problem.message


@pytest.mark.parametrize("replace, field, hint", [
    ("ref: Q4}", "sources[0].papre", "did you mean 'paper'"),
    ("{zh: 二, en: two}", "key_points[1].eng", "did you mean 'en'"),
    ("prompt: {zh: 为什么, en: Why?}", "prompt.fr", "allowed: zh, en"),
])
def test_unknown_nested_field_is_named_with_the_fields_of_its_mapping(tmp_path, replace, field, hint):
    key = field.rsplit(".", 1)[1]
    text = question_yaml().replace(replace, replace[:-1] + f", {key}: x}}")
    write(tmp_path, "routing.yaml", text)
    problem = only_problem(load(tmp_path))
    assert problem.field == field and f"unknown field {key!r}" in problem.message and hint in problem.message


def test_nested_error_points_at_the_nested_line(tmp_path):
    write(tmp_path, "routing.yaml", question_yaml(answer_en=""))
    problem = only_problem(load(tmp_path))
    assert (problem.line, problem.field, problem.message) == (9, "answer.en", "must not be empty")


def test_rule_between_fields_points_at_its_field(tmp_path):
    text = question_yaml().replace("    - {zh: 三, en: three}\n", "")
    write(tmp_path, "routing.yaml", text)
    problem = only_problem(load(tmp_path))
    assert (problem.line, problem.field) == (10, "key_points")
    assert "3-6 key_points (got 2)" in problem.message


def test_duplicate_ids_in_one_file_name_both_locations(tmp_path):
    path = write(tmp_path, "routing.yaml", question_yaml(qid="routing-same") + question_yaml(qid="routing-same"))
    result = load(tmp_path)
    problem = only_problem(result)
    assert (problem.path, problem.line, problem.field) == (str(path), 16, "id")
    assert problem.message == f"duplicate id 'routing-same': already defined at {path}:1"
    assert [q.id for q in result.questions] == ["routing-same"]


def test_duplicate_ids_across_files_name_both_files(tmp_path):
    first = write(tmp_path, "capacity.yaml", question_yaml(topic="capacity", qid="capacity-a"))
    second = write(tmp_path, "routing.yaml", question_yaml(qid="routing-b"))
    result = load([first, second, first])  # the same file given twice clashes with itself
    problem = only_problem(result)
    assert (problem.path, problem.line) == (str(first), 1)
    assert f"duplicate id 'capacity-a': already defined at {first}:1" == problem.message
    assert sorted(q.id for q in result.questions) == ["capacity-a", "routing-b"]


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", "[]\n"])
def test_empty_file(tmp_path, content):
    path = write(tmp_path, "routing.yaml", content)
    problem = only_problem(load(tmp_path))
    assert (problem.path, problem.line, problem.field) == (str(path), 1, "file")
    assert "empty" in problem.message


def test_non_utf8_file_reports_the_line_of_the_bad_byte(tmp_path):
    path = tmp_path / "routing.yaml"
    # Latin-1 "Why?" with an e-acute: 0xe9 followed by ASCII is no UTF-8
    path.write_bytes(question_yaml().encode("utf-8").replace(b"Why?", "Why caf\u00e9?".encode("latin-1")))
    problem = only_problem(load(tmp_path))
    assert (problem.path, problem.line, problem.field) == (str(path), 6, "file")
    assert "not valid UTF-8" in problem.message and "offset" in problem.message


def test_a_control_character_is_reported_at_its_line_after_chinese_text(tmp_path):
    # the C reader counts bytes, so a byte offset after Chinese text would name a later line
    text = question_yaml().replace("  prompt: {zh: 为什么, en: Why?}", "  prompt: {zh: 为什么\x00, en: Why?}")
    path = write(tmp_path, "routing.yaml", text)
    problem = only_problem(load(tmp_path))
    assert (problem.path, problem.line, problem.field) == (str(path), 6, "yaml")  # the prompt line
    assert "0x0000 is not allowed" in problem.message


def test_yaml_syntax_error_reports_the_parser_line(tmp_path):
    text = question_yaml().replace("  prompt: {zh: 为什么, en: Why?}", "  prompt: {zh: 为什么, en: Why?")
    path = write(tmp_path, "routing.yaml", text)
    problem = only_problem(load(tmp_path))
    assert problem.path == str(path) and problem.field == "yaml" and problem.line == 7
    assert problem.message.startswith("YAML syntax error")


def test_bad_indentation_is_a_syntax_error(tmp_path):
    write(tmp_path, "routing.yaml", "- id: routing-a\n  type: open\n    topic: routing\n")
    problem = only_problem(load(tmp_path))
    assert problem.field == "yaml" and problem.line == 3


def test_top_level_must_be_a_list(tmp_path):
    write(tmp_path, "routing.yaml", "id: routing-a\ntype: open\n")
    problem = only_problem(load(tmp_path))
    assert (problem.line, problem.field) == (1, "file") and "top level must be a list" in problem.message


def test_list_items_must_be_mappings(tmp_path):
    write(tmp_path, "routing.yaml", question_yaml() + "- just a string\n")
    result = load(tmp_path)
    problem = only_problem(result)
    assert (problem.line, problem.field) == (16, "[1]") and len(result.questions) == 1


def test_duplicate_key_inside_a_question(tmp_path):
    write(tmp_path, "routing.yaml", question_yaml(extra="  difficulty: 3\n"))
    problem = only_problem(load(tmp_path))
    assert (problem.line, problem.field) == (16, "difficulty") and "appears twice" in problem.message
    assert "line 5" in problem.message


def test_topic_must_match_the_file_name(tmp_path):
    write(tmp_path, "capacity.yaml", question_yaml())
    problem = only_problem(load(tmp_path))
    assert (problem.line, problem.field) == (3, "topic") and "capacity.yaml" in problem.message


def test_file_name_must_be_a_topic(tmp_path):
    write(tmp_path, "misc.yaml", question_yaml())
    problem = only_problem(load(tmp_path))
    assert problem.field == "file" and "not a topic" in problem.message


def test_a_broken_file_does_not_stop_the_others(tmp_path):
    write(tmp_path, "capacity.yaml", "- id: [unclosed\n")
    write(tmp_path, "routing.yaml", question_yaml())
    write(tmp_path, "training.yaml", "")
    result = load(tmp_path)
    assert [q.id for q in result.questions] == ["routing-topk"]
    assert sorted(p.path.rsplit("/", 1)[-1] for p in result.problems) == ["capacity.yaml", "training.yaml"]


def test_missing_path_is_a_problem(tmp_path):
    problem = only_problem(load(tmp_path / "nope"))
    assert problem.field == "file" and "no such file" in problem.message


def test_files_and_directories_can_be_mixed(tmp_path):
    (tmp_path / "a").mkdir()
    write(tmp_path / "a", "routing.yaml", question_yaml())
    single = write(tmp_path, "capacity.yaml", question_yaml(topic="capacity", qid="capacity-x"))
    assert sorted(q.id for q in load([tmp_path / "a", single]).questions) == ["capacity-x", "routing-topk"]


def test_cache_gives_the_same_questions_and_follows_edits(tmp_path):
    bank, cache = tmp_path / "bank", tmp_path / "cache"
    bank.mkdir()
    path = write(bank, "routing.yaml", question_yaml())
    first = load_bank(bank, cache_dir=cache)
    entries = list(cache.glob("routing-*.json"))
    assert len(entries) == 1
    again = load_bank(bank, cache_dir=cache)
    assert [q.model_dump() for q in again.questions] == [q.model_dump() for q in first.questions]
    path.write_text(question_yaml(answer_en="Edited."), encoding="utf-8")
    assert load_bank(bank, cache_dir=cache).questions[0].answer.en == "Edited."
    assert len(list(cache.glob("routing-*.json"))) == 1  # the entry of the old content is gone
    path.write_text(question_yaml(answer_en=""), encoding="utf-8")
    assert load_bank(bank, cache_dir=cache).problems  # problems are never served from the cache


def test_corrupt_cache_entry_is_ignored(tmp_path):
    bank, cache = tmp_path / "bank", tmp_path / "cache"
    bank.mkdir()
    write(bank, "routing.yaml", question_yaml())
    load_bank(bank, cache_dir=cache)
    (entry,) = cache.glob("routing-*.json")
    for damaged in ("[1]\n" + json.dumps([{"id": "BROKEN"}]), "not json", ""):
        entry.write_text(damaged, encoding="utf-8")
        result = load_bank(bank, cache_dir=cache)
        assert result.ok and [q.id for q in result.questions] == ["routing-topk"]


def test_a_new_entry_replaces_older_versions_of_its_file_only(tmp_path):
    cache, fingerprint = tmp_path / "cache", code_fingerprint()
    routing = cache_entry(cache, Path("routing.yaml"), b"one", fingerprint)
    extra = cache_entry(cache, Path("routing-extra.yaml"), b"one", fingerprint)
    for entry in (routing, extra):
        write_entry(entry, [1], [{"id": "routing-a"}])
    newer = cache_entry(cache, Path("routing.yaml"), b"two", fingerprint)
    assert newer != routing
    write_entry(newer, [1], [{"id": "routing-a"}])
    assert sorted(path.name for path in cache.iterdir()) == sorted([extra.name, newer.name])
    write_entry(cache_entry(cache, Path("routing-extra.yaml"), b"two", fingerprint), [1], [{"id": "routing-a"}])
    assert newer.exists() and not extra.exists()


def test_cache_dir_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MOE_LAB_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.setenv("MOE_LAB_CACHE", "off")
    assert default_cache_dir() is None
    monkeypatch.delenv("MOE_LAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "moe-interview-lab" / "bank"


# ---- filter_questions -----------------------------------------------------------------------------------------
@pytest.fixture
def sample(tmp_path):
    text = (question_yaml(qid="routing-a", difficulty="1")
            + question_yaml(qid="routing-b", difficulty="3", answer_en="Uses softmax (top-k) over E.")
            .replace("tags: [router]", "tags: [router, softmax]")
            + question_yaml(qid="routing-c", difficulty="2", answer_en="a.b literally"))
    write(tmp_path, "routing.yaml", text)
    write(tmp_path, "capacity.yaml", question_yaml(topic="capacity", qid="capacity-a").replace("因为", "容量因子"))
    result = load(tmp_path)
    assert result.ok
    return result.questions


def ids(questions):
    return sorted(q.id for q in questions)


def test_filter_by_topic_tag_difficulty_type(sample):
    assert ids(filter_questions(sample)) == ids(sample)
    assert ids(filter_questions(sample, topics=["capacity"])) == ["capacity-a"]
    assert ids(filter_questions(sample, tags=["softmax", "nothing"])) == ["routing-b"]
    assert ids(filter_questions(sample, difficulties=[1, 3])) == ["routing-a", "routing-b"]
    assert filter_questions(sample, types=["choice"]) == []
    assert ids(filter_questions(sample, topics=["routing"], difficulties=[2])) == ["routing-c"]


def test_search_is_literal_case_insensitive_and_bilingual(sample):
    assert ids(filter_questions(sample, search="SOFTMAX (TOP-K)")) == ["routing-b"]  # parentheses are literal
    assert ids(filter_questions(sample, search="a.b")) == ["routing-c"]                # the dot is literal
    assert filter_questions(sample, search="a*b") == []
    assert ids(filter_questions(sample, search="容量")) == ["capacity-a"]
    assert filter_questions(sample, search="容量", lang="en") == []
    assert ids(filter_questions(sample, search="softmax", lang="zh")) == ["routing-b"]  # tags count in any language
    assert ids(filter_questions(sample, search="  ")) == ids(sample)
    with pytest.raises(ValueError, match=UNKNOWN_LANGUAGE_ERROR):
        filter_questions(sample, lang=UNKNOWN_LANGUAGE)
