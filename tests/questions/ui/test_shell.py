"""The shell's plain parts: where the bank is read from, its cache signature, the broken-bank warning text."""
from __future__ import annotations

import os

from questions.bank.loader import BANK_DIR
from questions.ui import shell
from questions.ui.i18n import t
from tests.helpers.bank import write_bank


def test_the_bank_path_is_the_environment_override_else_the_package(monkeypatch, tmp_path):
    monkeypatch.delenv(shell.BANK_ENV, raising=False)
    assert shell.bank_path() == BANK_DIR
    monkeypatch.setenv(shell.BANK_ENV, f"  {tmp_path}  ")
    assert shell.bank_path() == tmp_path


def test_the_signature_changes_when_a_bank_file_changes(tmp_path):
    bank = write_bank(tmp_path / "bank")
    before = shell.bank_signature(bank)
    assert [name for name, _mtime, _size in before] == ["capacity.yaml", "routing.yaml"]
    (bank / "routing.yaml").write_text("[]\n", encoding="utf-8")
    assert shell.bank_signature(bank) != before
    assert shell.bank_signature(tmp_path / "missing") == ()


def test_the_bank_warning_counts_problems_and_lists_them_without_the_repository_prefix():
    root = str(BANK_DIR.parent.parent) + os.sep
    problems = [f"{root}questions/bank/routing.yaml:{line}: id: missing" for line in range(1, 5)]
    message = shell.bank_problems_message(problems, "en", shown=3)
    assert message.startswith(t("app.bank_problems", "en", count=4))
    assert "- `questions/bank/routing.yaml:1: id: missing`" in message and root not in message
    assert "routing.yaml:4" not in message and message.endswith("- … (+1)")
    assert shell.short_problem("/elsewhere/x.yaml:1: y") == "/elsewhere/x.yaml:1: y"
