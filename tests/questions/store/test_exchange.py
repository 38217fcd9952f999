"""Tests for progress statistics, the JSON export/import round trip and the Anki CSV export."""
import csv
import io
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fsrs import Rating

from questions.study.progress import (
    anki_csv,
    answer_button_counts,
    due_forecast,
    exercise_pass_rates,
    export_file_name,
    export_progress_json,
    import_progress_json,
    progress_summary,
    quiz_score_history,
    retention_by_topic,
    review_calendar,
    weakest_topics,
)
from questions.study.scheduler import preview
from questions.store.db import ProgressFormatError, Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)

QUESTIONS = [
    {"id": "routing-a", "type": "open", "topic": "routing", "tags": ["router", "softmax"], "difficulty": 2,
     "prompt": {"en": "Why softmax, then top-k?", "zh": "为什么先 softmax 再 top-k？"},
     "answer": {"en": 'Logits can be negative, "sum" ~ 0, so x/sum(x) breaks; use $p_i = e^{x_i}$.\n\n'
                      "```python\nw = torch.softmax(x, -1)  # a < b\n```",
                "zh": "logits 可以为负。"},
     "key_points": [{"en": "logits may be negative, so a, b < 0", "zh": "logits 可为负"},
                    {"en": "renormalise the k weights", "zh": "重新归一化"}]},
    {"id": "routing-b", "type": "choice", "topic": "routing", "tags": ["router"], "difficulty": 1,
     "prompt": {"en": "Pick, one", "zh": "选择"}, "answer": {"en": "B", "zh": "B"}},
    {"id": "capacity-a", "type": "open", "topic": "capacity", "tags": ["capacity factor"], "difficulty": 3,
     "prompt": {"en": "Capacity?", "zh": "容量？"}, "answer": {"en": "ceil(cf * k * T / E)", "zh": "向上取整"},
     "key_points": [{"en": "ceil", "zh": "取整"}]},
]


def _log(question_id, rating, when):
    return {"question_id": question_id, "rating": rating, "review_datetime": when.isoformat(), "source": "practice"}


LOGS = [
    _log("routing-a", 1, NOW - timedelta(days=2)),
    _log("routing-a", 3, NOW - timedelta(days=2, hours=-1)),
    _log("routing-b", 4, NOW - timedelta(days=1)),
    _log("capacity-a", 1, NOW - timedelta(hours=13)),
    _log("capacity-a", 2, NOW),
    _log("deleted-question", 1, NOW),
]


def test_review_calendar_counts_per_local_day():
    assert review_calendar(LOGS) == {"2026-02-27": 2, "2026-02-28": 2, "2026-03-01": 2}
    # 23:00 UTC on the 28th is already March 1st in Beijing.
    assert review_calendar(LOGS, ZoneInfo("Asia/Shanghai")) == {"2026-02-27": 2, "2026-02-28": 1, "2026-03-01": 3}
    assert review_calendar([]) == {}


def test_answer_button_counts_has_every_button():
    assert answer_button_counts(LOGS) == {1: 3, 2: 1, 3: 1, 4: 1}
    assert answer_button_counts([]) == {1: 0, 2: 0, 3: 0, 4: 0}


def test_retention_and_weakest_topics():
    retention = retention_by_topic(LOGS, QUESTIONS)
    assert list(retention) == ["routing", "capacity"]  # bank order; the deleted question is left out
    assert retention["routing"] == {"reviews": 3, "retained": 2, "lapses": 1, "retention": 2 / 3}
    assert retention["capacity"] == {"reviews": 2, "retained": 1, "lapses": 1, "retention": 0.5}
    assert [row["topic"] for row in weakest_topics(LOGS, QUESTIONS)] == ["capacity", "routing"]
    assert weakest_topics(LOGS, QUESTIONS, limit=1, min_reviews=3)[0]["topic"] == "routing"


def test_due_forecast_buckets_next_30_days():
    cards = {
        "overdue": preview(None, "overdue", NOW - timedelta(days=10))[Rating.Good][0],  # due 10 days ago
        "today": preview(None, "today", NOW)[Rating.Again][0],
        "in-3-days": preview(None, "a", NOW + timedelta(days=3))[Rating.Good][0],
        "in-29-days": preview(None, "b", NOW + timedelta(days=29))[Rating.Good][0],
        "in-30-days": preview(None, "c", NOW + timedelta(days=30))[Rating.Good][0],
    }
    forecast = due_forecast(cards, NOW)
    assert len(forecast) == 30
    assert forecast[0] == ("2026-03-01", 2)
    assert forecast[3] == ("2026-03-04", 1)
    assert forecast[29] == ("2026-03-30", 1)
    assert sum(count for _, count in forecast) == 4
    with pytest.raises(ValueError, match="days"):
        due_forecast(cards, NOW, days=0)


def test_quiz_history_and_exercise_pass_rates():
    quizzes = [{"taken_at": "2026-03-02T00:00:00+00:00", "topic": None, "score": 0, "total": 0},
               {"taken_at": "2026-03-01T00:00:00+00:00", "topic": "routing", "score": 3, "total": 4}]
    assert [(row["topic"], row["percent"]) for row in quiz_score_history(quizzes)] == [("routing", 75.0), (None, 0.0)]
    attempts = [{"slug": "z-loss", "status": "fail", "passed": 1, "total": 3},
                {"slug": "z-loss", "status": "pass", "passed": 3, "total": 3},
                {"slug": "topk-router", "status": "error", "passed": 0, "total": 0}]
    rates = exercise_pass_rates(attempts)
    assert list(rates) == ["topk-router", "z-loss"]
    assert rates["z-loss"] == {"attempts": 2, "passes": 1, "best_passed": 3, "best_total": 3, "pass_rate": 0.5,
                               "solved": True}
    assert rates["topk-router"]["solved"] is False and rates["topk-router"]["pass_rate"] == 0.0


def _fill(store, profile):
    for index, question in enumerate(QUESTIONS):
        card, log = preview(None, question["id"], NOW - timedelta(days=index))[Rating(index + 1)]
        store.record_review(profile, question["id"], card, log, answer_text=f"答案 {index}, \"quoted\"")
    store.set_bookmark(profile, "routing-a", True)
    store.set_note(profile, "capacity-a", "ceil, not floor\nsecond line")
    store.record_quiz(profile, "routing", ["routing-b"], {"routing-b": [1]}, 1, 1, taken_at=NOW)
    card, log = preview(store.get_card(profile, "routing-a"), "routing-a", NOW)[Rating.Hard]
    store.record_mock(profile, [{"question_id": "routing-a", "answer_text": "x", "seconds": 30.5, "rating": 2,
                                 "card": card, "log": log},
                                {"question_id": "capacity-a", "answer_text": None, "seconds": None, "rating": None}],
                      taken_at=NOW)
    store.record_exercise_attempt(profile, "z-loss", "pass", 3, 3, "def z_loss(x): ...", attempted_at=NOW)


def _comparable(export):
    return {key: value for key, value in export.items() if key not in ("exported_at", "profile")}


def test_export_import_round_trip(tmp_path):
    store = Store(tmp_path / "db")
    _fill(store, "alice")
    text = export_progress_json(store, "alice")
    data = json.loads(text)
    assert data["format"] == "moe-interview-lab-progress" and data["version"] == 1
    assert "答案" in text  # UTF-8, not \u escapes

    other = Store(tmp_path / "other.sqlite3")
    counts = import_progress_json(other, "bob", text.encode("utf-8"))
    assert counts["review_log"] == 4 and counts["mock_sessions"] == 1
    assert _comparable(other.export_profile("bob")) == _comparable(data)
    assert {qid: card.to_dict() for qid, card in other.cards("bob").items()} == {
        qid: card.to_dict() for qid, card in store.cards("alice").items()}
    assert other.note("bob", "capacity-a") == "ceil, not floor\nsecond line"
    # Importing again replaces rather than duplicates.
    import_progress_json(other, "bob", text)
    assert len(other.review_logs("bob")) == 4
    assert _comparable(other.export_profile("bob")) == _comparable(data)


def _mutated(data, change):
    copy = json.loads(json.dumps(data))
    change(copy)
    return json.dumps(copy)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(format="anki"), "format"),
        (lambda d: d.update(version=99), "version"),
        (lambda d: d["review_log"][1]["log"].update(rating=7), r"review_log\[1\]\.log"),
        (lambda d: d["review_log"][0].update(source="exam"), r"review_log\[0\]\.source"),
        (lambda d: d["cards"][0]["card"].pop("due"), r"cards\[0\]\.card"),
        (lambda d: d["cards"].append(d["cards"][0]), r"cards\[3\]\.question_id"),
        (lambda d: d["quiz_results"][0].update(score=5), r"quiz_results\[0\]\.score"),
        (lambda d: d["mock_sessions"][0]["items"][0].update(rating="good"), r"mock_sessions\[0\]\.items\[0\]\.rating"),
        (lambda d: d["notes"][0].update(updated_at="yesterday"), r"notes\[0\]\.updated_at"),
        (lambda d: d.update(bookmarks={}), "bookmarks"),
        (lambda d: d["exercise_attempts"][0].pop("slug"), r"exercise_attempts\[0\]\.slug"),
    ],
)
def test_bad_import_names_the_field_and_changes_nothing(tmp_path, change, match):
    store = Store(tmp_path / "db")
    _fill(store, "alice")
    good = store.export_profile("alice")
    store.set_note("alice", "routing-b", "must survive a failed import")
    before = _comparable(store.export_profile("alice"))
    with pytest.raises(ProgressFormatError, match=match):
        import_progress_json(store, "alice", _mutated(good, change))
    assert _comparable(store.export_profile("alice")) == before


def test_import_rejects_non_json_with_position(tmp_path):
    store = Store(tmp_path / "db")
    with pytest.raises(ProgressFormatError, match="line 1, column"):
        import_progress_json(store, "alice", "{not json")
    with pytest.raises(ProgressFormatError, match="UTF-8"):
        import_progress_json(store, "alice", b"\xff\xfe\x00")
    with pytest.raises(ProgressFormatError, match="JSON object"):
        import_progress_json(store, "alice", "[]")
    assert store.profiles() == []


def test_progress_summary_reads_one_profile(tmp_path):
    store = Store(tmp_path / "db")
    _fill(store, "alice")
    store.record_review("bob", "routing-b", *preview(None, "routing-b", NOW)[Rating.Again])
    summary = progress_summary(store, "alice", QUESTIONS, NOW + timedelta(days=1))
    assert summary["total_reviews"] == 4
    assert summary["cards_seen"] == 3 and summary["never_seen"] == 0
    assert summary["answer_buttons"] == {1: 1, 2: 2, 3: 1, 4: 0}
    assert len(summary["forecast"]) == 30
    assert summary["quiz_history"][0]["percent"] == 100.0
    assert summary["exercise_pass_rates"]["z-loss"]["solved"] is True
    assert export_file_name("Ali ce/..", NOW) == "moe-lab-progress-Ali_ce_..-2026-03-01.json"


def _parse_anki(text):
    lines = text.splitlines(keepends=True)
    headers = [line.strip() for line in lines if line.startswith("#")]
    body = "".join(line for line in lines[len(headers):])
    return headers, list(csv.reader(io.StringIO(body)))


def test_anki_csv_parses_and_escapes():
    headers, rows = _parse_anki(anki_csv(QUESTIONS, "en"))
    assert headers[:2] == ["#separator:Comma", "#html:true"]
    assert "#tags column:3" in headers and "#columns:Front,Back,Tags" in headers
    assert len(rows) == 3 and all(len(row) == 3 for row in rows)
    front, back, tags = rows[0]
    assert front == "Why softmax, then top-k?"
    assert '"sum" ~ 0' in back and r"\(p_i = e^{x_i}\)" in back
    assert "<pre><code>w = torch.softmax(x, -1)  # a &lt; b</code></pre>" in back
    assert "<li>logits may be negative, so a, b &lt; 0</li>" in back and "<b>Key points</b>" in back
    assert tags.split() == ["moe-interview-lab", "topic::routing", "difficulty::2", "type::open", "router", "softmax"]
    assert rows[1][0] == "Pick, one" and "Key points" not in rows[1][1]
    assert "capacity_factor" in rows[2][2].split()


def test_anki_csv_chinese_and_real_question_model():
    from questions.bank.schema import Question

    question = Question.model_validate({
        **QUESTIONS[0],
        "key_points": QUESTIONS[0]["key_points"] + [{"en": "softmax over the k logits", "zh": "对 k 个 logits 做 softmax"}],
        "sources": [{"paper": "Fedus et al. 2021, Switch Transformers", "ref": "Sec. 2.2"}]})
    headers, rows = _parse_anki(anki_csv([question], "zh"))
    assert rows[0][0] == "为什么先 softmax 再 top-k？"
    assert "<b>要点</b>" in rows[0][1] and "<li>logits 可为负</li>" in rows[0][1]
    assert "topic::routing" in rows[0][2].split()
    with pytest.raises(ValueError, match="lang"):
        anki_csv(QUESTIONS, "fr")
