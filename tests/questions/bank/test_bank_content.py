"""Content rules of the real bank: nothing internal on screen, fair distractors, follow-ups and cues everywhere they
belong, 220+ questions, and code questions whose printed output is what the answer claims."""
import json
import re
import subprocess
import sys
import textwrap

import pytest

from questions.languages import LANGUAGES

MIN_QUESTIONS = 220
MIN_RUNNABLE_CODE = 20
# share of single-answer choice questions whose correct option is the longest one: at most 40%, and not so rare that
# "never pick the longest" becomes the tell (4 options by chance: ~25%)
LONGEST_CORRECT_MIN, LONGEST_CORRECT_MAX = 0.15, 0.40

# What users must never see: the source notes' file names, "seed ..." / "种子 ..." for the notes (a random seed is
# fine), and cross-references into the notes' numbering ("see Q25").
INTERNAL = [
    re.compile(r"\d{3}_[0-9a-f]{16}"),
    re.compile(r"(?<!random )(?<!Random )\bseeds?\b(?! ?=)(?!\()", re.IGNORECASE),
    re.compile(r"(?<!随机)种子"),
    re.compile(r"(?<![A-Za-z0-9_])Q\d{1,2}(?![A-Za-z0-9_])"),
]
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def visible_texts(question):
    """(field, language, text) for every text a page, the mock interview or the Anki export shows."""
    for lang in LANGUAGES:
        yield "prompt", lang, question.prompt.get(lang)
        yield "answer", lang, question.answer.get(lang)
        if question.pitfall is not None:
            yield "pitfall", lang, question.pitfall.get(lang)
        for number, point in enumerate(question.key_points or []):
            yield f"key_points[{number}]", lang, point.get(lang)
        for number, follow_up in enumerate(question.follow_ups):
            yield f"follow_ups[{number}].question", lang, follow_up.question.get(lang)
            yield f"follow_ups[{number}].answer", lang, follow_up.answer.get(lang)
        for number, option in enumerate(question.options or []):
            yield f"options[{number}].text", lang, option.text.get(lang)
            yield f"options[{number}].explanation", lang, option.explanation.get(lang)
    yield "tags", "en", " ".join(question.tags)


def internal_names(text: str) -> list[str]:
    return [match.group(0) for pattern in INTERNAL for match in pattern.finditer(text)]


@pytest.mark.parametrize("text, found", [
    ("Seed 000's router (§2.2) is below", True), ("see Q25 of the notes", True), ("种子 001 认为", True),
    ("001_af5af4a038612498.txt says", True), ("tags: moe, seed-error", True),
    ("torch.manual_seed(0) fixes the random seed", False), ("随机种子不同", False), ("Qwen3 and Q/K/V", False)])
def test_the_display_rule_catches_internal_names_and_passes_ordinary_text(text, found):
    assert bool(internal_names(text)) is found


def test_users_never_see_internal_names_of_the_source_notes(bank):
    shown = [f"{q.id} {field} ({lang}): {names}" for q in bank.questions
             for field, lang, text in visible_texts(q) if (names := internal_names(text))]
    assert shown == [], f"{len(shown)} texts show internal names:\n" + "\n".join(shown[:40])


def test_the_correct_option_is_not_guessable_by_length(bank):
    """Neither "pick the longest" nor its reverse ("never the longest", "pick the shortest") beats chance by much."""
    single = [q for q in bank.questions if q.type == "choice" and q.single_answer]
    for lang in LANGUAGES:
        def share(pick):
            hits = [q.id for q in single if pick(range(len(q.options)), key=lambda i: len(q.options[i].text.get(lang)))
                    == q.correct_option_indices()[0]]
            return len(hits) / len(single), hits
        longest, longest_ids = share(max)
        shortest, _ = share(min)
        assert LONGEST_CORRECT_MIN <= longest <= LONGEST_CORRECT_MAX, (
            f"{lang}: the correct option is the longest in {longest:.0%} of {len(single)} choice questions "
            f"(want {LONGEST_CORRECT_MIN:.0%}-{LONGEST_CORRECT_MAX:.0%}): {longest_ids}")
        assert shortest <= LONGEST_CORRECT_MAX, f"{lang}: the correct option is the shortest in {shortest:.0%}"


def test_every_option_explains_itself_beyond_right_or_wrong(bank):
    bare = [f"{q.id} options[{n}] ({lang})" for q in bank.questions for n, option in enumerate(q.options or [])
            for lang in LANGUAGES if len(option.explanation.get(lang).strip(" .。!！")) < 12]
    assert bare == [], f"options explained by a bare verdict: {bare}"


def test_open_and_code_questions_of_difficulty_2_and_3_have_follow_ups(bank):
    missing = [q.id for q in bank.questions if q.type in ("open", "code") and q.difficulty >= 2 and not q.follow_ups]
    assert missing == [], f"{len(missing)} questions without follow_ups: {missing}"


def test_every_key_point_has_cues_in_both_languages(bank):
    missing = [f"{q.id} key_points[{n}]" for q in bank.questions for n, point in enumerate(q.key_points or [])
               if point.cues is None]
    assert missing == [], f"{len(missing)} key points without cues: {missing[:40]}"


def test_the_bank_has_at_least_220_questions(bank):
    assert len(bank.questions) >= MIN_QUESTIONS


# Runs every code question's snippet in one interpreter (torch is imported once), each in a fresh namespace.
_RUN_SNIPPETS = textwrap.dedent("""
    import contextlib, io, json, sys, traceback
    results = {}
    for qid, code in json.load(sys.stdin).items():
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(code, qid, "exec"), {"__name__": "__main__"})
        except Exception:
            out.write(traceback.format_exc())
        results[qid] = out.getvalue()
    print(json.dumps(results))
""")


def test_code_snippets_print_the_output_their_answers_claim(bank):
    runnable = [q for q in bank.questions if q.output is not None]
    assert len(runnable) >= MIN_RUNNABLE_CODE, f"only {len(runnable)} code questions carry an output"
    snippets = {}
    for question in runnable:
        blocks = CODE_BLOCK.findall(question.prompt.get("en"))
        assert blocks, f"{question.id}: has an output but its prompt has no ```python block"
        assert blocks[0] in question.prompt.get("zh"), f"{question.id}: the zh prompt shows other code than en"
        snippets[question.id] = blocks[0]
    done = subprocess.run([sys.executable, "-c", _RUN_SNIPPETS], input=json.dumps(snippets), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout.splitlines()[-1])
    for question in runnable:
        assert printed[question.id].rstrip() == question.output.rstrip(), (
            f"{question.id} prints:\n{printed[question.id]}\nbut its output field says:\n{question.output}")
        for lang in LANGUAGES:
            assert question.output.strip() in question.answer.get(lang), (
                f"{question.id}: the {lang} answer does not state the printed output")
