"""The real bank (questions/bank/*.yaml): validates cleanly, is big and varied enough, cites every seed question."""
import re
from collections import Counter

from questions.bank.cli import language_status
from questions.bank.loader import BANK_DIR
from questions.bank.schema import DIFFICULTIES, TOPICS

# Every question of the seeds must be in the bank, citing its seed and number (sources: {seed: ..., ref: Qn}).
SEED_QUESTIONS = {
    "000_2140d564b5e31594.txt": range(1, 11),
    "001_af5af4a038612498.txt": range(1, 26),
    "003_80ad598c709aaa42.txt": range(1, 4),
}


def test_bank_has_no_problems(bank):
    assert bank.problems == [], "\n" + "\n".join(map(str, bank.problems))


def test_bank_size_and_spread(bank):
    questions = bank.questions
    assert len(questions) >= 100
    types = Counter(q.type for q in questions)
    assert types["choice"] >= 25
    assert set(DIFFICULTIES) <= {q.difficulty for q in questions}
    assert {f.stem for f in BANK_DIR.glob("*.yaml")} == set(TOPICS)
    empty = [topic for topic in TOPICS if not any(q.topic == topic for q in questions)]
    assert empty == [], f"topics without questions: {empty}"


def test_every_seed_question_is_cited(bank):
    cited: dict[str, set[int]] = {seed: set() for seed in SEED_QUESTIONS}
    for question in bank.questions:
        for seed, ref in question.seed_refs():
            if seed in cited and ref:
                cited[seed].update(int(n) for n in re.findall(r"\bQ(\d+)\b", ref))
    missing = {seed: [f"Q{n}" for n in numbers if n not in cited[seed]] for seed, numbers in SEED_QUESTIONS.items()}
    assert all(not refs for refs in missing.values()), f"seed questions not in the bank: {missing}"


def test_every_question_is_really_bilingual(bank):
    not_bilingual = [(q.id, lang) for q in bank.questions for lang, ok in language_status(q).items() if not ok]
    assert not_bilingual == [], f"zh without Chinese or en that is Chinese: {not_bilingual}"
