"""The result of a test run, in the Exercism test-runner v2 form: the sandbox plugin's events and the process outcome
turned into a status, a verdict and one entry per test (with its source code)."""
from __future__ import annotations

import ast
import json
import re
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .isolation import RunLimits

MAX_TEST_OUTPUT = 500
_AST_LOCK = threading.Lock()


def sources_by_test(test_file: Path) -> dict[str, str]:
    """Source of every test function by name ("test_x" or "TestY::test_x") for the result's `test_code`."""
    text = test_file.read_text(encoding="utf-8")
    sources: dict[str, str] = {}
    with _AST_LOCK:  # CPython 3.11's ast.parse fails ("recursion depth mismatch") when threads parse at once
        tree = ast.parse(text)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            sources[node.name] = ast.get_source_segment(text, node) or ""
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef) and sub.name.startswith("test"):
                    sources[f"{node.name}::{sub.name}"] = ast.get_source_segment(text, sub) or ""
    return sources


def read_events(path: Path) -> list[dict]:
    """The plugin's JSON lines, up to the first line a kill cut short."""
    events = []
    if path.exists():
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    break
    return events


@dataclass
class RunOutcome:
    """What the run left: the plugin's events, how the process ended, and its (capped) output."""
    events: list[dict]
    returncode: int
    timed_out: bool
    raw_output: bytes
    output_size: int


@dataclass
class _Events:
    collected: list[str] = field(default_factory=list)
    results: dict[str, dict] = field(default_factory=dict)
    collect_errors: list[str] = field(default_factory=list)
    running: str | None = None
    finished: int | None = None
    early_exit: dict | None = None


def _sort_events(events: list[dict]) -> _Events:
    seen = _Events()
    for ev in events:
        kind = ev.get("event")
        if kind == "collected":
            seen.collected = list(ev["nodeids"])
        elif kind == "collect_error":
            seen.collect_errors.append(ev.get("message") or "")
        elif kind == "start":
            seen.running = ev["nodeid"]
        elif kind == "result":
            previous = seen.results.get(ev["nodeid"])
            if previous is None or ev["outcome"] != "passed":  # a failed teardown overrides a passed call
                seen.results[ev["nodeid"]] = ev
        elif kind == "finish":
            seen.finished = ev.get("exitstatus")
        elif kind == "early_exit" and seen.early_exit is None:
            seen.early_exit = ev
    return seen


def _verdict(run: RunOutcome, seen: _Events, limits: RunLimits) -> tuple[str, str] | None:
    """(verdict, message) when something stopped the process, else None."""
    killed_by = -run.returncode if run.returncode < 0 else None
    if killed_by is None and run.returncode > 128 and seen.finished is None:  # bwrap: a child's signal is 128 + sig
        killed_by = run.returncode - 128
    if run.timed_out:
        return ("timeout", f"Timed out: the run exceeded the wall-clock limit of {limits.wall_s:g} s and its "
                           "process group was killed. Look for an endless loop.")
    if killed_by == signal.SIGXCPU:
        return "timeout", f"Timed out: the run used its CPU-time limit of {limits.cpu_s} s and was killed."
    if seen.early_exit is not None:
        return ("early-exit", "The solution called sys.exit() while being imported; that is never a pass.\n"
                              + (seen.early_exit.get("message") or ""))
    if (killed_by == signal.SIGXFSZ or run.output_size >= limits.file_bytes
            or any("File too large" in (ev.get("message") or "") for ev in run.events)):
        return ("output-limit", f"Output limit exceeded: a file or the captured output reached "
                                f"{limits.file_bytes // 1024} KiB and the run was stopped. Remove the flood of prints.")
    if killed_by == signal.SIGKILL and seen.finished is None:
        return ("memory", "The process was killed (SIGKILL), most likely for using too much memory "
                          f"(limit {limits.memory_bytes // 2**20} MiB).")
    if killed_by is not None and seen.finished is None:
        return "crash", f"The test process died from signal {signal.Signals(killed_by).name}."
    if seen.finished is None:
        return ("early-exit", f"The test process exited early (exit code {run.returncode}) before the tests "
                              "finished. Solution code must not call sys.exit() or os._exit(); that is never a pass.")
    return None


def _is_memory_error(message: str | None) -> bool:
    return bool(message) and bool(re.search(r"MemoryError|can't allocate memory|Cannot allocate memory|std::bad_alloc",
                                            message))


def _test_entry(nodeid: str, seen: _Events, verdict: tuple[str, str] | None, sources: dict[str, str],
                output_text: str, limits: RunLimits) -> dict:
    """One test of the v2 result: name, status, message, output, test_code."""
    name = nodeid.split("::", 1)[1] if "::" in nodeid else nodeid  # "test_solution.py::test_x[2-3]" -> "test_x[2-3]"
    test = {"name": name, "status": "error", "message": None, "output": None,
            "test_code": sources.get(name.split("[", 1)[0], "")}
    ev = seen.results.get(nodeid)
    if ev is not None:
        test["status"] = {"passed": "pass", "failed": "fail"}.get(ev["outcome"], "error")
        test["message"] = ev.get("message")
        if ev["outcome"] == "skipped":
            test["message"] = "skipped: " + (ev.get("message") or "")
        test["output"] = ev.get("output") or None
        if test["status"] == "fail" and _is_memory_error(test["message"]):
            test["message"] = (f"Memory limit exceeded ({limits.memory_bytes // 2**20} MiB): the code tried to "
                               "allocate more memory than allowed.\n" + test["message"])
    elif verdict is not None and nodeid == seen.running:
        test["message"] = verdict[1]
        test["output"] = output_text[-MAX_TEST_OUTPUT:] or None
    else:
        test["message"] = "not run: " + (verdict[1] if verdict else "the run stopped before this test")
    return test


def assemble(run: RunOutcome, sources: dict[str, str], limits: RunLimits) -> dict:
    """Turn the plugin's events and the process outcome into the v2 result with a verdict."""
    output_text = run.raw_output[:limits.output_bytes].decode("utf-8", errors="replace")
    output = output_text + ("\n... [output truncated]" if run.output_size > limits.output_bytes else "")
    seen = _sort_events(run.events)
    verdict = _verdict(run, seen, limits)
    tests = [_test_entry(nodeid, seen, verdict, sources, output_text, limits) for nodeid in seen.collected]
    if seen.collect_errors and not tests and verdict is None:
        return {"status": "error", "verdict": "import-error", "output": output, "tests": [],
                "message": _short_import_error("\n".join(seen.collect_errors))}
    if verdict is None and not tests:
        verdict = ("no-tests", "No tests ran." + (f"\n{output_text[-2000:]}" if output_text else ""))
    memory_hit = any(t["status"] == "fail" and (t["message"] or "").startswith("Memory limit") for t in tests)
    if verdict is not None:
        status, name, message = "error", verdict[0], verdict[1]
    else:
        status = "pass" if all(t["status"] == "pass" for t in tests) else "fail"
        name, message = ("memory" if memory_hit else status), None
    if memory_hit and message is None:
        message = f"A test hit the memory limit ({limits.memory_bytes // 2**20} MiB)."
    return {"status": status, "verdict": name, "message": message, "tests": tests, "output": output}


def assemble_scratch(run: RunOutcome, limits: RunLimits) -> dict:
    """A scratch cell's result: status pass (it ran) or error (verdict "exception" with the user's traceback, or what
    stopped the process); `scratch` the values of its expressions, `output` what it printed."""
    output_text = run.raw_output[:limits.output_bytes].decode("utf-8", errors="replace")
    output = output_text + ("\n... [output truncated]" if run.output_size > limits.output_bytes else "")
    seen = _sort_events(run.events)
    cell = next((ev for ev in run.events if ev.get("event") == "scratch"), None)
    verdict = _verdict(run, seen, limits)
    values = cell["values"] if cell else []
    if verdict is None and cell is not None and cell.get("error"):
        verdict = ("exception", cell["error"])
    if verdict is None and cell is None:
        verdict = ("crash", "The cell's process ended without a result.\n" + output_text[-2000:])
    status, name, message = ("pass", "pass", None) if verdict is None else ("error", *verdict)
    return {"status": status, "verdict": name, "message": message, "tests": [], "output": output,
            "scratch": {"values": values}}


def _short_import_error(message: str) -> str:
    """pytest's collection error without the importlib frames: start at the test file's import of the solution."""
    lines = message.strip().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(("test_solution.py", "solution.py"))), None)
    body = "\n".join(lines[start:]) if start is not None else message
    return "Could not import your solution:\n" + body.strip()[-4000:]


def result_summary(result: dict) -> dict:
    """passed / total counts and the index of the first test that did not pass (None when all passed)."""
    tests = result.get("tests") or []
    first = next((i for i, test in enumerate(tests) if test["status"] != "pass"), None)
    return {"passed": sum(test["status"] == "pass" for test in tests), "total": len(tests), "first_failure": first}
