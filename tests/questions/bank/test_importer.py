"""Markdown importer: finds every question of the seeds, keeps code intact, repairs mojibake and names lost lines."""
import re

import pytest
import yaml

from questions import load_bank
from questions.bank.importer import (decode_utf8_tolerant, import_notes, parse_notes, repair_mojibake,
                                     to_skeleton_yaml)

from tests.helpers.paths import SEEDS


def seed(prefix):
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


@pytest.mark.parametrize("prefix, count", [("000", 10), ("001", 25), ("003", 3)])
def test_finds_every_question_of_the_seeds(prefix, count):
    report = import_notes(seed(prefix))
    assert [q.number for q in report.questions] == list(range(1, count + 1))
    assert all(q.title and q.answer for q in report.questions)
    assert not report.repair.mojibake and not report.damaged and not report.warnings


def test_seed_000_bold_questions_and_a_markers():
    questions = import_notes(seed("000")).questions
    assert questions[0].title == "什么是MoE（Mixture of Experts）？它的核心思想是什么？"
    assert questions[0].answer.startswith("MoE是一种模型架构")  # "A1:" dropped
    assert "### 6.2" not in questions[1].answer                  # a section heading ends the answer
    assert questions[9].answer.rstrip().endswith("能效优化")     # the last answer stops before "## 7. 总结"


def test_seed_001_heading_questions_keep_code_fences():
    questions = import_notes(seed("001")).questions
    assert questions[3].title == "如何实现MoE的路由机制？"
    assert questions[0].answer.startswith("MoE是一种条件计算模型架构")  # "**答案：**" dropped
    code = questions[23].answer                                        # Q24: SimpleMoE
    assert code.startswith("```python\nimport torch") and code.count("```") == 2
    assert "        weights = torch.softmax(weights, dim=-1)" in code   # indentation kept
    assert "## 9." not in questions[22].answer


def test_seed_003_pilcrow_questions():
    questions = import_notes(seed("003")).questions
    assert questions[0].title == "MOE是什么,它有什么好处呢?"
    assert questions[2].answer.splitlines()[-1] == "- 噪声注入: 在路由决策中加入随机性"  # stops at "✅ 学习检验¶"


def test_seed_002_has_no_questions():
    assert import_notes(seed("002")).questions == []


def test_seed_004_mojibake_is_repaired_and_lost_lines_are_named():
    report = import_notes(seed("004"))
    assert report.repair.mojibake
    assert [q.number for q in report.questions] == [1, 2, 3]
    assert report.questions[0].title == "MOE是什么，它有什么好处呢？"            # a fully repaired line
    assert "深入" in report.text and "(Mixture of Experts)" in report.text
    assert not re.search("[æåäçèéðÃÂ€“”‡ˆ‰Š‹ŒŸ]", report.text)               # no mojibake left anywhere
    damaged = {d.line: d for d in report.damaged}
    assert damaged[1].excerpt == "# MOE\ufffd\ufffd"                         # 架构: both lost a byte
    assert all("\ufffd" in d.excerpt and d.damaged_chars == d.excerpt.count("\ufffd") or d.excerpt.endswith("...")
               for d in report.damaged)
    lines = report.text.split("\n")
    assert all(("\ufffd" in lines[n - 1]) == (n in damaged) for n in range(1, len(lines) + 1))
    lost = sum(d.damaged_chars for d in report.damaged)
    kept = len(re.findall(r"[\u4e00-\u9fff]", report.text))
    assert 0.1 < lost / (lost + kept) < 0.35                                # "about a fifth" of the characters
    assert report.questions[1].damaged_lines                                 # lost text inside a question is flagged


def test_seed_004_agrees_with_seed_003_on_the_repaired_titles():
    """003 is the plain-text copy of 004's original: undamaged titles must match it (up to full-width punctuation)."""
    def normal(text):
        return text.translate(str.maketrans("，？：", ",?:"))
    titles_003 = [normal(q.title) for q in import_notes(seed("003")).questions]
    for question, expected in zip(import_notes(seed("004")).questions, titles_003):
        if "\ufffd" not in question.title:
            assert normal(question.title) == expected
        else:
            pattern = re.escape(normal(question.title)).replace("\ufffd", ".")
            assert re.fullmatch(pattern, expected)


def test_clean_mojibake_is_repaired_exactly():
    original = "### Q1: 什么是专家并行？\n**答案：** 把专家放到多个设备上，用 All-to-All 通信。\n"
    shown = original.encode("utf-8").decode("cp1252")  # no byte of it is undefined in cp1252: nothing lost
    repair = repair_mojibake(shown)
    assert repair.mojibake and repair.damaged == [] and repair.text == original
    assert repair.repaired_lines == [1, 2]


def test_lossy_mojibake_marks_exactly_the_lost_characters():
    original = "# MOE架构\n核心思想: 条件计算\n"
    shown = original.encode("utf-8").decode("cp1252", errors="ignore")  # drops 0x81, 0x8d, 0x8f, 0x90, 0x9d
    repair = repair_mojibake(shown)
    lost = [char for char in original if len(char.encode("utf-8")) > 1
            and any(byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D) for byte in char.encode("utf-8"))]
    assert sum(d.damaged_chars for d in repair.damaged) == len(lost) > 0
    kept = [char for char in original if char not in lost]
    assert [char for char in repair.text if char != "\ufffd"] == kept


def test_dropped_bytes_become_visible_markers():
    text, decoded, damaged = decode_utf8_tolerant("架构ok".encode("utf-8").replace(b"\x9e", b""))
    assert (text, decoded, damaged) == ("\ufffd\ufffdok", 0, 2)
    assert decode_utf8_tolerant("中文".encode("utf-8")) == ("中文", 2, 0)


def test_real_text_is_left_alone():
    for text in ("Les experts: café, résumé, naïve.\n", "专家混合模型\n", "plain ascii\n"):
        repair = repair_mojibake(text)
        assert not repair.mojibake and repair.text == text


def test_heading_levels_and_fences():
    notes = "\n".join([
        "## Part 1", "### Q1: First?", "**答案：** one", "#### detail inside the answer", "```python",
        "### Q9: not a question inside code", "```", "## Part 2", "intro text", "**Q2: Second?**", "", "A2: two", "",
    ])
    questions = parse_notes(notes)
    assert [(q.number, q.title) for q in questions] == [(1, "First?"), (2, "Second?")]
    assert questions[0].answer.startswith("one\n#### detail") and "### Q9" in questions[0].answer
    assert "Part 2" not in questions[0].answer and questions[1].answer == "two"


def test_skeleton_yaml_is_a_bank_list_that_fails_validation_until_finished(tmp_path):
    report = import_notes(seed("001"))
    text = to_skeleton_yaml(report, topic="routing")
    items = yaml.safe_load(text)
    assert len(items) == 25 and items[3]["id"] == "routing-seed001-q4"
    assert items[3]["sources"] == [{"seed": "001_af5af4a038612498.txt", "ref": "Q4"}]
    assert items[3]["prompt"]["zh"] == "如何实现MoE的路由机制？" and items[3]["prompt"]["en"].startswith("TODO")
    assert "```python" in items[3]["answer"]["zh"]
    (tmp_path / "routing.yaml").write_text(text, encoding="utf-8")
    result = load_bank(tmp_path, cache_dir=None)
    assert result.questions == [] and len({p.line for p in result.problems}) > 25
    assert all("TODO" in p.message for p in result.problems)


def test_skeleton_of_non_seed_notes_cites_a_todo_source(tmp_path):
    notes = tmp_path / "my notes.md"
    notes.write_text("### Q1: 什么是 MoE？\n答案：稀疏激活。\n", encoding="utf-8")
    items = yaml.safe_load(to_skeleton_yaml(import_notes(notes)))
    assert items[0]["id"] == "todo-my-notes-q1" and items[0]["topic"] == "TODO"
    assert items[0]["sources"][0]["paper"].startswith("TODO") and items[0]["answer"]["zh"] == "稀疏激活。"


def test_warnings_for_gaps_and_repeats(tmp_path):
    notes = tmp_path / "n.md"
    notes.write_text("### Q1: a\nx\n### Q3: b\ny\n### Q3: c\n", encoding="utf-8")
    report = import_notes(notes)
    assert any("missing: Q2" in w for w in report.warnings) and any("repeat: Q3" in w for w in report.warnings)
    ids = [item["id"] for item in yaml.safe_load(to_skeleton_yaml(report))]
    assert len(set(ids)) == 3


def test_gb18030_notes_are_decoded(tmp_path):
    notes = tmp_path / "gbk.md"
    notes.write_bytes("### Q1: 什么是专家？\n答案：子网络。\n".encode("gb18030"))
    report = import_notes(notes)
    assert report.decoding == "gb18030" and report.questions[0].title == "什么是专家？"
