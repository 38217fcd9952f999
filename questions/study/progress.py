"""Progress statistics (pure functions over Store data and the bank), progress export/import as JSON, Anki CSV export.

The Progress page draws these with Plotly. Statistics take plain Store results (`review_logs`, `cards`, `quiz_results`,
`exercise_attempts`) so tests and benchmarks call them without a database; `progress_summary` gathers them all.
Questions are read by attribute or key (`id`, `topic`, `type`, `tags`, `difficulty`, `prompt`, `answer`, `key_points`),
so the bank's pydantic `Question` and plain dicts both work.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Iterable

from fsrs import Card

from questions.store.db import EXPORT_FORMAT, ProgressFormatError, Store

RATING_VALUES = (1, 2, 3, 4)  # Again, Hard, Good, Easy
FORECAST_DAYS = 30
ANKI_DECK = "MoE Interview Lab"
ANKI_APP_TAG = "moe-interview-lab"


# -------------------------------------------------------------------- reading questions (pydantic or dict)
def _field(question: Any, name: str, default: Any = None) -> Any:
    if isinstance(question, dict):
        return question.get(name, default)
    return getattr(question, name, default)


def local_text(value: Any, lang: str) -> str:
    """The `lang` text of a {zh, en} value (dict or object); falls back to the other language, then ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    other = "zh" if lang == "en" else "en"
    for code in (lang, other):
        text = value.get(code) if isinstance(value, dict) else getattr(value, code, None)
        if text:
            return str(text)
    return ""


def topic_of(questions: Iterable[Any]) -> dict[str, str]:
    """question_id -> topic."""
    return {_field(question, "id"): _field(question, "topic") for question in questions}


def _parse_time(value: str | datetime) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"datetime {value!r} must carry a UTC offset")
    return moment


# -------------------------------------------------------------------- statistics
def review_calendar(logs: Iterable[dict], tz: tzinfo = timezone.utc) -> dict[str, int]:
    """Reviews per local day ("YYYY-MM-DD" -> count, oldest first) for the calendar heatmap; `tz` is the user's zone."""
    counts = Counter(_parse_time(log["review_datetime"]).astimezone(tz).date().isoformat() for log in logs)
    return dict(sorted(counts.items()))


def due_forecast(
    cards: dict[str, Card] | Iterable[Card],
    now: datetime,
    days: int = FORECAST_DAYS,
    tz: tzinfo = timezone.utc,
) -> list[tuple[str, int]]:
    """Cards due on each of the next `days` local days, today first; overdue cards count as due today."""
    if days < 1:
        raise ValueError(f"days ({days}) must be >= 1")
    today = _parse_time(now).astimezone(tz).date()
    counts = [0] * days
    for card in cards.values() if isinstance(cards, dict) else cards:
        offset = (card.due.astimezone(tz).date() - today).days
        if offset < days:
            counts[max(offset, 0)] += 1
    return [((today + timedelta(days=offset)).isoformat(), count) for offset, count in enumerate(counts)]


def answer_button_counts(logs: Iterable[dict]) -> dict[int, int]:
    """Presses of each button: {1: Again, 2: Hard, 3: Good, 4: Easy}, every key present."""
    counts = Counter(int(log["rating"]) for log in logs)
    return {rating: counts.get(rating, 0) for rating in RATING_VALUES}


def retention_by_topic(logs: Iterable[dict], questions: Iterable[Any]) -> dict[str, dict]:
    """Per topic: reviews, retained (not rated Again), lapses (rated Again) and retention = retained / reviews.

    Counts every review, learning steps included (Anki's "true retention" counts only Review-state cards; our log rows
    do not carry the state). Reviews of questions no longer in the bank are left out. Topics in bank order.
    """
    topics = topic_of(questions)
    ordered = list(dict.fromkeys(topics.values()))
    stats: dict[str, dict] = {}
    for log in logs:
        topic = topics.get(log["question_id"])
        if topic is None:
            continue
        entry = stats.setdefault(topic, {"reviews": 0, "retained": 0, "lapses": 0})
        entry["reviews"] += 1
        if int(log["rating"]) == 1:
            entry["lapses"] += 1
        else:
            entry["retained"] += 1
    return {
        topic: {**stats[topic], "retention": stats[topic]["retained"] / stats[topic]["reviews"]}
        for topic in ordered
        if topic in stats
    }


def weakest_topics(
    logs: Iterable[dict], questions: Iterable[Any], limit: int = 3, min_reviews: int = 1
) -> list[dict]:
    """Topics with the lowest retention (ties: most lapses first), each {topic, reviews, retained, lapses, retention}."""
    return _weakest(retention_by_topic(logs, questions), limit, min_reviews)


def _weakest(by_topic: dict[str, dict], limit: int = 3, min_reviews: int = 1) -> list[dict]:
    rows = [{"topic": topic, **entry} for topic, entry in by_topic.items() if entry["reviews"] >= min_reviews]
    rows.sort(key=lambda row: (row["retention"], -row["lapses"], row["topic"]))
    return rows[:limit]


def quiz_score_history(quiz_results: Iterable[dict]) -> list[dict]:
    """Quizzes oldest first: taken_at, topic, score, total, percent (0-100; 0 for an empty quiz)."""
    history = [
        {
            "taken_at": quiz["taken_at"],
            "topic": quiz["topic"],
            "score": quiz["score"],
            "total": quiz["total"],
            "percent": 100.0 * quiz["score"] / quiz["total"] if quiz["total"] else 0.0,
        }
        for quiz in quiz_results
    ]
    return sorted(history, key=lambda row: row["taken_at"])


def exercise_pass_rates(attempts: Iterable[dict]) -> dict[str, dict]:
    """Per exercise slug: attempts, passes (status "pass"), pass_rate (passes / attempts), best (most tests passed,
    as passed/total), solved (any pass). Slugs sorted."""
    stats: dict[str, dict] = {}
    for attempt in attempts:
        entry = stats.setdefault(
            attempt["slug"], {"attempts": 0, "passes": 0, "best_passed": 0, "best_total": 0}
        )
        entry["attempts"] += 1
        entry["passes"] += attempt["status"] == "pass"
        if (attempt["passed"], attempt["total"]) > (entry["best_passed"], entry["best_total"]):
            entry["best_passed"], entry["best_total"] = attempt["passed"], attempt["total"]
    return {
        slug: {**entry, "pass_rate": entry["passes"] / entry["attempts"], "solved": entry["passes"] > 0}
        for slug, entry in sorted(stats.items())
    }


def progress_summary(
    store: Store, profile: str, questions: list[Any], now: datetime, tz: tzinfo = timezone.utc
) -> dict:
    """Everything the Progress page draws, from one profile's data and the bank."""
    logs = store.review_logs(profile)
    cards = store.cards(profile)
    bank_ids = {_field(question, "id") for question in questions}
    now_utc = _parse_time(now)
    in_bank = {question_id: card for question_id, card in cards.items() if question_id in bank_ids}
    retention = retention_by_topic(logs, questions)
    return {
        "total_reviews": len(logs),
        "cards_seen": len(in_bank),
        "never_seen": len(bank_ids) - len(in_bank),
        "due_now": sum(1 for card in in_bank.values() if card.due <= now_utc),
        "calendar": review_calendar(logs, tz),
        "forecast": due_forecast(in_bank, now, tz=tz),
        "retention_by_topic": retention,
        "answer_buttons": answer_button_counts(logs),
        "weakest_topics": _weakest(retention),
        "quiz_history": quiz_score_history(store.quiz_results(profile)),
        "exercise_pass_rates": exercise_pass_rates(store.exercise_attempts(profile)),
    }


# -------------------------------------------------------------------- JSON export / import
def export_progress_json(store: Store, profile: str) -> str:
    """All progress of `profile` as a JSON document (format "moe-interview-lab-progress", version 1), UTF-8 text."""
    return json.dumps(store.export_profile(profile), ensure_ascii=False, indent=2)


def export_file_name(profile: str, now: datetime) -> str:
    """A download name such as moe-lab-progress-alice-2026-01-02.json (unsafe characters replaced)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", profile).strip("_") or "profile"
    return f"moe-lab-progress-{safe}-{_parse_time(now).date().isoformat()}.json"


def import_progress_json(store: Store, profile: str, text: str | bytes) -> dict[str, int]:
    """Replace `profile`'s progress with an exported document; returns counts per section.

    A file that is not JSON, not an export, or invalid anywhere raises ProgressFormatError naming the place
    (e.g. "review_log[3].rating: ...") and changes nothing; the import itself is one transaction.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ProgressFormatError(f"document: not UTF-8 text ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProgressFormatError(
            f"document: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    store.import_profile(profile, data)
    sections = ("cards", "review_log", "bookmarks", "notes", "quiz_results", "mock_sessions", "exercise_attempts")
    return {section: len(data.get(section, [])) for section in sections}


# -------------------------------------------------------------------- Anki CSV
_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$")


def _markdown_to_anki_html(text: str) -> str:
    """Escape Markdown text for an Anki HTML field: code fences -> <pre><code>, $..$ / $$..$$ -> Anki MathJax
    \\(..\\) / \\[..\\], newlines -> <br>. Everything else stays as (escaped) Markdown text."""
    parts: list[str] = []
    position = 0
    for match in _FENCE.finditer(text):
        parts.append(_prose_to_html(text[position:match.start()]))
        parts.append(f"<pre><code>{html.escape(match.group(1).rstrip(chr(10)))}</code></pre>")
        position = match.end()
    parts.append(_prose_to_html(text[position:]))
    return "".join(parts)


def _prose_to_html(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = _DISPLAY_MATH.sub(lambda match: rf"\[{match.group(1)}\]", escaped)
    escaped = _INLINE_MATH.sub(lambda match: rf"\({match.group(1)}\)", escaped)
    return escaped.strip("\n").replace("\n", "<br>")


def _anki_tag(text: str) -> str:
    # Anki tags are separated by spaces.
    return re.sub(r"\s+", "_", str(text).strip())


def anki_csv(questions: Iterable[Any], lang: str = "en") -> str:
    """The bank as an Anki-importable CSV (File > Import): Basic notes, front = prompt, back = answer + key points.

    Header lines tell Anki the format: `#separator:Comma`, `#html:true` (fields are HTML we escape ourselves, so
    `<`, `&` in answers and code show literally and key points render as a list), `#columns`, `#notetype:Basic`,
    `#deck`, `#tags column:3`. Every field is quoted (csv.QUOTE_ALL), so commas, quotes and newlines are safe.
    Tags: moe-interview-lab, topic::<topic>, difficulty::<n>, type::<type> and the question's own tags.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    key_points_title = "Key points" if lang == "en" else "要点"
    buffer = io.StringIO()
    buffer.write("#separator:Comma\n#html:true\n#notetype:Basic\n")
    buffer.write(f"#deck:{ANKI_DECK}\n#columns:Front,Back,Tags\n#tags column:3\n")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for question in questions:
        front = _markdown_to_anki_html(local_text(_field(question, "prompt"), lang))
        back = _markdown_to_anki_html(local_text(_field(question, "answer"), lang))
        points = [local_text(point, lang) for point in _field(question, "key_points", None) or []]
        if points:
            items = "".join(f"<li>{_markdown_to_anki_html(point)}</li>" for point in points if point)
            back += f"<br><br><b>{key_points_title}</b><ul>{items}</ul>"
        tags = [ANKI_APP_TAG, f"topic::{_field(question, 'topic')}"]
        if _field(question, "difficulty") is not None:
            tags.append(f"difficulty::{_field(question, 'difficulty')}")
        if _field(question, "type") is not None:
            tags.append(f"type::{getattr(_field(question, 'type'), 'value', _field(question, 'type'))}")
        tags += [_anki_tag(tag) for tag in _field(question, "tags", None) or [] if str(tag).strip()]
        writer.writerow([front, back, " ".join(dict.fromkeys(tags))])
    return buffer.getvalue()


def anki_file_name(lang: str) -> str:
    return f"moe-interview-lab-anki-{lang}.csv"


__all__ = [
    "EXPORT_FORMAT",
    "ProgressFormatError",
    "answer_button_counts",
    "anki_csv",
    "anki_file_name",
    "due_forecast",
    "exercise_pass_rates",
    "export_file_name",
    "export_progress_json",
    "import_progress_json",
    "local_text",
    "progress_summary",
    "quiz_score_history",
    "retention_by_topic",
    "review_calendar",
    "topic_of",
    "weakest_topics",
]
