"""The host side of the warm worker: starts the sandboxed worker (`_sandbox/worker.py`), sends it runs, restarts it
when it dies. One worker per isolation mode and Python, shared by every thread of the process."""
from __future__ import annotations

import atexit
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path

from .isolation import SANDBOX_ROOT, RunLimits, bwrap_command, python_prefixes, sandbox_env

SANDBOX_DIR = Path(__file__).resolve().parent / "_sandbox"
LIB_FILES = {"boot.py": "moe_lab_boot.py", "plugin.py": "moe_lab_plugin.py", "entry.py": "moe_lab_entry.py",
             "worker.py": "moe_lab_worker.py"}
START_TIMEOUT_S = 120.0  # importing torch on a busy 2-core machine
GRACE_S = 15.0  # how long past a run's wall limit the host waits before it gives the worker up


def _launcher_loop(jobs: "queue.Queue") -> None:
    while True:
        start, done = jobs.get()
        try:
            done.set_result(start())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            done.set_exception(exc)


_LAUNCH_JOBS: "queue.Queue" = queue.Queue()
threading.Thread(target=_launcher_loop, args=(_LAUNCH_JOBS,), daemon=True, name="moe-lab-worker-launcher").start()


def launch(start):
    """Call `start` (which starts a process) on a thread that lives as long as this process: bubblewrap's
    --die-with-parent follows the thread that started it, and Streamlit runs each rerun on a thread that ends."""
    done: Future = Future()
    _LAUNCH_JOBS.put((start, done))
    return done.result()


class WorkerDied(RuntimeError):
    """The worker process ended while runs were in flight (they may be retried on a new worker)."""


def write_lib(lib: Path) -> None:
    """The sandbox's modules (boot, plugin, entry, worker) under their in-sandbox names."""
    lib.mkdir(parents=True, exist_ok=True)
    for source, name in LIB_FILES.items():
        shutil.copy(SANDBOX_DIR / source, lib / name)


class _Slot:
    def __init__(self):
        self.done = threading.Event()
        self.reply: dict | None = None


class WarmWorker:
    """One sandboxed worker process. `submit` is thread-safe; the worker runs the submitted runs side by side."""

    def __init__(self, isolation: str, python: str):
        self.isolation, self.python = isolation, python
        self.spool = Path(tempfile.mkdtemp(prefix="moe-lab-worker-"))
        write_lib(self.spool / "lib")
        (self.spool / "runs").mkdir()
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._slots: dict[str, _Slot] = {}
        self.restarts = -1  # how often a worker was (re)started after the first one
        self.baseline: set[int] = set()  # the worker's own processes (bwrap and the worker), to tell strays from them

    # -- paths as the runs see them -------------------------------------------------------------------------------
    @property
    def runs_root(self) -> Path:
        """The folder of all runs as seen inside the worker (each run sees only its own folder there)."""
        return SANDBOX_ROOT / "runs" if self.isolation == "bubblewrap" else self.spool / "runs"

    @property
    def lib(self) -> Path:
        return SANDBOX_ROOT / "lib" if self.isolation == "bubblewrap" else self.spool / "lib"

    def run_dir(self, run_id: str) -> Path:
        """The run's folder on the host: lib/ (moe_core when allowed), work/, out/."""
        return self.spool / "runs" / run_id

    # -- the process ------------------------------------------------------------------------------------------------
    def _command(self, limits: RunLimits) -> tuple[list[str], dict[str, str], Path]:
        config = {"runs_root": str(self.runs_root), "lib": str(self.lib), "private": True,
                  "private_tmp": self.isolation == "bubblewrap",  # limits only: /tmp is shared, as documented
                  "tmpfs_bytes": limits.tmpfs_bytes,
                  # Python folders under /tmp (a checkout's venv there): bound again on top of each run's private /tmp
                  "keep_in_tmp": [prefix for prefix in python_prefixes(self.python) if prefix.startswith("/tmp/")]}
        inner = [self.python, str(self.lib / "moe_lab_worker.py"), json.dumps(config)]
        env = sandbox_env(self.spool, "")
        env["PYTHONPATH"] = str(self.lib)
        if self.isolation == "limits-only":
            return inner, env, self.spool
        binds = [("--ro-bind", self.spool / "lib", self.lib), ("--bind", self.spool / "runs", self.runs_root)]
        command = bwrap_command(self.python, inner, limits, env, binds, SANDBOX_ROOT)
        return command, {"PATH": "/usr/bin:/bin"}, self.spool

    def _start(self) -> None:
        """Start a worker and wait for its "ready" line (the caller holds the lock)."""
        command, env, cwd = self._command(RunLimits())
        log = open(self.spool / "worker.log", "ab")
        process = launch(lambda: subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                                  env=env, cwd=cwd, start_new_session=True, close_fds=True))
        log.close()
        ready = _Slot()
        threading.Thread(target=self._read_replies, args=(process, ready), daemon=True,
                         name="moe-lab-worker-replies").start()
        if not ready.done.wait(START_TIMEOUT_S) or ready.reply is None:
            _kill(process)
            tail = (self.spool / "worker.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the exercise worker did not start ({self.isolation}):\n{tail}")
        self._process = process
        self.restarts += 1
        self.baseline = set(descendants(process.pid)) | {process.pid}

    def _read_replies(self, process: subprocess.Popen, ready: _Slot) -> None:
        """Hand each finished run's reply to its waiting caller; on EOF fail the runs still in flight."""
        for line in process.stdout:
            reply = json.loads(line)
            if reply.get("ready"):
                ready.reply = reply
                ready.done.set()
                continue
            with self._lock:
                slot = self._slots.pop(reply["run_id"], None)
            if slot is not None:
                slot.reply = reply
                slot.done.set()
        process.wait()
        ready.done.set()
        with self._lock:
            if self._process is process:
                self._process = None
                orphans, self._slots = self._slots, {}
            else:
                orphans = {}
        for slot in orphans.values():
            slot.done.set()  # reply None: the worker died

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def prestart(self) -> None:
        """Start the worker in the background (a page calls this on load, so the first run finds torch imported)."""
        def start() -> None:
            with self._lock:
                if not self.alive():
                    try:
                        self._start()
                    except RuntimeError:
                        pass  # the first run starts it again and reports the error
        if not self.alive():
            threading.Thread(target=start, daemon=True, name="moe-lab-worker-start").start()

    def submit(self, run_id: str, limits: RunLimits, env: dict[str, str], request: dict) -> dict:
        """Send one run and wait for it: {"returncode", "timed_out"}. Raises WorkerDied if the worker ended first."""
        slot = _Slot()
        job = {"run_id": run_id, "limits": asdict(limits), "env": env, "request": request}
        with self._lock:
            if not self.alive():
                self._start()
            process = self._process
            self._slots[run_id] = slot
            try:
                process.stdin.write((json.dumps(job) + "\n").encode())
                process.stdin.flush()
            except (BrokenPipeError, OSError):
                self._slots.pop(run_id, None)
                raise WorkerDied("the exercise worker was gone") from None
        if not slot.done.wait(limits.wall_s + GRACE_S):  # the worker hangs: replace it
            self.stop()
            return {"returncode": -signal.SIGKILL, "timed_out": True}
        if slot.reply is None:
            raise WorkerDied("the exercise worker ended during the run")
        return slot.reply

    def stop(self) -> None:
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            _kill(process)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.spool, ignore_errors=True)

    def strays(self) -> list[int]:
        """Processes under the worker that are not the worker itself: after a run has ended, there should be none."""
        pid = self.pid()
        return [] if pid is None else [p for p in descendants(pid) if p not in self.baseline]


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


_WORKERS: dict[tuple[str, str], WarmWorker] = {}
_WORKERS_LOCK = threading.Lock()


def worker_for(isolation: str, python: str) -> WarmWorker:
    """The process's worker for this isolation mode and Python (created on first use, started on first run)."""
    with _WORKERS_LOCK:
        worker = _WORKERS.get((isolation, python))
        if worker is None:
            worker = _WORKERS[(isolation, python)] = WarmWorker(isolation, python)
        return worker


@atexit.register
def _close_all() -> None:
    for worker in list(_WORKERS.values()):
        worker.close()
