"""Tests for the FSRS wrapper: previews, the shown interval being the saved one, interval text, rating suggestions."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fsrs import Card, Rating, State

from questions.languages import LANGUAGES
from questions.study.scheduler import (
    INTERVAL_UNITS,
    RATINGS,
    build_scheduler,
    card_id_for,
    format_interval,
    new_card,
    preview,
    preview_labels,
    suggest_rating,
)
from questions.store import Store
from questions.ui.labels import interval_units

from tests.helpers.languages import UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE_ERROR

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _review_state_card(question_id="routing-a"):
    """A card that has graduated to the Review state with a multi-week interval (so fuzzing applies)."""
    scheduler = build_scheduler(enable_fuzzing=False)
    card, _ = scheduler.review_card(new_card(question_id, NOW), Rating.Easy, NOW)
    for _ in range(2):
        card, _ = scheduler.review_card(card, Rating.Good, card.due)
    assert card.state == State.Review and card.due - card.last_review > timedelta(days=10)
    return card


def test_card_id_is_stable_positive_and_distinct():
    assert card_id_for("routing-topk-normalisation") == card_id_for("routing-topk-normalisation")
    assert card_id_for("routing-a") != card_id_for("routing-b")
    assert 0 < card_id_for("x") < 2**63
    assert card_id_for("routing-a") == 7301680802500801451  # fixed forever: changing it would orphan stored logs
    with pytest.raises(ValueError, match="question_id"):
        card_id_for("")


def test_preview_of_never_seen_question():
    previews = preview(None, "routing-a", NOW)
    assert list(previews) == list(RATINGS)
    for rating, (card, log) in previews.items():
        assert card.card_id == log.card_id == card_id_for("routing-a")
        assert log.rating == rating and log.review_datetime == NOW
        assert card.last_review == NOW and card.due > NOW
    dues = [previews[rating][0].due for rating in RATINGS]
    assert dues == sorted(dues) and dues[0] < dues[-1]  # Again soonest, Easy latest


def test_preview_does_not_change_the_stored_card():
    card = _review_state_card()
    before = card.to_dict()
    preview(card, "routing-a", card.due)
    assert card.to_dict() == before


def test_preview_accepts_any_aware_timezone_and_rejects_naive():
    beijing = NOW.astimezone(ZoneInfo("Asia/Shanghai"))
    card, log = preview(None, "q", beijing)[Rating.Good]
    assert log.review_datetime == NOW and log.review_datetime.tzinfo is timezone.utc
    assert preview(None, "q", NOW.replace(tzinfo=ZoneInfo("UTC")))[Rating.Good][1].review_datetime == NOW
    with pytest.raises(ValueError, match="timezone-aware"):
        preview(None, "q", datetime(2026, 3, 1, 12))


def test_shown_interval_is_saved_interval_with_fuzzing(tmp_path):
    scheduler = build_scheduler()
    assert scheduler.enable_fuzzing and scheduler.desired_retention == 0.9
    card = _review_state_card()
    review_time = card.due + timedelta(days=3)
    # Fuzzing is live: reviewing the same card again gives different intervals, so recomputing on commit would lie.
    assert len({scheduler.review_card(card, Rating.Good, review_time)[0].due for _ in range(30)}) > 1
    store = Store(tmp_path / "db")
    for attempt in range(10):
        question_id = f"routing-{attempt}"
        previews = preview(card, question_id, review_time, scheduler=scheduler)
        shown = preview_labels(previews, review_time, interval_units("en"))[Rating.Good]
        store.reviews.record("p", question_id, *previews[Rating.Good])
        saved = store.reviews.card("p", question_id)
        assert saved.due == previews[Rating.Good][0].due
        assert format_interval(review_time, saved.due, interval_units("en")) == shown
        assert store.reviews.logs("p")[-1]["rating"] == 3


@pytest.mark.parametrize(
    ("delta", "en", "zh"),
    [
        (timedelta(0), "1m", "1分钟"),
        (timedelta(minutes=10), "10m", "10分钟"),
        (timedelta(minutes=59, seconds=50), "1h", "1小时"),
        (timedelta(hours=5), "5h", "5小时"),
        (timedelta(hours=23, minutes=50), "1d", "1天"),
        (timedelta(days=3), "3d", "3天"),
        (timedelta(days=29, hours=23), "1mo", "1个月"),
        (timedelta(days=61), "2mo", "2个月"),
        (timedelta(days=360), "1y", "1年"),
        (timedelta(days=438), "1.2y", "1.2年"),
        (timedelta(days=-3), "1m", "1分钟"),  # overdue: due now
    ],
)
def test_format_interval(delta, en, zh):
    assert format_interval(NOW, NOW + delta, interval_units("en")) == en
    assert format_interval(NOW, NOW + delta, interval_units("zh")) == zh


def test_every_language_has_interval_units():
    assert all(set(interval_units(lang)) == set(INTERVAL_UNITS) for lang in LANGUAGES)
    assert all(format_interval(NOW, NOW + timedelta(days=3), interval_units(lang)).startswith("3")
               for lang in LANGUAGES)


def test_format_interval_rejects_unknown_language_missing_units_and_naive_times():
    with pytest.raises(ValueError, match=UNKNOWN_LANGUAGE_ERROR):
        format_interval(NOW, NOW, interval_units(UNKNOWN_LANGUAGE))
    with pytest.raises(ValueError, match=r"units must give a suffix for each of .*; missing \['year'\]"):
        format_interval(NOW, NOW, {unit: unit for unit in INTERVAL_UNITS if unit != "year"})
    with pytest.raises(ValueError, match="due"):
        format_interval(NOW, datetime(2026, 3, 2), interval_units("en"))


@pytest.mark.parametrize(
    ("ticked", "total", "rating"),
    [(0, 5, Rating.Again), (1, 5, Rating.Hard), (2, 5, Rating.Hard), (3, 5, Rating.Good), (4, 5, Rating.Good),
     (5, 5, Rating.Easy), (1, 1, Rating.Easy), (0, 1, Rating.Again), (0, 0, Rating.Good)],
)
def test_suggest_rating(ticked, total, rating):
    assert suggest_rating(ticked, total) == rating


def test_suggest_rating_rejects_impossible_counts():
    with pytest.raises(ValueError, match="points_ticked"):
        suggest_rating(4, 3)


def test_again_on_review_card_goes_to_relearning():
    card = _review_state_card()
    again, _ = preview(card, "routing-a", card.due)[Rating.Again]
    assert again.state == State.Relearning
    assert isinstance(Card.from_json(again.to_json()), Card)
