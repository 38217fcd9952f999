"""Fuzzed notes for the Markdown importer (hypothesis): any text or bytes gives a report or a ValueError naming the
byte, never a crash; the lines it names exist; the skeleton it writes is YAML the bank loader reads without crashing."""
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questions import load_bank
from questions.bank.importer import import_notes, to_skeleton_yaml

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEED_TEXT = (Path(__file__).parent / "seeds" / "001_af5af4a038612498.txt").read_text(encoding="utf-8")

fragments = st.sampled_from([
    "## Q{n}. 什么是 MoE？\n", "### Q{n}: Why top-k?\n", "**Q{n}.** 路由器如何工作\n", "Q{n}：负载均衡\n",
    "答：专家混合。\n", "Answer: because.\n", "```python\nx = 1\n```\n", "- item\n", "\n", "#\n", "## \n", "¶ heading\n",
    "$$a^2$$\n", "| a | b |\n", "\t\tindented\n", "\r\n", "é" * 3 + "\n", "\x00\n", "Q\n", "Q99999999999999999999.\n"])
documents = st.lists(st.tuples(fragments, st.integers(0, 30)), max_size=40).map(
    lambda parts: "".join(fragment.replace("{n}", str(number)) for fragment, number in parts))
mojibake = documents.map(lambda text: text.encode("utf-8").decode("cp1252", errors="replace"))
slices = st.tuples(st.integers(0, len(SEED_TEXT)), st.integers(0, 3000)).map(
    lambda span: SEED_TEXT[span[0]:span[0] + span[1]])
any_text = st.one_of(documents, mojibake, slices, st.text(max_size=500))


def _check_report(report, text: str) -> None:
    line_count = text.replace("\r\n", "\n").count("\n") + 1
    for question in report.questions:
        assert 1 <= question.line <= question.end_line <= line_count + 1, (question.line, question.end_line)
    for damaged in report.damaged:
        assert 1 <= damaged.line <= line_count, damaged
    assert all(isinstance(line, str) for line in report.summary_lines())


@SETTINGS
@given(text=any_text)
def test_any_notes_text_gives_a_report_whose_lines_exist(text):
    report = import_notes("notes.md", text)
    _check_report(report, text)
    skeleton = to_skeleton_yaml(report, topic="routing")
    parsed = yaml.safe_load(skeleton)
    assert parsed is None or isinstance(parsed, list)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "routing.yaml").write_text(skeleton, encoding="utf-8")
        result = load_bank(folder, cache_dir=None)  # unfinished TODOs are problems, with their lines
        assert all(problem.line >= 0 and problem.field for problem in result.problems)


@SETTINGS
@given(raw=st.binary(max_size=400) | any_text.map(lambda text: text.encode("gb18030", errors="ignore")))
def test_any_notes_file_gives_a_report_or_an_error_naming_the_byte(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "notes.md"
        path.write_bytes(raw)
        try:
            report = import_notes(path)
        except ValueError as error:
            assert "byte 0x" in str(error) and "line" in str(error)
        else:
            assert report.decoding in ("utf-8", "gb18030")
            _check_report(report, report.text)


def test_an_implausible_question_number_is_a_warning_not_a_list_of_missing_numbers():
    report = import_notes("notes.md", "## Q1. 什么是 MoE？\n答：专家混合。\n## Q99999999999999999999. x\n答：y\n")
    assert any("implausible" in warning for warning in report.warnings)
    assert not any("missing" in warning for warning in report.warnings)
