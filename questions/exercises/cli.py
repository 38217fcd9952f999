"""Command line for the exercises: list, show, start (write the starter) and check (run the tests in the sandbox)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from questions.languages import LANGUAGES

from . import exercises, get_exercise, run
from .isolation import ISOLATIONS, default_isolation
from .results import result_summary


def _list(args) -> int:
    for exercise in exercises():
        print(f"{exercise.slug:24} {'*' * exercise.difficulty:3}  {exercise.text('title', args.lang)}")
    return 0


def _show(args) -> int:
    exercise = get_exercise(args.slug)
    print(f"# {exercise.text('title', args.lang)}  ({'*' * exercise.difficulty})\n")
    print(exercise.text("prompt", args.lang).rstrip())
    print(f"\nDefine: {', '.join(exercise.functions)}")
    if args.hints:
        for number, _ in enumerate(exercise.hints, 1):
            print(f"\nHint {number}: {exercise.hint(number - 1, args.lang)}")
    return 0


def _start(args) -> int:
    exercise = get_exercise(args.slug)
    target = Path(args.dir) / "solution.py"
    if target.exists() and not args.force:
        print(f"error: {target} exists; pass --force to overwrite it", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(exercise.starter, encoding="utf-8")
    print(f"wrote {target}; run: python -m questions.exercises check {exercise.slug} {target}")
    return 0


def _check(args) -> int:
    exercise = get_exercise(args.slug)
    path = Path(args.file)
    try:
        code = path.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    result = run(exercise.slug, code, args.test, isolation=args.isolation)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        if result.get("warning"):
            print(f"warning: {result['warning']}\n", file=sys.stderr)
        marks = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}
        for test in result["tests"]:
            print(f"{marks[test['status']]:5} {test['name']}")
            if test["status"] != "pass" and test["message"]:
                print("      " + test["message"].strip().replace("\n", "\n      "))
        counts = result_summary(result)
        summary = f"\n{result['status'].upper()}: {counts['passed']}/{counts['total']} tests passed"
        print(summary + f" ({result['isolation']}, {result['duration_s']:.1f} s)")
        if result["message"]:
            print(result["message"])
    return 0 if result["status"] == "pass" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m questions.exercises", description=__doc__)
    parser.add_argument("--lang", choices=LANGUAGES, default="en", help="language of titles, prompts and hints")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="list the exercises")
    show = sub.add_parser("show", help="print an exercise's prompt")
    show.add_argument("slug")
    show.add_argument("--hints", action="store_true", help="print the hints too")
    for command in (listing, show):  # --lang also after the command; SUPPRESS keeps one given before it
        command.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS,
                             help="language of titles, prompts and hints")
    start = sub.add_parser("start", help="write the starter code as DIR/solution.py")
    start.add_argument("slug")
    start.add_argument("dir", nargs="?", default=".")
    start.add_argument("--force", action="store_true", help="overwrite an existing solution.py")
    check = sub.add_parser("check", help="run the tests against FILE (exit 0 only when all pass)")
    check.add_argument("slug")
    check.add_argument("file")
    check.add_argument("--test", default=None, help="run only this test (a name from the exercise's tests)")
    check.add_argument("--json", action="store_true", help="print the Exercism v2 result as JSON")
    check.add_argument("--isolation", choices=ISOLATIONS, default=None,
                       help=f"default: {default_isolation()} on this machine")
    args = parser.parse_args(argv)
    try:
        return {"list": _list, "show": _show, "start": _start, "check": _check}[args.command](args)
    except (KeyError, ValueError) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
