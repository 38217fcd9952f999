"""The bank rule against `$$...$$` inside a Markdown list item (Streamlit draws it inline): where it fires, where it
does not, and how `validate` reports it."""
import io

import pytest

from questions.bank.cli import main
from questions.bank.schema import display_math_in_list_items
from tests.helpers.bank import question_yaml


@pytest.mark.parametrize("text, lines", [
    ("- **Gate**:\n  $$G(x) = x$$\n  more words", [2]),       # the item's continuation line
    ("1. the loss $$L = 1$$", [1]),                           # the item's own line
    ("- a list\n\n  $$x$$", [3]),                             # a later paragraph of the same item
    ("- a list\n\n$$x$$\n\n- another", []),                   # its own paragraph after the list: display math
    ("$$p = \\mathrm{softmax}(x)$$\n\n- then a list", []),     # before the list
    ("- inline $x$ is fine\n- so is this", []),
])
def test_display_math_in_list_items(text, lines):
    assert display_math_in_list_items(text) == lines


def test_validate_reports_the_field_and_line(tmp_path, monkeypatch):
    monkeypatch.setenv("MOE_LAB_CACHE", "off")
    bank = tmp_path / "bank"
    bank.mkdir()
    broken = bank / "routing.yaml"
    broken.write_text(question_yaml(answer_en="- **Gate**:\\n  $$G(x) = x$$"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(bank)], out=out, err=err) == 1
    first = err.getvalue().splitlines()[0]
    assert first.startswith(f"{broken}:9: answer.en: ") and "$$...$$ inside a list item (line 2" in first
