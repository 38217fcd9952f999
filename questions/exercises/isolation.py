"""How a solution's test process is confined: bubblewrap when installed, resource limits always, and the reaping of
whatever the run leaves behind.

Under bubblewrap (no network, read-only system, a private /tmp, a private work dir holding only solution.py and the
tests; neither the repository nor the progress database is visible); otherwise resource limits only, with a warning
that says what is not protected. In both modes `_sandbox/boot.py` sets CPU / memory (RLIMIT_DATA, not RLIMIT_AS, so
torch imports) / file size / process limits and a seccomp filter that refuses new processes, mounts and namespaces
(a cold run: then it execs the sandbox's entry; a warm run: in each forked run of the worker, see warm.py); the wall
limit kills the run's process group, and the runner reads at most `output_bytes` of output.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ISOLATIONS = ("bubblewrap", "limits-only")
SANDBOX_ROOT = Path("/sandbox")  # where bubblewrap shows the run's lib/, work/ and out/ folders

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


def sandbox_env(root: Path, run_id: str) -> dict[str, str]:
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


def python_prefixes(python: str) -> list[str]:
    """The folders Python and its packages load from, outside /usr (a venv, a pyenv build): a sandbox binds them."""
    prefixes = {sys.base_prefix, sys.prefix, str(Path(python).resolve().parent.parent)}
    return sorted(prefix for prefix in prefixes if not prefix.startswith("/usr/"))


def bwrap_command(python: str, inner: list[str], limits: RunLimits, env: dict[str, str],
                  binds: list[tuple[str, Path, Path]], chdir: Path) -> list[str]:
    """bubblewrap: every namespace unshared, system and Python read-only, only `binds` ((flag, host path, path
    inside)) of the host's files visible, `env` the whole environment."""
    cmd = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    for top in ("usr", "bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / top
        if path.is_symlink():
            cmd += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            cmd += ["--ro-bind", str(path), str(path)]
    # The private /tmp first: a Python prefix or venv that lives under /tmp is bound on top of it, not hidden by it.
    cmd += ["--size", str(limits.tmpfs_bytes), "--tmpfs", "/tmp"]
    for prefix in python_prefixes(python):
        cmd += ["--ro-bind", prefix, prefix]
    cmd += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--proc", "/proc", "--dev", "/dev"]
    for flag, source, target in binds:
        cmd += [flag, str(source), str(target)]
    cmd += ["--chdir", str(chdir)]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return cmd + ["--"] + inner


def confined_command(isolation: str, tmp: Path, python: str, inner: list[str], limits: RunLimits,
                     run_id: str) -> tuple[list[str], dict[str, str], Path]:
    """(command, environment, working directory) that run `inner` under `isolation` in a cold run's folder `tmp`
    (lib/ read-only, work/ and out/ writable)."""
    if isolation == "bubblewrap":
        env = {"PATH": "/usr/bin:/bin", "MOE_LAB_RUN_ID": run_id}  # the run id finds leftover processes
        binds = [("--ro-bind", tmp / "lib", SANDBOX_ROOT / "lib"), ("--bind", tmp / "work", SANDBOX_ROOT / "work"),
                 ("--bind", tmp / "out", SANDBOX_ROOT / "out")]
        command = bwrap_command(python, inner, limits, sandbox_env(SANDBOX_ROOT, run_id), binds, SANDBOX_ROOT / "work")
        return command, env, tmp
    return inner, sandbox_env(tmp, run_id), tmp / "work"


def run_with_wall_limit(cmd: list[str], env: dict[str, str], cwd: Path, output_path: Path,
                        wall_s: float) -> tuple[int, bool]:
    """Run `cmd` in its own process group, output to `output_path`; (return code, timed out).

    The group is killed when the command ends or at the wall limit, so stragglers of a finished run go too."""
    with open(output_path, "wb") as output:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                env=env, cwd=cwd, start_new_session=True, close_fds=True)
        timed_out = False
        try:
            returncode = proc.wait(timeout=wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if timed_out:
            returncode = proc.wait()
    return returncode, timed_out


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


def reap_run(run_id: str, patience_s: float = 3.0) -> None:
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
