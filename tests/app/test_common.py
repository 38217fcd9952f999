"""Pure helpers of the pages: practice queues, mock interview draws, choice grading, sources, locale, elapsed time."""
from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from questions.ui import shell as common


def test_practice_queues():
    filtered = ["a", "b", "c", "d"]
    due = ["x", "c", "a"]  # the store's order (most overdue first); x is filtered out
    seen = {"a", "c", "x"}
    assert common.practice_queue("due", filtered, due, seen, set()) == ["c", "a"]
    assert common.practice_queue("new", filtered, due, seen, set()) == ["b", "d"]
    assert common.practice_queue("bookmarked", filtered, due, seen, {"d", "x"}) == ["d"]
    assert common.practice_queue("all", filtered, due, seen, set(), exclude={"b"}) == ["a", "c", "d"]
    with pytest.raises(ValueError, match="queue"):
        common.practice_queue("later", filtered, due, seen, set())


def test_mock_draw_spreads_across_topics_and_takes_open_questions_only():
    questions = [SimpleNamespace(id=f"{topic}-{n}", topic=topic, type=kind)
                 for topic in ("routing", "capacity", "training") for n, kind in enumerate(["open"] * 3 + ["choice"])]
    drawn = common.draw_mock_questions(questions, 3, rng=random.Random(1))
    assert len(drawn) == 3 and {qid.split("-")[0] for qid in drawn} == {"routing", "capacity", "training"}
    assert all(not qid.endswith("-3") for qid in drawn)  # index 3 is the choice question
    everything = common.draw_mock_questions(questions, 50, topics=["routing"], rng=random.Random(2))
    assert sorted(everything) == ["routing-0", "routing-1", "routing-2"]


def test_choice_grading_needs_exactly_the_correct_set():
    assert common.choice_is_correct([1], [1])
    assert not common.choice_is_correct([0, 2], [0])
    assert not common.choice_is_correct([0], [0, 1])


def test_format_source_and_locale_and_elapsed():
    source = {"paper": "Fedus et al. 2021", "ref": "Sec. 2", "seed": None, "url": None}
    assert common.format_source(source, "en") == "Fedus et al. 2021 (Sec. 2)"
    assert common.language_from_locale("zh-Hans-CN") == "zh"
    assert common.language_from_locale("de-DE") == "en" and common.language_from_locale(None) == "en"
    assert common.format_elapsed(754) == "12:34" and common.format_elapsed(-3) == "0:00"
    assert common.local_text({"en": "hi", "zh": ""}, "zh") == "hi"
