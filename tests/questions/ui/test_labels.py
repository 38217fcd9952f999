"""How pages name things: topics (unknown ones by id), difficulties, ratings, sources, elapsed and saved times."""
from __future__ import annotations

from types import SimpleNamespace

from fsrs import Rating

from questions.ui.labels import (
    difficulty_label, format_elapsed, format_source, format_taken_at, rating_label, topic_label, topic_or_all_label)


def test_format_source_and_elapsed():
    source = {"paper": "Fedus et al. 2021", "ref": "Sec. 2", "seed": None, "url": None}
    assert format_source(source, "en") == "Fedus et al. 2021 (Sec. 2)"
    assert format_elapsed(754) == "12:34" and format_elapsed(-3) == "0:00"
    assert format_elapsed(12.9) == "0:12"


def test_format_source_of_a_seed_with_a_link_read_by_attribute():
    source = SimpleNamespace(paper="Fedus et al. 2021", seed="001_af5af4a038612498.txt", ref="Q4", url="https://x.org")
    assert format_source(source, "en") == "[Fedus et al. 2021, MoE parallelism interview questions (zh) (Q4)](https://x.org)"


def test_a_source_note_shows_its_title_not_its_file_name_in_both_languages():
    source = {"paper": None, "seed": "001_af5af4a038612498.txt", "ref": "Q25", "url": None}
    assert format_source(source, "en") == "MoE parallelism interview questions (zh), Q25"
    assert format_source(source, "zh") == "MoE 并行策略面试题合集, Q25"
    for lang in ("en", "zh"):
        assert "001_" not in format_source(source, lang) and "seed" not in format_source(source, lang)


def test_topic_difficulty_and_rating_labels_in_both_languages():
    assert topic_label("load-balancing", "en") == "Load balancing"
    assert topic_label("routing", "zh") != "routing"
    assert topic_label("not-a-topic", "zh") == "not-a-topic"  # an unknown topic shows its id
    assert topic_or_all_label(None, "en") == topic_or_all_label("", "en") == "All topics"
    assert topic_or_all_label("capacity", "en") == "Capacity"
    assert [difficulty_label(level, "en") for level in (1, 2, 3)] == ["easy", "medium", "hard"]
    assert rating_label(Rating.Good, "en") == rating_label(3, "en") == "Good"
    assert rating_label(1, "zh") != "Again"


def test_saved_times_show_in_utc_to_the_minute():
    assert format_taken_at("2026-03-01T12:34:56.000001+00:00") == "2026-03-01 12:34"
    assert format_taken_at("2026-03-01T08:00:00+08:00") == "2026-03-01 00:00"
