"""Runs a user's solution against an exercise's tests in a separate, confined process; returns Exercism v2 results.

How the process is confined is `isolation.py`; how its events become the result is `results.py`. We follow the
Exercism test-runner interface (version 2) for the result, adding `verdict`, `isolation`, `warning` and `duration_s`.

The sandbox protects the host from the code; it does not stop a user from forging their own results (the code runs in
the same process as pytest). That is fine for a practice app: there is nothing to win by cheating.
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

from moe_core.checks import check_choice

from .isolation import (ISOLATIONS, LIMITS_ONLY_WARNING, SANDBOX_ROOT, RunLimits, bwrap_path, confined_command,
                        default_isolation, reap_run, run_with_wall_limit)
from .results import RunOutcome, assemble, read_events, sources_by_test

SANDBOX_DIR = Path(__file__).resolve().parent / "_sandbox"
MOE_CORE_DIR = Path(__file__).resolve().parents[2] / "moe_core"


def _syntax_error(solution_code: str) -> str | None:
    """The message for a solution that does not compile (with its line and a caret), else None."""
    try:
        compile(solution_code, "solution.py", "exec")
    except SyntaxError as exc:
        message = f"SyntaxError in solution.py, line {exc.lineno}: {exc.msg}"
        if exc.text:
            message += f"\n    {exc.text.rstrip()}\n    {' ' * max((exc.offset or 1) - 1, 0)}^"
        return message
    return None


def _prepare(tmp: Path, solution_code: str, test_file: Path, allow_moe_core: bool,
             extra_files: dict[str, str]) -> None:
    """The run's folders: lib/ (the boot wrapper, the pytest plugin, moe_core when allowed), work/ (solution.py,
    test_solution.py and extra files) and out/ (the plugin's report)."""
    for sub in ("lib", "work", "out"):
        (tmp / sub).mkdir()
    shutil.copy(SANDBOX_DIR / "boot.py", tmp / "lib" / "moe_lab_boot.py")
    shutil.copy(SANDBOX_DIR / "plugin.py", tmp / "lib" / "moe_lab_plugin.py")
    (tmp / "lib" / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    if allow_moe_core:
        shutil.copytree(MOE_CORE_DIR, tmp / "lib" / "moe_core", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp / "work" / "solution.py").write_text(solution_code, encoding="utf-8")
    shutil.copy(test_file, tmp / "work" / "test_solution.py")
    for name, text in extra_files.items():
        (tmp / "work" / name).write_text(text, encoding="utf-8")


def _pytest_command(root: Path, python: str, limits: RunLimits) -> list[str]:
    """The boot wrapper (it limits itself, then execs pytest with our plugin) as seen from inside the run."""
    return [python, str(root / "lib" / "moe_lab_boot.py"), json.dumps(asdict(limits)), "--",
            python, "-m", "pytest", "-p", "moe_lab_plugin", "-p", "no:cacheprovider", "-q", "--tb=short",
            "-c", str(root / "lib" / "pytest.ini"), "--rootdir", str(root / "work"), "test_solution.py"]


def _check_isolation(isolation: str) -> None:
    check_choice("isolation", isolation, ISOLATIONS)
    if isolation == "bubblewrap" and not bwrap_path():
        raise RuntimeError("isolation 'bubblewrap' asked for, but bwrap is not installed (Debian package bubblewrap)")


def run_tests(solution_code: str, test_file: Path, *, limits: RunLimits | None = None,
              isolation: str | None = None, allow_moe_core: bool = False, extra_files: dict[str, str] | None = None,
              python: str | None = None) -> dict:
    """Run `test_file` (a pytest file importing from `solution`) against `solution_code`; return the v2 result.

    isolation: "bubblewrap", "limits-only" or None (bubblewrap when installed). allow_moe_core copies the project's
    `moe_core` into the sandbox (for the reference adapters; user code runs without it).
    """
    limits = limits or RunLimits()
    isolation = isolation or default_isolation()
    _check_isolation(isolation)
    test_file = Path(test_file)
    sources = sources_by_test(test_file)
    base = {"version": 2, "isolation": isolation,
            "warning": LIMITS_ONLY_WARNING if isolation == "limits-only" else None}
    started = time.monotonic()
    syntax_error = _syntax_error(solution_code)
    if syntax_error is not None:  # reported at once with its line, without starting a process
        return {**base, "status": "error", "verdict": "syntax-error", "message": syntax_error,
                "tests": [], "duration_s": round(time.monotonic() - started, 3)}

    python = python or sys.executable
    run_id = uuid.uuid4().hex
    tmp = Path(tempfile.mkdtemp(prefix="moe-lab-run-"))
    try:
        _prepare(tmp, solution_code, test_file, allow_moe_core, extra_files or {})
        root = SANDBOX_ROOT if isolation == "bubblewrap" else tmp
        cmd, env, cwd = confined_command(isolation, tmp, python, _pytest_command(root, python, limits), limits,
                                         run_id)
        output_path = tmp / "output.txt"  # outside the sandbox; written through the inherited descriptor
        returncode, timed_out = run_with_wall_limit(cmd, env, cwd, output_path, limits.wall_s)
        reap_run(run_id)
        with open(output_path, "rb") as fh:
            raw = fh.read(limits.output_bytes + 1)
        run = RunOutcome(read_events(tmp / "out" / "report.jsonl"), returncode, timed_out, raw,
                         output_path.stat().st_size)
        return {**assemble(run, sources, limits), **base, "run_id": run_id,
                "duration_s": round(time.monotonic() - started, 3)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
