"""Runs a user's solution against an exercise's tests in a separate, limited process; returns Exercism v2 results.

Isolation: under bubblewrap when `bwrap` is installed (no network, read-only system, a private /tmp, a private work dir
holding only solution.py and the tests; neither the repository nor the progress database is visible), otherwise with
resource limits only and a warning that says what is not protected. In both modes a small wrapper (`_sandbox/boot.py`)
sets CPU / memory (RLIMIT_DATA, not RLIMIT_AS, so torch imports) / file size / process limits and a seccomp filter that
refuses new processes, then execs pytest; the runner kills the whole process group at the wall limit and reads at most
`output_bytes` of output. We follow the Exercism test-runner interface (version 2) for the result, adding
`verdict`, `isolation`, `warning` and `duration_s`.

The sandbox protects the host from the code; it does not stop a user from forging their own results (the code runs in
the same process as pytest). That is fine for a practice app: there is nothing to win by cheating.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

SANDBOX_DIR = Path(__file__).resolve().parent / "_sandbox"
REPO_ROOT = Path(__file__).resolve().parents[2]
MOE_CORE_DIR = REPO_ROOT / "moe_core"
MAX_TEST_OUTPUT = 500
_AST_LOCK = threading.Lock()

LIMITS_ONLY_WARNING = (
    "bubblewrap (bwrap) is not installed, so your code runs with resource limits only: CPU and wall time, memory, "
    "file size, output size and no new processes are enforced, but the code can read and write your files (including "
    "the progress database), and open network connections. Install the Debian package `bubblewrap` for isolation."
)


@dataclass(frozen=True)
class RunLimits:
    """Per-run limits. Defaults fit the exercises (torch import ~2-3 s); tests pass smaller ones."""

    cpu_s: int = 30
    wall_s: float = 40.0
    memory_bytes: int = 1536 * 2**20  # RLIMIT_DATA: stops a 2 GiB tensor, lets torch import
    file_bytes: int = 8 * 2**20  # RLIMIT_FSIZE: any file written, including pytest's captured output
    tmpfs_bytes: int = 64 * 2**20  # size of the private /tmp under bubblewrap
    nproc: int = 512  # RLIMIT_NPROC (no effect for root; the seccomp filter and the PID namespace cover that)
    output_bytes: int = 64 * 1024  # how much of the raw process output the runner reads back
    block_fork: bool = True  # seccomp filter: no new processes (threads are allowed)


def bwrap_path() -> str | None:
    """The bubblewrap binary, or None when it is not installed."""
    return shutil.which("bwrap")


def default_isolation() -> str:
    return "bubblewrap" if bwrap_path() else "limits-only"


def _test_sources(test_file: Path) -> dict[str, str]:
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


def _test_name(nodeid: str) -> str:
    """"test_solution.py::test_x[2-3]" -> "test_x[2-3]"."""
    return nodeid.split("::", 1)[1] if "::" in nodeid else nodeid


def _bwrap_command(tmp: Path, python: str, inner: list[str], limits: RunLimits, run_id: str) -> list[str]:
    """bubblewrap: every namespace unshared, system and Python read-only, only the run's own dirs visible."""
    cmd = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    for top in ("usr", "bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / top
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    # The private /tmp first: a Python prefix or venv that lives under /tmp is bound on top of it, not hidden by it.
    cmd += ["--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp"]
    for prefix in sorted({sys.base_prefix, sys.prefix, str(Path(python).resolve().parent.parent)}):
        if not prefix.startswith("/usr/"):
            cmd += ["--ro-bind", prefix, prefix]
    cmd += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
            "--proc", "/proc", "--dev", "/dev",
            "--ro-bind", str(tmp / "lib"), "/sandbox/lib",
            "--bind", str(tmp / "work"), "/sandbox/work",
            "--bind", str(tmp / "out"), "/sandbox/out",
            "--chdir", "/sandbox/work"]
    for key, value in _sandbox_env(Path("/sandbox"), run_id).items():
        cmd += ["--setenv", key, value]
    return cmd + ["--"] + inner


def _sandbox_env(root: Path, run_id: str) -> dict[str, str]:
    """A minimal environment: no inherited variables (so no MOE_LAB_DB, no tokens)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(root / "work"),
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{root / 'lib'}:{root / 'work'}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "OMP_NUM_THREADS": "1",  # fair CPU accounting, no oversubscription when runs overlap
        "MKL_NUM_THREADS": "1",
        "MOE_LAB_REPORT": str(root / "out" / "report.jsonl"),
    }
    if run_id:
        env["MOE_LAB_RUN_ID"] = run_id
    return env


def leftover_processes(run_id: str) -> list[int]:
    """Pids of processes still carrying this run's id in their environment (should be none after a run)."""
    marker = f"MOE_LAB_RUN_ID={run_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _reap_run(run_id: str, patience_s: float = 3.0) -> None:
    """Kill whatever still carries this run's id (a child that left the process group, a sandbox still dying).

    SIGKILL is asynchronous: the processes of a killed group or PID namespace take a moment to go.
    """
    deadline = time.monotonic() + patience_s
    while (pids := leftover_processes(run_id)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)


def _read_events(path: Path) -> list[dict]:
    events = []
    if path.exists():
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:  # a line cut by a kill
                    break
    return events


def _is_memory_error(message: str | None) -> bool:
    return bool(message) and bool(re.search(r"MemoryError|can't allocate memory|Cannot allocate memory|std::bad_alloc",
                                            message))


def run_tests(solution_code: str, test_file: Path, *, limits: RunLimits | None = None,
              isolation: str | None = None, allow_moe_core: bool = False, extra_files: dict[str, str] | None = None,
              python: str | None = None) -> dict:
    """Run `test_file` (a pytest file importing from `solution`) against `solution_code`; return the v2 result.

    isolation: "bubblewrap", "limits-only" or None (bubblewrap when installed). allow_moe_core copies the project's
    `moe_core` into the sandbox (for the reference adapters; user code runs without it).
    """
    limits = limits or RunLimits()
    isolation = isolation or default_isolation()
    if isolation not in ("bubblewrap", "limits-only"):
        raise ValueError(f"isolation ({isolation!r}) must be 'bubblewrap' or 'limits-only'")
    if isolation == "bubblewrap" and not bwrap_path():
        raise RuntimeError("isolation 'bubblewrap' asked for, but bwrap is not installed (Debian package bubblewrap)")
    test_file = Path(test_file)
    sources = _test_sources(test_file)
    base = {"version": 2, "isolation": isolation,
            "warning": LIMITS_ONLY_WARNING if isolation == "limits-only" else None}
    started = time.monotonic()

    try:  # a syntax error is reported at once with its line, without starting a process
        compile(solution_code, "solution.py", "exec")
    except SyntaxError as exc:
        message = f"SyntaxError in solution.py, line {exc.lineno}: {exc.msg}"
        if exc.text:
            message += f"\n    {exc.text.rstrip()}\n    {' ' * max((exc.offset or 1) - 1, 0)}^"
        return {**base, "status": "error", "verdict": "syntax-error", "message": message,
                "tests": [], "duration_s": round(time.monotonic() - started, 3)}

    python = python or sys.executable
    run_id = uuid.uuid4().hex
    tmp = Path(tempfile.mkdtemp(prefix="moe-lab-run-"))
    try:
        for sub in ("lib", "work", "out"):
            (tmp / sub).mkdir()
        shutil.copy(SANDBOX_DIR / "boot.py", tmp / "lib" / "moe_lab_boot.py")
        shutil.copy(SANDBOX_DIR / "plugin.py", tmp / "lib" / "moe_lab_plugin.py")
        (tmp / "lib" / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        if allow_moe_core:
            shutil.copytree(MOE_CORE_DIR, tmp / "lib" / "moe_core", ignore=shutil.ignore_patterns("__pycache__"))
        (tmp / "work" / "solution.py").write_text(solution_code, encoding="utf-8")
        shutil.copy(test_file, tmp / "work" / "test_solution.py")
        for name, text in (extra_files or {}).items():
            (tmp / "work" / name).write_text(text, encoding="utf-8")

        root = Path("/sandbox") if isolation == "bubblewrap" else tmp
        limits_json = json.dumps(asdict(limits))
        inner = [python, str(root / "lib" / "moe_lab_boot.py"), limits_json, "--",
                 python, "-m", "pytest", "-p", "moe_lab_plugin", "-p", "no:cacheprovider", "-q", "--tb=short",
                 "-c", str(root / "lib" / "pytest.ini"), "--rootdir", str(root / "work"), "test_solution.py"]
        if isolation == "bubblewrap":
            cmd = _bwrap_command(tmp, python, inner, limits, run_id)
            env = {"PATH": "/usr/bin:/bin", "MOE_LAB_RUN_ID": run_id}  # the run id finds leftover processes
            cwd = tmp
        else:
            cmd, env, cwd = inner, _sandbox_env(tmp, run_id), tmp / "work"

        output_path = tmp / "output.txt"  # outside the sandbox; written through the inherited descriptor
        with open(output_path, "wb") as output:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                    env=env, cwd=cwd, start_new_session=True, close_fds=True)
            timed_out = False
            try:
                returncode = proc.wait(timeout=limits.wall_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:  # always: stragglers of a finished run go too
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if timed_out:
                returncode = proc.wait()
        _reap_run(run_id)
        with open(output_path, "rb") as fh:
            raw = fh.read(limits.output_bytes + 1)
        output_size = output_path.stat().st_size
        events = _read_events(tmp / "out" / "report.jsonl")
        result = _assemble(events, sources, returncode, timed_out, limits, raw, output_size)
        result.update(base)
        result["run_id"] = run_id
        result["duration_s"] = round(time.monotonic() - started, 3)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _assemble(events: list[dict], sources: dict[str, str], returncode: int, timed_out: bool, limits: RunLimits,
              raw: bytes, output_size: int) -> dict:
    """Turn the plugin's events and the process outcome into the v2 result with a verdict."""
    output_text = raw[:limits.output_bytes].decode("utf-8", errors="replace")
    output_truncated = output_size > limits.output_bytes
    collected: list[str] = []
    results: dict[str, dict] = {}
    collect_errors: list[str] = []
    running: str | None = None
    finished = None
    for ev in events:
        kind = ev.get("event")
        if kind == "collected":
            collected = list(ev["nodeids"])
        elif kind == "collect_error":
            collect_errors.append(ev.get("message") or "")
        elif kind == "start":
            running = ev["nodeid"]
        elif kind == "result":
            previous = results.get(ev["nodeid"])
            if previous is None or ev["outcome"] != "passed":  # a failed teardown overrides a passed call
                results[ev["nodeid"]] = ev
        elif kind == "finish":
            finished = ev.get("exitstatus")

    # What stopped the process, if something did.
    killed_by = -returncode if returncode < 0 else None
    if killed_by is None and returncode > 128 and finished is None:  # bwrap reports a child's signal as 128 + signal
        killed_by = returncode - 128
    early_exit = next((ev for ev in events if ev.get("event") == "early_exit"), None)
    verdict = None
    if timed_out:
        verdict = ("timeout", f"Timed out: the run exceeded the wall-clock limit of {limits.wall_s:g} s and its "
                              "process group was killed. Look for an endless loop.")
    elif killed_by == signal.SIGXCPU:
        verdict = ("timeout", f"Timed out: the run used its CPU-time limit of {limits.cpu_s} s and was killed.")
    elif early_exit is not None:
        verdict = ("early-exit", "The solution called sys.exit() while being imported; that is never a pass.\n"
                                 + (early_exit.get("message") or ""))
    elif (killed_by == signal.SIGXFSZ or output_size >= limits.file_bytes
          or any("File too large" in (ev.get("message") or "") for ev in events)):
        verdict = ("output-limit", f"Output limit exceeded: a file or the captured output reached "
                                   f"{limits.file_bytes // 1024} KiB and the run was stopped. Remove the flood of prints.")
    elif killed_by == signal.SIGKILL and finished is None:
        verdict = ("memory", "The process was killed (SIGKILL), most likely for using too much memory "
                             f"(limit {limits.memory_bytes // 2**20} MiB).")
    elif killed_by is not None and finished is None:
        verdict = ("crash", f"The test process died from signal {signal.Signals(killed_by).name}.")
    elif finished is None:
        verdict = ("early-exit", f"The test process exited early (exit code {returncode}) before the tests finished. "
                                 "Solution code must not call sys.exit() or os._exit(); that is never a pass.")

    tests = []
    for nodeid in collected:
        name = _test_name(nodeid)
        test = {"name": name, "status": "error", "message": None, "output": None,
                "test_code": sources.get(name.split("[", 1)[0], "")}
        ev = results.get(nodeid)
        if ev is not None:
            test["status"] = {"passed": "pass", "failed": "fail"}.get(ev["outcome"], "error")
            test["message"] = ev.get("message")
            if ev["outcome"] == "skipped":
                test["message"] = "skipped: " + (ev.get("message") or "")
            test["output"] = ev.get("output") or None
            if test["status"] == "fail" and _is_memory_error(test["message"]):
                test["message"] = (f"Memory limit exceeded ({limits.memory_bytes // 2**20} MiB): the code tried to "
                                   "allocate more memory than allowed.\n" + test["message"])
        elif verdict is not None and nodeid == running:
            test["message"] = verdict[1]
            test["output"] = output_text[-MAX_TEST_OUTPUT:] or None
        else:
            test["message"] = "not run: " + (verdict[1] if verdict else "the run stopped before this test")
        tests.append(test)

    if collect_errors and not tests and verdict is None:
        message = "\n".join(collect_errors)
        kind = "import-error"
        return {"status": "error", "verdict": kind, "message": _short_import_error(message), "tests": [],
                "output": _cap(output_text, output_truncated)}
    if verdict is not None:
        status, message = "error", verdict[1]
    elif not tests:
        status, message = "error", "No tests ran." + (f"\n{output_text[-2000:]}" if output_text else "")
        verdict = ("no-tests", message)
    elif all(t["status"] == "pass" for t in tests):
        status, message = "pass", None
    else:
        status, message = "fail", None
    memory_hit = any(t["status"] == "fail" and (t["message"] or "").startswith("Memory limit") for t in tests)
    if verdict is not None:
        name = verdict[0]
    else:
        name = "memory" if memory_hit else status
    if memory_hit and message is None:
        message = f"A test hit the memory limit ({limits.memory_bytes // 2**20} MiB)."
    return {"status": status, "verdict": name, "message": message, "tests": tests,
            "output": _cap(output_text, output_truncated)}


def _cap(text: str, truncated: bool) -> str:
    return text + ("\n... [output truncated]" if truncated else "")


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
