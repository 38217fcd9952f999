"""The ids the bank's links are checked against: the exercise catalog's slugs and the sandbox's presets."""
import subprocess
import sys

from questions.exercises.catalog import exercise_slugs
from questions.ui.link_targets import link_targets
from sandbox.presets import PRESETS

from tests.helpers.paths import ROOT


def test_the_targets_are_the_exercise_slugs_and_every_preset():
    slugs, presets = link_targets()
    assert slugs == exercise_slugs() and "topk-router" in slugs
    assert presets == list(PRESETS) and "mixtral-8x7b" in presets


def test_reading_the_targets_imports_no_torch():
    code = "from questions.ui.link_targets import link_targets; import sys; link_targets(); " \
           "assert 'torch' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
