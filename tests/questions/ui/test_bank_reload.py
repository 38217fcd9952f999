"""A bank file replaced while the app runs is picked up on the next rerun, without a restart."""
import os

from questions.ui.routes import PRACTICE
from tests.helpers.apptest import run_ok, texts
from tests.helpers.bank import question_yaml


def test_a_replaced_bank_file_is_picked_up_on_the_next_rerun(make_app, bank_dir):
    at = run_ok(make_app(page=PRACTICE.path, q="routing-fresh"))
    assert "Freshly replaced" not in texts(at)
    replacement = bank_dir / "routing.yaml.new"
    replacement.write_text(question_yaml(qid="routing-fresh").replace("Why?", "Freshly replaced?"), encoding="utf-8")
    os.replace(replacement, bank_dir / "routing.yaml")  # an editor's atomic save: a new file under the old name
    at.query_params["q"] = "routing-fresh"
    at = run_ok(at)
    assert "Freshly replaced?" in texts(at)
