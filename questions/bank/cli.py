"""Command line for the bank: validate, stats, import Markdown notes, bench the loader (python -m questions ...).

The bank does not know which exercises and sandbox presets exist: `python -m questions` (questions/__main__.py) passes
their ids to main() so that `validate` reports links naming none of them."""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Callable, Collection, Optional, Sequence, TextIO

import yaml

from questions.languages import LANGUAGES
from .importer import BlockDumper, import_notes, to_skeleton_yaml
from .links import link_problems
from .loader import BANK_DIR, BankLoadResult, bank_files, filter_questions, load_bank
from .schema import DIFFICULTIES, QUESTION_TYPES, SEED_FILES, TOPICS, Question

# Gives the ids bank links may name, (exercise slugs, sandbox preset ids), when `validate` needs them; None checks only
# the links' form.
LinkTargets = Optional[Callable[[], tuple[Collection[str], Collection[str]]]]

_CJK = re.compile(r"[\u3400-\u9fff]")


# ---- validate -----------------------------------------------------------------------------------------------------
def cmd_validate(paths: Sequence[str], out: TextIO, err: TextIO, link_targets: LinkTargets = None) -> int:
    targets = list(paths) or [str(BANK_DIR)]
    result = load_bank(targets)
    if link_targets is not None:
        result.problems += link_problems(result, *link_targets())
    files = bank_files(p for p in targets if Path(p).exists())
    for problem in sorted(result.problems, key=lambda p: (p.path, p.line)):
        print(problem, file=err)
    if result.problems:
        print(f"{len(result.problems)} problem(s); {len(result.questions)} question(s) loaded from {len(files)} "
              "file(s)", file=err)
        return 1
    print(f"OK: {len(result.questions)} question(s) in {len(files)} file(s)", file=out)
    return 0


# ---- stats --------------------------------------------------------------------------------------------------------
def _texts(question: Question, lang: str) -> list[str]:
    texts = [question.prompt.get(lang), question.answer.get(lang), *question.key_point_texts(lang)]
    if question.pitfall is not None:
        texts.append(question.pitfall.get(lang))
    for option in question.options or []:
        texts += [option.text.get(lang), option.explanation.get(lang)]
    return texts


def language_status(question: Question) -> dict[str, bool]:
    """Whether each language really is that language: zh prompt/answer contain Chinese; no en text is mostly
    Chinese (a copied, untranslated zh text). The schema already guarantees both are present and non-empty."""
    zh_ok = bool(_CJK.search(question.prompt.zh)) and bool(_CJK.search(question.answer.zh))
    en_ok = all(len(_CJK.findall(text)) <= len(text) // 4 for text in _texts(question, "en"))
    return {"zh": zh_ok, "en": en_ok}


def bank_stats(result: BankLoadResult) -> dict[str, object]:
    """Counts for `stats`: by topic, type, difficulty, language completeness, seed questions cited, problems."""
    questions = result.questions
    language = Counter()
    for question in questions:
        for lang, ok in language_status(question).items():
            language[lang] += ok
    seeds = Counter(seed for question in questions for seed, _ref in question.seed_refs())
    return {
        "questions": len(questions),
        "problems": len(result.problems),
        "topic": {topic: sum(q.topic == topic for q in questions) for topic in TOPICS},
        "type": {kind: sum(q.type == kind for q in questions) for kind in QUESTION_TYPES},
        "difficulty": {level: sum(q.difficulty == level for q in questions) for level in DIFFICULTIES},
        "language": {lang: language[lang] for lang in LANGUAGES},
        "with_pitfall": sum(q.pitfall is not None for q in questions),
        "seed_citations": {seed: seeds[seed] for seed in SEED_FILES if seeds[seed]},
    }


def cmd_stats(paths: Sequence[str], out: TextIO, err: TextIO) -> int:
    result = load_bank(list(paths) or None)
    stats = bank_stats(result)
    total = stats["questions"] or 1
    print(f"questions: {stats['questions']}  (problems: {stats['problems']}; run `validate` to list them)", file=out)
    for title in ("topic", "type", "difficulty"):
        print(f"by {title}:", file=out)
        for key, count in stats[title].items():  # type: ignore[union-attr]
            print(f"  {key!s:<22} {count:>5}", file=out)
    print("language (fields really written in that language):", file=out)
    for lang, count in stats["language"].items():  # type: ignore[union-attr]
        print(f"  {lang:<22} {count:>5} / {stats['questions']} ({100 * count / total:.0f}%)", file=out)
    print(f"with pitfall: {stats['with_pitfall']}", file=out)
    print("seed citations:", file=out)
    for seed, count in stats["seed_citations"].items():  # type: ignore[union-attr]
        print(f"  {seed:<26} {count:>3}", file=out)
    return 0


# ---- import -------------------------------------------------------------------------------------------------------
def cmd_import(notes: str, output: Optional[str], topic: Optional[str], seed: Optional[str], allow_partial: bool,
               out: TextIO, err: TextIO) -> int:
    try:
        report = import_notes(notes)
    except (OSError, ValueError) as exc:
        print(f"{notes}: {exc}", file=err)
        return 1
    for line in report.summary_lines():
        print(line, file=err)
    if not report.questions:
        print(f"{notes}: no questions found (expected '### Q1: ...', '**Q1: ...**' or 'Q1: ...' lines); "
              "nothing written", file=err)
        return 1
    if report.damaged and not allow_partial:
        print(f"{notes}: {len(report.damaged)} line(s) could not be repaired (listed above); nothing written. "
              "Re-run with --allow-partial to write the questions with the lost characters marked \ufffd.", file=err)
        return 1
    try:
        text = to_skeleton_yaml(report, topic=topic, seed=seed)
    except ValueError as exc:
        print(f"--topic: {exc}", file=err)
        return 2
    if output is None or output == "-":
        out.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {len(report.questions)} question skeleton(s) to {output}; finish the TODO fields, then run "
              f"`python -m questions validate` (it fails until they are finished)", file=err)
    return 0


# ---- bench --------------------------------------------------------------------------------------------------------
def _bench_text(kind: str, index: int, lang: str, words: int) -> str:
    """Text about as long as the bank's; long texts are Markdown paragraphs and a list, like real answers."""
    if lang == "zh":
        sentence, per_sentence, end = "专家路由与负载均衡的说明，", 6, f"第{index}题。"
    else:
        sentence, per_sentence, end = "experts route tokens under a capacity limit, ", 7, f"item {index}."
    sentences = [sentence] * max(1, words // per_sentence)
    if len(sentences) < 8:
        return f"{kind} {index}: " + "".join(sentences) + end
    third = len(sentences) // 3
    text = (f"{kind} {index}: " + "".join(sentences[:third]) + "\n\n$$y = \\sum_i g_i E_i(x)$$\n\n"
            + "".join(sentences[third:2 * third]) + "\n\n" + "\n".join(f"- {s}" for s in sentences[2 * third:])
            + "\n" + end + "\n")
    return "\n".join(line.rstrip() for line in text.split("\n"))  # trailing blanks would force quoted style


def generate_bench_bank(directory: Path, count: int = 2000) -> None:
    """Write `count` valid questions (two thirds open, one third choice; realistic text lengths) as bank files."""
    per_topic: dict[str, list[dict]] = {topic: [] for topic in TOPICS}
    for index in range(count):
        topic = TOPICS[index % len(TOPICS)]

        def local(kind: str, words: int) -> dict[str, str]:
            return {lang: _bench_text(kind, index, lang, words) for lang in LANGUAGES}

        question: dict = {
            "id": f"{topic}-bench-{index}", "type": "choice" if index % 3 == 0 else "open", "topic": topic,
            "tags": ["bench", f"tag-{index % 17}", ("router", "capacity", "all-to-all")[index % 3]],
            "difficulty": 1 + index % 3, "prompt": local("prompt", 25), "answer": local("answer", 150),
        }
        if question["type"] == "choice":
            question["options"] = [{"text": local("option", 10), "correct": n == index % 4,
                                    "explanation": local("because", 25)} for n in range(4)]
        else:
            question["key_points"] = [local("point", 12) for _ in range(4)]
            question["pitfall"] = local("pitfall", 35)
        question["sources"] = [{"seed": SEED_FILES[1], "ref": f"Q{index % 25 + 1}"},
                               {"paper": "Fedus et al. 2021, Switch Transformers", "ref": "Sec. 2.2"}]
        per_topic[topic].append(question)
    for topic, questions in per_topic.items():
        text = yaml.dump(questions, Dumper=BlockDumper, allow_unicode=True, sort_keys=False, width=10_000)
        (directory / f"{topic}.yaml").write_text(text, encoding="utf-8")


def _timed(function, repeat: int) -> tuple[list[tuple[float, float]], object]:
    """(wall, CPU) seconds per run; CPU time is the fairer figure on a machine busy with other work."""
    times, value = [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        value = function()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times, value


def _figures(times: list[tuple[float, float]]) -> str:
    walls = sorted(wall for wall, _cpu in times)
    cpus = sorted(cpu for _wall, cpu in times)
    return (f"wall best {1e3 * walls[0]:7.1f} ms, median {1e3 * walls[len(walls) // 2]:7.1f} ms;"
            f"  CPU best {1e3 * cpus[0]:7.1f} ms")


def cmd_bench(count: int, repeat: int, out: TextIO) -> int:
    with tempfile.TemporaryDirectory(prefix="moe-bank-bench-") as tmp:
        directory, cache = Path(tmp) / "bank", Path(tmp) / "cache"
        directory.mkdir()
        generate_bench_bank(directory, count)
        size = sum(path.stat().st_size for path in directory.iterdir())
        cold_times, cold = _timed(lambda: load_bank(directory, cache_dir=None), repeat)
        load_bank(directory, cache_dir=cache)  # fills the cache
        warm_times, result = _timed(lambda: load_bank(directory, cache_dir=cache), repeat)
        assert isinstance(result, BankLoadResult) and isinstance(cold, BankLoadResult)
        if result.problems or cold.problems or len(result.questions) != count:
            print(f"bench bank did not load cleanly: {(result.problems or cold.problems)[:3]}", file=out)
            return 1

        def filters() -> None:
            filter_questions(result.questions, topics=["routing", "capacity"], difficulties=[2, 3])
            filter_questions(result.questions, search="CAPACITY LIMIT, experts", lang="en")
            filter_questions(result.questions, tags=["router"], search="负载均衡")

        filter_times, _ = _timed(filters, repeat)
        print(f"{count} questions, {size / 1e6:.1f} MB of YAML in {len(TOPICS)} files; {repeat} runs each", file=out)
        print(f"load_bank, no cache (parse YAML):   {_figures(cold_times)}", file=out)
        print(f"load_bank, cached (files unchanged): {_figures(warm_times)}", file=out)
        print(f"{f'filter_questions x3 ({count} each):':<36} {_figures(filter_times)}", file=out)
        print(f"libyaml C parser: {'yes' if hasattr(yaml, 'CSafeLoader') else 'NO (pure-Python fallback, slow)'}",
              file=out)
    return 0


# ---- entry --------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m questions", description="MoE Interview Lab question bank tools.")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check bank files; exit 1 and list `file:line: field: message`")
    validate.add_argument("paths", nargs="*", help="YAML files or directories (default: questions/bank)")
    stats = commands.add_parser("stats", help="counts by topic, type, difficulty and language")
    stats.add_argument("paths", nargs="*", help="YAML files or directories (default: questions/bank)")
    importer = commands.add_parser("import", help="turn Markdown interview notes into bank YAML skeletons")
    importer.add_argument("notes", help="Markdown / text notes (### Q1: ..., **Q1: ...**, Q1: ...)")
    importer.add_argument("-o", "--output", help="output YAML file (default: stdout)")
    importer.add_argument("--topic", choices=TOPICS, help="topic of every imported question (default: TODO)")
    importer.add_argument("--seed", choices=SEED_FILES, help="cite this seed file (default: the notes' file name "
                                                             "when it is a seed)")
    importer.add_argument("--allow-partial", action="store_true",
                          help="write even when mojibake lines could not be fully repaired (lost characters are "
                               "marked U+FFFD)")
    bench = commands.add_parser("bench", help="time load_bank and filter_questions on a generated bank")
    bench.add_argument("-n", "--count", type=int, default=2000, help="questions to generate (default 2000)")
    bench.add_argument("--repeat", type=int, default=5, help="timed runs (default 5)")
    return parser


def main(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr,
         link_targets: LinkTargets = None) -> int:
    """Run one command; `link_targets` (a function giving the exercise slugs and preset ids) makes `validate` check
    that every link names one of them."""
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        return cmd_validate(args.paths, out, err, link_targets)
    if args.command == "stats":
        return cmd_stats(args.paths, out, err)
    if args.command == "import":
        return cmd_import(args.notes, args.output, args.topic, args.seed, args.allow_partial, out, err)
    if args.count < 1 or args.repeat < 1:
        print(f"--count ({args.count}) and --repeat ({args.repeat}) must be >= 1", file=err)
        return 2
    return cmd_bench(args.count, args.repeat, out)
