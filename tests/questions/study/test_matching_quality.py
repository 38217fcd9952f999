"""The answer matcher's quality on the labelled answers (tests/questions/study/data): precision >= 0.9 at recall >=
0.7 per language and overall, no trap ticked on the labelled set, and precision >= 0.9 on both held-out sets."""
from __future__ import annotations

import pytest

from tests.questions.study.bench_matching import (
    HOLDOUT, HOLDOUT_2, LABELLED, TARGET_PRECISION, TARGET_RECALL, evaluate, labelled_answers, real_bank)


@pytest.fixture(scope="module")
def by_id():
    return real_bank()


@pytest.mark.parametrize("path", [LABELLED, HOLDOUT, HOLDOUT_2], ids=["labelled", "held-out", "held-out-2"])
def test_every_labelled_answer_names_a_bank_question_and_its_key_points(path, by_id):
    for item in labelled_answers(path):
        assert item.question in by_id, f"{path.name}: unknown question {item.question}"
        count = len(by_id[item.question].key_points or [])
        assert item.covered | item.traps <= set(range(count)), f"{path.name}: {item.question} has {count} key points"
        assert not item.covered & item.traps, f"{path.name}: {item.question}: a trap is never covered"
        assert item.lang in ("en", "zh") and item.answer.strip()


def test_the_labelled_set_has_both_languages_every_quality_and_traps(by_id):
    answers = labelled_answers(LABELLED)
    triples = {"en": 0, "zh": 0}  # one (answer, key point) triple per key point of the answered question
    for item in answers:
        triples[item.lang] += len(by_id[item.question].key_points or [])
    assert sum(triples.values()) >= 60 and min(triples.values()) >= 25, triples
    assert {item.kind for item in answers} >= {"complete", "partial", "terse", "paraphrase", "trap"}
    assert sum(len(item.traps) for item in answers) >= 12


def test_precision_and_recall_meet_the_target_on_the_labelled_set(by_id):
    result = evaluate(labelled_answers(LABELLED), by_id)
    for lang, counts in result["counts"].items():
        assert counts.precision >= TARGET_PRECISION, (lang, counts)
        assert counts.recall >= TARGET_RECALL, (lang, counts)
    assert result["traps_ticked"] == []


@pytest.mark.parametrize("path", [HOLDOUT, HOLDOUT_2], ids=["held-out", "held-out-2"])
def test_precision_holds_on_answers_the_matcher_was_not_tuned_on(path, by_id):
    # recall on these differently phrased answers is lower (the benchmark prints it); a false tick is what would
    # mislead a user, so precision is what must hold
    counts = evaluate(labelled_answers(path), by_id)["counts"]["all"]
    assert counts.precision >= TARGET_PRECISION, counts
