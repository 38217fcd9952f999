"""The exercises command line: list, show, start (no silent overwrite) and check (exit code, --json)."""
import json

from questions.exercises.cli import main

SOLUTION = '''
def create_expert_groups(num_experts, parallel_size):
    if num_experts < 1 or parallel_size < 1 or parallel_size > num_experts:
        raise ValueError("bad sizes")
    base, rem = divmod(num_experts, parallel_size)
    starts = [r * base + min(r, rem) for r in range(parallel_size + 1)]
    return [list(range(starts[r], starts[r + 1])) for r in range(parallel_size)]
'''


def test_list_and_show(capsys):
    assert main(["list"]) == 0
    english = capsys.readouterr().out
    assert "group-limited-routing" in english
    assert main(["list", "--lang", "zh"]) == 0
    chinese = capsys.readouterr().out
    assert "专家并行的专家分组" in chinese and "专家并行的专家分组" not in english
    assert main(["--lang", "zh", "list"]) == 0 and capsys.readouterr().out == chinese
    assert main(["show", "expert-groups", "--lang", "zh", "--hints"]) == 0
    out = capsys.readouterr().out
    assert "专家并行的专家分组" in out and "Hint 3" in out


def test_start_writes_the_starter_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(["start", "z-loss", str(tmp_path)]) == 0
    assert "def z_loss" in (tmp_path / "solution.py").read_text(encoding="utf-8")
    (tmp_path / "solution.py").write_text("mine", encoding="utf-8")
    assert main(["start", "z-loss", str(tmp_path)]) == 1
    assert (tmp_path / "solution.py").read_text(encoding="utf-8") == "mine"
    assert main(["start", "z-loss", str(tmp_path), "--force"]) == 0


def test_check_exit_code_and_json(tmp_path, capsys):
    good = tmp_path / "good.py"
    good.write_text(SOLUTION, encoding="utf-8")
    assert main(["check", "expert-groups", str(good), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["version"] == 2 and result["status"] == "pass"
    assert main(["start", "expert-groups", str(tmp_path)]) == 0
    assert main(["check", "expert-groups", str(tmp_path / "solution.py")]) == 1
    assert "FAIL  test_even_split" in capsys.readouterr().out


def test_unknown_slug_and_missing_file(tmp_path, capsys):
    assert main(["show", "no-such-exercise"]) == 2
    assert "unknown exercise" in capsys.readouterr().err
    assert main(["check", "z-loss", str(tmp_path / "missing.py")]) == 2


def test_check_one_test(tmp_path, capsys):
    assert main(["start", "expert-groups", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["check", "expert-groups", str(tmp_path / "solution.py"), "--test", "test_even_split"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  test_even_split" in out and "FAIL: 0/1 tests passed" in out
    assert main(["check", "expert-groups", str(tmp_path / "solution.py"), "--test", "test_nope"]) == 2
    assert "test ('test_nope') must be one of" in capsys.readouterr().err
