"""A real `streamlit run app.py` on a free port with its own bank and database, for browser tests and load runs."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from sandbox.parallel_run import free_port
from tests.helpers.paths import ROOT

STARTUP_SECONDS = 90


class ServerError(RuntimeError):
    """The app did not start (its log is in the message)."""


@dataclass(frozen=True)
class AppServer:
    url: str
    db: Path
    process: subprocess.Popen
    log: Path

    def rss_bytes(self) -> int:
        """The server process's resident memory (Linux /proc), in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise ServerError("no VmRSS in /proc status")


@contextmanager
def streamlit_app(folder: Path, bank: Optional[Path] = None, env: Optional[dict] = None) -> Iterator[AppServer]:
    """Start the app with its database (and log) in `folder` and the bank `bank` (default: the real bank); wait until
    it is healthy; always stop it."""
    folder.mkdir(parents=True, exist_ok=True)
    db_path, log_path, port = folder / "progress.sqlite3", folder / "streamlit.log", free_port()
    environment = {**os.environ, "MOE_LAB_DB": str(db_path), **(env or {})}
    if bank is not None:
        environment["MOE_LAB_BANK"] = str(bank)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port",
             str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(process, port, log_path)
        yield AppServer(f"http://127.0.0.1:{port}", db_path, process, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_healthy(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if process.poll() is not None:
            raise ServerError(f"streamlit exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise ServerError(f"streamlit not healthy after {STARTUP_SECONDS} s:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.3)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
