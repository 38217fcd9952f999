"""The warm worker: a sandboxed process that imports torch and pytest once, then forks one confined child per run.

`python worker.py CONFIG_JSON`, started by the host (questions/exercises/warm.py) under bubblewrap or with limits only.
Protocol: one JSON request per line on stdin ({"run_id", "limits", "env", "request"}), one JSON line per finished run
on stdout ({"run_id", "returncode", "timed_out"}); the first line says {"ready": true}. The worker itself runs no
user code. Each run is a fork that:
  1. starts a new session, writes its output to the run's out/output.txt, closes the worker's descriptors;
  2. enters a new user, mount and PID namespace (when the kernel allows it): the run's own folder is bound over the
     folder of all runs (the other runs' files are out of reach), the shared library folder read-only, and under
     bubblewrap a private /tmp;
  3. forks the PID namespace's init, which forks the run proper (so that kernel signals such as SIGXCPU act as usual);
  4. the run applies the limits and the seccomp filter (no processes, no mounts, no namespaces), runs the tests or the
     scratch cell, and exits. When the namespace's init ends, the kernel kills whatever the run left behind.
The worker kills a run's process group at the wall limit and reports 128 + signal for a run killed by a signal.
"""
import ctypes
import json
import os
import select
import signal
import sys
import time

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
_KEPT_FLAGS = MS_NOSUID | MS_NODEV | 8 | 1024 | 2048 | 4096  # and noexec, noatime, nodiratime, relatime
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _mount(source, target, fstype, flags, data=None) -> None:
    encode = (lambda text: None if text is None else str(text).encode())
    if _libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def enter_private_view(run_dir: str, config: dict) -> bool:
    """New user, mount and PID namespaces; this run's folder bound over the folder of all runs. False when the kernel
    refuses user namespaces (the run then sees the other runs' folders; see the README)."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) != 0:
        return False
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing below propagates back to the worker
    _mount(run_dir, config["runs_root"], None, MS_BIND | MS_REC)
    _mount(config["lib"], config["lib"], None, MS_BIND)
    kept = os.statvfs(config["lib"]).f_flag & _KEPT_FLAGS  # a remount must keep the flags the sandbox locked
    _mount(None, config["lib"], None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
    if config["private_tmp"]:
        # Python's own folders under /tmp would vanish under the new tmpfs: hold them open, then bind them back
        kept_dirs = [(path, os.open(path, os.O_PATH)) for path in config.get("keep_in_tmp", [])]
        _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={config['tmpfs_bytes']},mode=1777")
        for path, handle in kept_dirs:
            os.makedirs(path, exist_ok=True)
            _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
            flags = os.statvfs(path).f_flag & _KEPT_FLAGS
            _mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
            os.close(handle)
    return True


def wait_code(pid: int) -> int:
    """The exit code of `pid`, or 128 + the signal that killed it (the shell's and bubblewrap's convention)."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def run_proper(root: str, job: dict) -> None:
    """The run: its environment, sys.path and working directory, the limits and the filter, then the tests."""
    import moe_lab_boot
    import moe_lab_entry

    os.environ.clear()  # "{root}" in the host's paths: the run's folder as this run sees it
    os.environ.update({key: value.replace("{root}", root) for key, value in job["env"].items()})
    if "pytest_args" in job["request"]:
        job["request"]["pytest_args"] = [arg.replace("{root}", root) for arg in job["request"]["pytest_args"]]
    sys.path[:0] = [os.path.join(root, "lib"), os.path.join(root, "work")]
    os.chdir(os.path.join(root, "work"))
    moe_lab_boot.apply_limits(job["limits"])
    code = moe_lab_entry.main(job["request"])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _as_init(root: str, job: dict) -> None:
    """pid 1 of the run's PID namespace: dies with its parent, forks the run proper and passes its status on."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)  # refused under bubblewrap: its /proc stays, harmless
    except OSError:
        pass
    pid = os.fork()
    if pid == 0:
        run_proper(root, job)
    os._exit(wait_code(pid))


def child(job: dict, config: dict, worker_fds: list[int]) -> None:
    """Everything a forked run does; never returns."""
    try:
        os.setsid()
        for fd in worker_fds:
            os.close(fd)
        run_dir = os.path.join(config["runs_root"], job["run_id"])
        output = os.open(os.path.join(run_dir, "out", "output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        os.close(null)
        if not (config["private"] and enter_private_view(run_dir, config)):
            run_proper(run_dir, job)
        pid = os.fork()
        if pid == 0:
            _as_init(config["runs_root"], job)
        os._exit(wait_code(pid))
    except BaseException as exc:  # noqa: BLE001 - report and die; never return into the worker's loop
        os.write(2, f"worker: the run could not start: {exc!r}\n".encode())
        os._exit(70)


def preload() -> None:
    """Import what every run needs, and touch torch once so that its one-time set-up is shared by every fork."""
    import importlib

    import pytest  # noqa: F401
    from _pytest.config import default_plugins

    for name in default_plugins:
        importlib.import_module(f"_pytest.{name}")
    import moe_lab_boot  # noqa: F401
    import moe_lab_entry  # noqa: F401
    import moe_lab_plugin  # noqa: F401
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
    torch.testing.assert_close(torch.ones(2) @ torch.ones(2), torch.tensor(2.0))


def _send(message: dict) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def serve(config: dict) -> None:
    """The loop: start a run per request line, report each run when it ends, kill runs at their wall limit."""
    running: dict[int, dict] = {}  # pidfd -> {"run_id", "pid", "deadline", "timed_out"}
    pending = b""
    while True:
        now = time.monotonic()
        deadlines = [run["deadline"] for run in running.values() if not run["timed_out"]]
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        ready, _, _ = select.select([0, *running], [], [], timeout)
        if 0 in ready:
            data = os.read(0, 65536)
            if not data:  # the host went away: so do the runs
                for run in running.values():
                    _kill_group(run["pid"])
                return
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                job = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    child(job, config, list(running))
                pidfd = os.pidfd_open(pid)
                running[pidfd] = {"run_id": job["run_id"], "pid": pid, "timed_out": False,
                                  "deadline": time.monotonic() + float(job["limits"]["wall_s"])}
        for pidfd in [fd for fd in ready if fd != 0]:
            run = running.pop(pidfd)
            os.close(pidfd)
            returncode = wait_code(run["pid"])
            _kill_group(run["pid"])  # stragglers of a run without its own PID namespace
            _send({"run_id": run["run_id"], "returncode": returncode, "timed_out": run["timed_out"]})
        now = time.monotonic()
        for run in running.values():
            if not run["timed_out"] and now >= run["deadline"]:
                run["timed_out"] = True
                _kill_group(run["pid"])


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def main() -> None:
    config = json.loads(sys.argv[1])
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    preload()
    _send({"ready": True, "pid": os.getpid()})
    serve(config)


if __name__ == "__main__":
    main()
