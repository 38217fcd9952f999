"""Runs a user's solution against an exercise's tests (all, one, or a scratch cell) in a confined process; returns
Exercism v2 results.

Each run is a fork of the warm worker (`warm.py`, torch and pytest already imported) or, cold, a fresh process. How a
process is confined is `isolation.py`; how its events become the result is `results.py`. We follow the Exercism
test-runner interface (version 2) for the result, adding `verdict`, `isolation`, `engine`, `warning` and
`duration_s`.

The sandbox protects the host from the code; it does not stop a user from forging their own results (the code runs in
the same process as pytest). That is fine for a practice app: there is nothing to win by cheating.
"""
from __future__ import annotations

import json
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from moe_core.checks import check_choice

from .isolation import (ISOLATIONS, LIMITS_ONLY_WARNING, SANDBOX_ROOT, RunLimits, bwrap_path, confined_command,
                        default_isolation, reap_run, run_with_wall_limit, sandbox_env)
from .results import RunOutcome, assemble, assemble_scratch, read_events, sources_by_test
from .warm import WorkerDied, worker_for, write_lib

MOE_CORE_DIR = Path(__file__).resolve().parents[2] / "moe_core"
ENGINES = ("warm", "cold")


def _syntax_error(code: str, file_name: str = "solution.py") -> str | None:
    """The message for code that does not compile (with its line and a caret), else None."""
    try:
        compile(code, file_name, "exec")
    except SyntaxError as exc:
        message = f"SyntaxError in {file_name}, line {exc.lineno}: {exc.msg}"
        if exc.text:
            message += f"\n    {exc.text.rstrip()}\n    {' ' * max((exc.offset or 1) - 1, 0)}^"
        return message
    return None


def _prepare(folder: Path, solution_code: str, test_file: Path, allow_moe_core: bool,
             extra_files: dict[str, str]) -> None:
    """A run's folders: lib/ (pytest.ini, moe_core when allowed), work/ (solution.py, test_solution.py and extra
    files) and out/ (the plugin's report)."""
    for sub in ("lib", "work", "out"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "lib" / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # pytest's rootdir stays the run's
    if allow_moe_core:
        shutil.copytree(MOE_CORE_DIR, folder / "lib" / "moe_core", ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "work" / "solution.py").write_text(solution_code, encoding="utf-8")
    shutil.copy(test_file, folder / "work" / "test_solution.py")
    for name, text in extra_files.items():
        (folder / "work" / name).write_text(text, encoding="utf-8")


def _request(root: Path, test: str | None, scratch: str | None) -> dict:
    """What the sandbox runs: pytest on the test file (or one test of it) with our plugin, or the scratch cell."""
    if scratch is not None:
        return {"mode": "scratch", "cell": scratch}
    target = "test_solution.py" + (f"::{test}" if test else "")
    return {"mode": "tests", "pytest_args": [
        "-p", "moe_lab_plugin", "-p", "no:cacheprovider", "-q", "--tb=short", "-c", str(root / "lib" / "pytest.ini"),
        "--rootdir", str(root / "work"), target]}


def _check_arguments(isolation: str, engine: str, test: str | None, scratch: str | None,
                     sources: dict[str, str]) -> None:
    check_choice("isolation", isolation, ISOLATIONS)
    check_choice("engine", engine, ENGINES)
    if isolation == "bubblewrap" and not bwrap_path():
        raise RuntimeError("isolation 'bubblewrap' asked for, but bwrap is not installed (Debian package bubblewrap)")
    if test is not None and scratch is not None:
        raise ValueError("test and scratch: give at most one (a scratch cell runs no tests)")
    if test is not None and test.split("[", 1)[0] not in sources:
        raise ValueError(f"test ({test!r}) must be one of {sorted(sources)}")


def _run_cold(run_id: str, code: str, test_file: Path, request_of, limits: RunLimits, isolation: str,
              allow_moe_core: bool, extra_files: dict[str, str], python: str) -> RunOutcome:
    """A fresh confined process for this run alone: boot.py limits itself, then execs the sandbox's entry."""
    tmp = Path(tempfile.mkdtemp(prefix="moe-lab-run-"))
    try:
        _prepare(tmp, code, test_file, allow_moe_core, extra_files)
        write_lib(tmp / "lib")
        root = SANDBOX_ROOT if isolation == "bubblewrap" else tmp
        inner = [python, str(root / "lib" / "moe_lab_boot.py"), json.dumps(asdict(limits)), "--",
                 python, str(root / "lib" / "moe_lab_entry.py"), json.dumps(request_of(root))]
        cmd, env, cwd = confined_command(isolation, tmp, python, inner, limits, run_id)
        output_path = tmp / "output.txt"  # outside the sandbox; written through the inherited descriptor
        returncode, timed_out = run_with_wall_limit(cmd, env, cwd, output_path, limits.wall_s)
        reap_run(run_id)
        return _outcome(tmp / "out" / "report.jsonl", output_path, returncode, timed_out, limits)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run_warm(run_id: str, code: str, test_file: Path, request_of, limits: RunLimits, isolation: str,
              allow_moe_core: bool, extra_files: dict[str, str], python: str) -> RunOutcome:
    """A fork of the warm worker; retried once on a new worker if the worker dies during the run."""
    worker = worker_for(isolation, python)
    folder = worker.run_dir(run_id)
    for _attempt in range(2):
        try:
            _prepare(folder, code, test_file, allow_moe_core, extra_files)
            # "{root}": the run's folder as the run sees it (the worker fills it in)
            env = {**sandbox_env(Path("{root}"), run_id), "PYTHONPATH": ""}
            reply = worker.submit(run_id, limits, env, request_of(Path("{root}")))
            return _outcome(folder / "out" / "report.jsonl", folder / "out" / "output.txt", reply["returncode"],
                            reply["timed_out"], limits)
        except WorkerDied:
            continue
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    # a "crash" verdict (a signal other than SIGKILL, SIGXCPU or SIGXFSZ), with what happened as the output
    return RunOutcome([], -signal.SIGTERM, False, b"the exercise worker died twice during this run", 0)


def _outcome(report: Path, output_path: Path, returncode: int, timed_out: bool, limits: RunLimits) -> RunOutcome:
    raw = b""
    if output_path.exists():
        with open(output_path, "rb") as fh:
            raw = fh.read(limits.output_bytes + 1)
    size = output_path.stat().st_size if output_path.exists() else 0
    return RunOutcome(read_events(report), returncode, timed_out, raw, size)


def run_tests(solution_code: str, test_file: Path, *, test: str | None = None, scratch: str | None = None,
              limits: RunLimits | None = None, isolation: str | None = None, engine: str = "warm",
              allow_moe_core: bool = False, extra_files: dict[str, str] | None = None,
              python: str | None = None) -> dict:
    """Run `test_file` (a pytest file importing from `solution`) against `solution_code`; return the v2 result.

    test: run only this test (a name from the file, "test_x" or "test_x[param]"). scratch: instead of the tests, run
    this cell with the solution's names in scope; the result's `scratch` holds the values of its expressions and
    `output` what it printed. isolation: "bubblewrap", "limits-only" or None (bubblewrap when installed). engine:
    "warm" (a fork of the warm worker) or "cold" (a fresh process). allow_moe_core puts the project's `moe_core` in
    the sandbox (for the reference adapters; user code runs without it).
    """
    limits = limits or RunLimits()
    isolation = isolation or default_isolation()
    test_file = Path(test_file)
    sources = sources_by_test(test_file)
    _check_arguments(isolation, engine, test, scratch, sources)
    base = {"version": 2, "isolation": isolation, "engine": engine,
            "warning": LIMITS_ONLY_WARNING if isolation == "limits-only" else None}
    started = time.monotonic()
    syntax_error = _syntax_error(solution_code)
    if syntax_error is None and scratch is not None:
        syntax_error = _syntax_error(scratch, "<input>")
    if syntax_error is not None:  # reported at once with its line, without starting a process
        return {**base, "status": "error", "verdict": "syntax-error", "message": syntax_error,
                "tests": [], "duration_s": round(time.monotonic() - started, 3)}
    run_id = uuid.uuid4().hex
    run = _run_warm if engine == "warm" else _run_cold
    outcome = run(run_id, solution_code, test_file, lambda root: _request(root, test, scratch), limits, isolation,
                  allow_moe_core, extra_files or {}, python or sys.executable)
    result = assemble_scratch(outcome, limits) if scratch is not None else assemble(outcome, sources, limits)
    return {**result, **base, "run_id": run_id, "duration_s": round(time.monotonic() - started, 3)}
