"""`python -m questions`: exit codes and output of validate, stats, import and bench."""
import io
import os
import re
import subprocess
import sys

import pytest
import yaml

from questions.bank.cli import main

from tests.helpers.bank import question_yaml
from tests.helpers.paths import ROOT, SEEDS


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("MOE_LAB_CACHE", "off")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(list(map(str, argv)), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def good_bank(tmp_path):
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "routing.yaml").write_text(question_yaml() + question_yaml(qid="routing-two"), encoding="utf-8")
    (bank / "capacity.yaml").write_text(question_yaml(topic="capacity", qid="capacity-one", difficulty="3"),
                                        encoding="utf-8")
    return bank


def test_validate_ok_prints_a_count(good_bank):
    code, out, err = run("validate", good_bank)
    assert code == 0 and out.strip() == "OK: 3 question(s) in 2 file(s)" and err == ""


def test_validate_problems_exit_1_with_file_line_field_message(good_bank):
    broken = good_bank / "training.yaml"
    broken.write_text(question_yaml(topic="training", qid="training-x", answer_en=""), encoding="utf-8")
    code, out, err = run("validate", good_bank / "routing.yaml", broken)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[0] == f"{broken}:9: answer.en: must not be empty"
    assert re.match(r"1 problem\(s\); 2 question\(s\) loaded from 2 file\(s\)", lines[-1])


def test_validate_missing_path_exits_1(tmp_path):
    code, _out, err = run("validate", tmp_path / "nope.yaml")
    assert code == 1 and "no such file or directory" in err


def test_stats_counts(good_bank):
    code, out, _err = run("stats", good_bank)
    assert code == 0
    assert "questions: 3" in out
    assert re.search(r"routing\s+2\b", out) and re.search(r"capacity\s+1\b", out)
    assert re.search(r"open\s+3\b", out) and re.search(r"choice\s+0\b", out)
    assert re.search(r"\n  2\s+2\b", out) and re.search(r"\n  3\s+1\b", out)
    assert re.search(r"zh\s+3 / 3 \(100%\)", out) and re.search(r"en\s+3 / 3 \(100%\)", out)
    assert re.search(r"001_af5af4a038612498.txt\s+3", out)


def test_import_writes_skeletons(tmp_path):
    output = tmp_path / "out.yaml"
    code, _out, err = run("import", SEEDS / "001_af5af4a038612498.txt", "-o", output)
    assert code == 0 and "25 question(s) found (Q1-Q25)" in err and "fails until they are finished" in err
    items = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert [item["sources"][0]["ref"] for item in items] == [f"Q{n}" for n in range(1, 26)]
    assert run("validate", output)[0] == 1  # unfinished on purpose


def test_import_to_stdout(tmp_path):
    code, out, _err = run("import", SEEDS / "000_2140d564b5e31594.txt", "--topic", "fundamentals")
    assert code == 0 and len(yaml.safe_load(out)) == 10 and "id: fundamentals-seed000-q1" in out


def test_import_of_mojibake_refuses_without_allow_partial(tmp_path):
    output = tmp_path / "out.yaml"
    code, _out, err = run("import", SEEDS / "004_ac9308a275c74e69.txt", "-o", output)
    assert code == 1 and not output.exists()
    assert "mojibake detected" in err and "004_ac9308a275c74e69.txt:1: 2 character(s) lost: # MOE" in err
    assert "nothing written" in err and "--allow-partial" in err


def test_import_of_mojibake_with_allow_partial_marks_the_losses(tmp_path):
    output = tmp_path / "out.yaml"
    code, _out, _err = run("import", SEEDS / "004_ac9308a275c74e69.txt", "-o", output, "--allow-partial")
    text = output.read_text(encoding="utf-8")
    assert code == 0 and "# WARNING: lines" in text and "\ufffd" in text
    assert len(yaml.safe_load(text)) == 3


def test_import_without_questions_exits_1(tmp_path):
    code, _out, err = run("import", SEEDS / "002_8e12b2257a568922.txt", "-o", tmp_path / "x.yaml")
    assert code == 1 and "no questions found" in err and not (tmp_path / "x.yaml").exists()


def test_import_missing_file_exits_1(tmp_path):
    code, _out, err = run("import", tmp_path / "none.md")
    assert code == 1 and "none.md" in err


def test_bench_runs_on_a_small_bank():
    code, out, _err = run("bench", "--count", "30", "--repeat", "1")
    assert code == 0 and "30 questions" in out and "load_bank, cached" in out and "filter_questions" in out


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as caught:
        run("frobnicate")
    assert caught.value.code == 2
    assert run("bench", "--count", "0")[0] == 2


def module_entry(*argv):
    """`python -m questions ARGV...` from the repository root."""
    env = {**os.environ, "MOE_LAB_CACHE": "off"}
    return subprocess.run([sys.executable, "-m", "questions", *map(str, argv)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_module_entry_point(good_bank):
    done = module_entry("validate", good_bank)
    assert done.returncode == 0 and "OK: 3 question(s)" in done.stdout


def test_validate_reports_a_link_to_nothing_with_file_and_line(good_bank):
    links = "  exercises: [topk-router]\n  sandbox_presets:\n    - mixtral-8x7b\n    - gpt-4\n"
    (good_bank / "routing.yaml").write_text(question_yaml() + question_yaml(qid="routing-two", extra=links),
                                            encoding="utf-8")
    assert run("validate", good_bank)[0] == 0  # main() alone checks the form of links: they are well formed
    done = module_entry("validate", good_bank)
    line = question_yaml().count("\n") + question_yaml(qid="routing-two").count("\n") + 4  # "    - gpt-4"
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[0] == (f"{good_bank / 'routing.yaml'}:{line}: sandbox_presets[1]: 'gpt-4' names "
                                           "no sandbox preset (a key of sandbox/presets.py's PRESETS)")
    assert "1 problem(s); 3 question(s) loaded" in done.stderr
