"""The one bank builder of the tests: question dicts (valid unless changed), a tiny bilingual fixture bank, models of
them, a YAML writer, raw YAML text."""
from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Iterable

import yaml

from questions.bank.schema import Question


def local_text(en: str = "English", zh: str = "中文") -> dict:
    """A bilingual text as the bank writes it."""
    return {"en": en, "zh": zh}


def open_question(qid: str = "routing-topk", topic: str = "routing", difficulty: int = 2, en: str = "Why top-k?",
                  zh: str = "为什么要 top-k？", **changes) -> dict:
    """A valid open question about `en` / `zh`; `changes` replace or add fields (a test of a rule breaks one)."""
    question = {
        "id": qid, "type": "open", "topic": topic, "tags": [topic, "fixture"], "difficulty": difficulty,
        "prompt": local_text(en, zh),
        "answer": local_text(f"Answer to: {en}", f"答案：{zh}"),
        "key_points": [local_text(f"{en} point {n}", f"{zh} 要点 {n}") for n in (1, 2, 3)],
        "pitfall": local_text(f"Pitfall of {en}", f"{zh} 的误区"),
        "sources": [{"paper": "Fedus et al. 2021, Switch Transformers", "ref": "Sec. 2.2"}],
    }
    question.update(changes)
    return question


def choice_question(qid: str = "routing-choice", topic: str = "routing", en: str = "Which one?", zh: str = "哪一个？",
                    correct: int = 0, **changes) -> dict:
    """A valid choice question with three options, option `correct` the right one; `changes` as in open_question."""
    options = []
    for n in range(3):
        options.append({"text": local_text(f"{en} option {n}", f"{zh} 选项 {n}"), "correct": n == correct,
                        "explanation": local_text(f"Why option {n}", f"选项 {n} 的解释")})
    question = {
        "id": qid, "type": "choice", "topic": topic, "tags": [topic, "fixture"], "difficulty": 1,
        "prompt": local_text(en, zh), "answer": local_text(f"Option {correct}", f"选项 {correct}"),
        "options": options, "sources": [{"seed": "001_af5af4a038612498.txt", "ref": "Q4"}],
    }
    question.update(changes)
    return question


def as_questions(questions: Iterable[dict]) -> list[Question]:
    """The bank's models of question dicts (what load_bank gives the app)."""
    return [Question.model_validate(question) for question in questions]


FIXTURE_BANK = {
    "routing": [
        open_question("routing-topk-softmax", "routing", 2, "Why renormalise top-k weights?", "为什么要对 top-k 权重重新归一化？",
                      exercises=["topk-router"], sandbox_presets=["mixtral-8x7b"]),
        open_question("routing-expert-choice", "routing", 3, "What does expert choice routing change?",
                      "专家选择路由改变了什么？"),
        choice_question("routing-switch-k", "routing", "How many experts does Switch use per token?",
                        "Switch 每个 token 使用几个专家？", correct=0),
    ],
    "capacity": [
        open_question("capacity-factor", "capacity", 1, "What is the capacity factor?", "什么是容量因子？"),
        choice_question("capacity-formula", "capacity", "Which is the capacity formula?", "哪个是容量公式？", correct=1),
        choice_question("capacity-overflow", "capacity", "What happens to overflow tokens?", "溢出的 token 会怎样？",
                        correct=2),
    ],
}

FIXTURE_IDS = [question["id"] for questions in FIXTURE_BANK.values() for question in questions]


def write_bank(directory: Path, bank: dict[str, list[dict]] = FIXTURE_BANK) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for topic, questions in bank.items():
        (directory / f"{topic}.yaml").write_text(
            yaml.safe_dump(questions, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


def question_yaml(qid="routing-topk", topic="routing", difficulty="2", answer_en="Because.", extra=""):
    return textwrap.dedent(f"""\
        - id: {qid}
          type: open
          topic: {topic}
          tags: [router]
          difficulty: {difficulty}
          prompt: {{zh: 为什么, en: Why?}}
          answer:
            zh: 因为
            en: "{answer_en}"
          key_points:
            - {{zh: 一, en: one}}
            - {{zh: 二, en: two}}
            - {{zh: 三, en: three}}
          sources:
            - {{seed: 001_af5af4a038612498.txt, ref: Q4}}
        """) + extra
