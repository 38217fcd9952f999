"""Multiple-choice quizzes: sampling a set, grading it, explaining every option, and the score history."""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

from questions.bank.schema import Question

HISTORY_ROWS = 50  # past quizzes (and mock interviews) listed in a history table, newest first


def display_order(question: Question) -> list[int]:
    """The option indices in the order pages show them: a fixed shuffle per question (seeded by its id), so the bank's
    habit of writing the correct option first is no tell, while stored answers keep the bank's indices."""
    seed = int.from_bytes(hashlib.sha256(question.id.encode("utf-8")).digest()[:8], "big")
    order = list(range(len(question.options or [])))
    random.Random(seed).shuffle(order)
    return order


def choice_is_correct(correct_indices: Iterable[int], selected: Iterable[int]) -> bool:
    """A choice question is right when exactly the correct options are selected."""
    return set(correct_indices) == set(selected)


def choice_questions(questions: Iterable[Question]) -> list[Question]:
    """The bank's multiple-choice questions, in bank order."""
    return [question for question in questions if question.type == "choice"]


def quiz_pool(questions: Iterable[Question], topic: Optional[str]) -> list[str]:
    """The ids a quiz on `topic` is sampled from (every question when `topic` is empty)."""
    return [question.id for question in questions if not topic or question.topic == topic]


def sample_quiz(questions: Iterable[Question], topic: Optional[str], size: int,
                rng: Optional[random.Random] = None) -> dict:
    """A new quiz: `size` random ids of the pool (fewer when the pool is smaller), not yet graded."""
    pool = quiz_pool(questions, topic)
    ids = (rng or random.Random()).sample(pool, min(size, len(pool)))
    return {"topic": topic or None, "ids": ids, "result": None}


def grade_quiz(questions: Sequence[Question], answers: Mapping[str, list[int]]) -> dict:
    """{"answers", "score", "total"}: one point per question answered with exactly its correct options."""
    score = sum(choice_is_correct(question.correct_option_indices(), answers.get(question.id, []))
                for question in questions)
    return {"answers": dict(answers), "score": score, "total": len(questions)}


@dataclass(frozen=True)
class OptionVerdict:
    """One option after grading: ✅ correct, ❌ chosen but wrong, ▫️ neither."""
    index: int
    correct: bool
    chosen: bool

    @property
    def mark(self) -> str:
        return "✅" if self.correct else ("❌" if self.chosen else "▫️")


def option_verdicts(question: Question, chosen: Iterable[int]) -> list[OptionVerdict]:
    """Every option of `question` marked against the chosen indices."""
    picked = set(chosen)
    return [OptionVerdict(index, option.correct, index in picked) for index, option in enumerate(question.options)]


def quiz_percent(score: int, total: int) -> float:
    """The share of a quiz answered right, 0-100 (0 for an empty quiz)."""
    return 100.0 * score / total if total else 0.0


def quiz_history(results: Sequence[dict], limit: int = HISTORY_ROWS) -> list[dict]:
    """The last `limit` stored quizzes, newest first: taken_at, topic (None: all topics), score, total, percent (an
    int)."""
    return [{"taken_at": result["taken_at"], "topic": result["topic"], "score": result["score"],
             "total": result["total"],
             "percent": round(quiz_percent(result["score"], result["total"]))}
            for result in reversed(results[-limit:])]
