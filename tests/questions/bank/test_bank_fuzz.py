"""Fuzzed bank files (hypothesis): random mutations of real bank files never crash the loader, every problem names
its file, line and field, the untouched questions still load, and no YAML tag constructs an object."""
import re
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questions import load_bank
from questions.bank.loader import BANK_DIR
from questions.bank.schema import Question

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MUTATED, UNTOUCHED = "capacity.yaml", "training.yaml"
SOURCE_TEXT = (BANK_DIR / MUTATED).read_text(encoding="utf-8")
QUESTION_STARTS = [match.start() for match in re.finditer(r"^- id: ", SOURCE_TEXT, re.MULTILINE)]
FIELDS = ["id", "type", "topic", "tags", "difficulty", "prompt", "answer", "key_points", "sources", "options",
          "pitfall", "follow_ups"]
WRONG_VALUES = ["42", "true", "null", "[1, 2]", "{a: 1}", "''", "\"" + "长" * 100_000 + "\"", "-7", "3.5"]
TAGS = ["!!python/object/apply:os.system ['touch {sentinel}']", "!!python/object/new:builtins.open ['{sentinel}', 'w']",
        "!!python/name:os.system", "!custom {a: 1}", "!!binary aGVsbG8="]


def _question_span(index: int) -> tuple[int, int]:
    """Character span of the index-th question in the source file."""
    starts = QUESTION_STARTS + [len(SOURCE_TEXT)]
    return starts[index], starts[index + 1]


def _line_span(index: int) -> tuple[int, int]:
    start, end = _question_span(index)
    return SOURCE_TEXT.count("\n", 0, start) + 1, SOURCE_TEXT.count("\n", 0, end) + 1


def _replace_field(question_text: str, field: str, value: str) -> str:
    """Set a top-level field of one question (its whole block) to `value`, or add it if absent."""
    pattern = re.compile(rf"^(- |  ){field}:.*?(?=^(?:- |  )[a-z_]+:|\Z)", re.MULTILINE | re.DOTALL)
    match = pattern.search(question_text)
    if match is None:
        return question_text.rstrip("\n") + f"\n  {field}: {value}\n"
    return question_text[:match.start()] + f"{match.group(1)}{field}: {value}\n" + question_text[match.end():]


def _delete_field(question_text: str, field: str) -> str:
    if field == "id":  # the list item's first key: keep the "- " so the item stays a mapping
        return re.sub(r"^- id:.*\n  ", "- ", question_text, count=1)
    pattern = re.compile(rf"^  {field}:.*?(?=^  [a-z_]+:|\Z)", re.MULTILINE | re.DOTALL)
    return pattern.sub("", question_text, count=1)


local_mutations = st.one_of(
    st.tuples(st.just("delete"), st.sampled_from(FIELDS), st.just("")),
    st.tuples(st.just("wrong"), st.sampled_from(FIELDS), st.sampled_from(WRONG_VALUES)),
    st.tuples(st.just("tag"), st.sampled_from(FIELDS), st.sampled_from(TAGS)),
    st.tuples(st.just("duplicate"), st.just("id"), st.just("")),
)


def _load(folder: Path, mutated_text: str | bytes):
    (folder / MUTATED).write_bytes(mutated_text if isinstance(mutated_text, bytes) else mutated_text.encode())
    (folder / UNTOUCHED).write_bytes((BANK_DIR / UNTOUCHED).read_bytes())
    return load_bank(folder, cache_dir=None)


def _check_problems_are_placed(result, folder: Path) -> None:
    assert all(isinstance(question, Question) for question in result.questions)  # nothing else was constructed
    for problem in result.problems:
        assert problem.path == str(folder / MUTATED), problem
        assert isinstance(problem.line, int) and problem.line >= 0 and problem.field and problem.message, problem


def _untouched_count() -> int:
    return len(load_bank(BANK_DIR / UNTOUCHED, cache_dir=None).questions)


UNTOUCHED_COUNT = _untouched_count()
SOURCE_IDS = [question.id for question in load_bank(BANK_DIR / MUTATED, cache_dir=None).questions]


@SETTINGS
@given(index=st.integers(0, len(QUESTION_STARTS) - 1), mutation=local_mutations)
def test_a_mutated_question_is_reported_at_its_lines_and_the_rest_still_loads(index, mutation):
    kind, field, value = mutation
    start, end = _question_span(index)
    question_text = SOURCE_TEXT[start:end]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sentinel = folder / "constructed"
        if kind == "delete":
            changed = _delete_field(question_text, field)
        elif kind == "duplicate":
            changed = question_text + question_text
        else:
            changed = _replace_field(question_text, field, value.replace("{sentinel}", str(sentinel)))
        result = _load(folder, SOURCE_TEXT[:start] + changed + SOURCE_TEXT[end:])
        assert not sentinel.exists(), "a YAML tag ran code"
        _check_problems_are_placed(result, folder)
        loaded = [question.id for question in result.questions if question.topic == "capacity"]
        others = [qid for position, qid in enumerate(SOURCE_IDS) if position != index]
        assert set(others) <= set(loaded), "a mutation of one question lost another question"
        assert sum(question.topic == "training" for question in result.questions) == UNTOUCHED_COUNT
        if changed != question_text and set(loaded) != set(SOURCE_IDS) | set(loaded):
            low, high = _line_span(index)
            assert any(low <= problem.line <= high + changed.count("\n") for problem in result.problems)
        if kind in ("tag", "duplicate") or (kind == "delete" and field in ("id", "type", "prompt", "answer")):
            assert result.problems, f"{kind} {field} passed silently"


text_mutations = st.one_of(
    st.tuples(st.just("indent"), st.integers(0, 10_000), st.sampled_from([" ", "   ", "\t"])),
    st.tuples(st.just("dedent"), st.integers(0, 10_000), st.just("")),
    st.tuples(st.just("bytes"), st.integers(0, 10_000), st.sampled_from([b"\xff", b"\xc3\x28", b"\xe6\x9c", b"\x00"])),
    st.tuples(st.just("alias"), st.integers(0, 10_000), st.just("")),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just("")),
)


@SETTINGS
@given(mutation=text_mutations)
def test_a_damaged_file_is_reported_and_the_other_files_still_load(mutation):
    kind, position, value = mutation
    lines = SOURCE_TEXT.splitlines(keepends=True)
    line_number = position % len(lines)
    raw: str | bytes
    if kind == "indent":
        raw = "".join(lines[:line_number] + [value + lines[line_number]] + lines[line_number + 1:])
    elif kind == "dedent":
        raw = "".join(lines[:line_number] + [lines[line_number].lstrip(" ")] + lines[line_number + 1:])
    elif kind == "bytes":
        data = SOURCE_TEXT.encode()
        offset = position * 7 % len(data)
        raw = data[:offset] + value + data[offset:]
    elif kind == "alias":  # a billion-laughs style alias bomb at the top of the file
        bomb = "".join(f"- &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]\n" for n in range(1, 9))
        raw = "- &a0 [lol]\n" + bomb + SOURCE_TEXT
    else:
        raw = SOURCE_TEXT[:position * 3 % len(SOURCE_TEXT)]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        result = _load(folder, raw)
        _check_problems_are_placed(result, folder)
        assert sum(question.topic == "training" for question in result.questions) == UNTOUCHED_COUNT
        if kind == "bytes":  # invalid UTF-8 is named as such, a NUL byte between characters is a YAML error (inside
            # a multi-byte character it splits it: invalid UTF-8 again); either way with its line
            expected = ("YAML", "UTF-8") if value == b"\x00" else ("UTF-8",)
            assert any(any(word in problem.message for word in expected) and problem.line >= 1
                       for problem in result.problems), result.problems
        if kind == "alias":
            assert result.problems  # the bomb's items are not questions


def test_a_python_tag_is_an_error_naming_its_line_not_an_object():
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        sentinel = folder / "constructed"
        start, end = _question_span(0)
        changed = _replace_field(SOURCE_TEXT[start:end], "answer", f"!!python/object/apply:os.system ['touch {sentinel}']")
        result = _load(folder, SOURCE_TEXT[:start] + changed + SOURCE_TEXT[end:])
        assert not sentinel.exists()
        low, high = _line_span(0)
        assert [problem for problem in result.problems if low <= problem.line <= high + 2], result.problems
        assert yaml.__name__  # PyYAML's safe loader is the one in use (a full loader would have run the command)
