"""Hostile solutions against the runner, under bubblewrap and with limits only, each in a fork of the warm worker and
in a cold process: each is contained with a verdict."""
import socket
import sys
import threading
import time

import pytest

from questions.exercises.isolation import RunLimits, bwrap_path, leftover_processes
from questions.exercises.runner import run_tests
from questions.exercises.warm import worker_for

ISOLATIONS = [
    pytest.param("bubblewrap", marks=pytest.mark.skipif(bwrap_path() is None,
                                                         reason="bwrap is not installed (Debian package bubblewrap)")),
    "limits-only",
]


@pytest.fixture(params=["warm", "cold"])
def engine(request):
    return request.param


@pytest.fixture(params=ISOLATIONS)
def mode(request, engine):
    """(isolation, engine): every hostile case runs in both isolation modes and both engines."""
    return request.param, engine
SMALL = RunLimits(cpu_s=4, wall_s=6, memory_bytes=768 * 2**20, file_bytes=2**20, output_bytes=16 * 1024)


@pytest.fixture
def test_file(tmp_path):
    """A tiny exercise without torch, so each run takes a fraction of a second."""
    path = tmp_path / "test_solution.py"
    path.write_text("import solution\n\n\ndef test_go():\n    assert solution.go() == 42\n\n\n"
                    "def test_after():\n    assert True\n", encoding="utf-8")
    return path


def strays(result, patience_s=3.0):
    """Processes the run left alive: by the run's id (cold), or anything under the warm worker but itself (warm).
    SIGKILL is asynchronous, so a run's processes get a moment to go."""
    deadline = time.monotonic() + patience_s
    while True:
        if result["engine"] == "cold":
            found = leftover_processes(result.get("run_id", "none"))
        else:
            found = worker_for(result["isolation"], sys.executable).strays()
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def run(code, test_file, mode, limits=SMALL, **options):
    isolation, engine = mode
    result = run_tests(code, test_file, isolation=isolation, engine=engine, limits=limits, **options)
    assert result["version"] == 2 and result["isolation"] == isolation and result["engine"] == engine
    if result["verdict"] != "syntax-error":
        assert not strays(result), "processes of the run are still alive"
    return result


def test_a_correct_solution_passes(test_file, mode):
    result = run("def go():\n    return 42\n", test_file, mode)
    assert result["status"] == "pass"
    assert [t["name"] for t in result["tests"]] == ["test_go", "test_after"]
    assert result["tests"][0]["test_code"].startswith("def test_go")
    assert (result["warning"] is None) == (mode[0] == "bubblewrap")


def test_endless_loop_times_out_and_the_group_is_killed(test_file, mode):
    result = run("import time\ndef go():\n    while True:\n        time.sleep(0.01)\n", test_file, mode,
                 RunLimits(cpu_s=4, wall_s=2, file_bytes=2**20))
    assert result["status"] == "error" and result["verdict"] == "timeout"
    assert "wall-clock limit of 2 s" in result["message"]
    assert result["tests"][0]["status"] == "error" and "Timed out" in result["tests"][0]["message"]
    assert result["tests"][1]["message"].startswith("not run")


def test_busy_loop_hits_the_cpu_limit(test_file, mode):
    result = run("def go():\n    while True:\n        pass\n", test_file, mode,
                 RunLimits(cpu_s=1, wall_s=10, file_bytes=2**20))
    assert result["status"] == "error" and result["verdict"] == "timeout"


def test_huge_allocation_gives_a_memory_verdict(test_file, mode):
    result = run("def go():\n    blob = bytearray(4 * 2**30)\n    return 42\n", test_file, mode)
    assert result["status"] == "fail" and result["verdict"] == "memory"
    assert result["tests"][0]["message"].startswith("Memory limit exceeded (768 MiB)")
    assert result["tests"][1]["status"] == "pass", "the run goes on after a MemoryError"


def test_fork_loop_is_refused(test_file, mode):
    result = run("import os\ndef go():\n    while True:\n        if os.fork() == 0:\n            os._exit(0)\n",
                 test_file, mode)
    assert result["status"] == "fail"
    assert "BlockingIOError" in result["tests"][0]["message"]


def test_forked_children_die_with_the_run(test_file, mode):
    # without the no-fork filter: a bounded set of sleeping children, then a hang; all must be gone afterwards
    code = ("import os, time\ndef go():\n    for _ in range(8):\n        if os.fork() == 0:\n"
            "            time.sleep(600)\n            os._exit(0)\n    time.sleep(600)\n")
    limits = RunLimits(cpu_s=4, wall_s=2, file_bytes=2**20, block_fork=False)
    result = run(code, test_file, mode, limits)
    assert result["verdict"] == "timeout"


def test_output_flood_is_cut_with_a_verdict(test_file, mode):
    result = run("import sys\ndef go():\n    while True:\n        sys.stdout.write('x' * 4096)\n", test_file, mode)
    assert result["status"] == "error" and result["verdict"] == "output-limit"
    assert len(result["output"]) <= SMALL.output_bytes + 100
    assert all(len(t["output"] or "") <= 503 for t in result["tests"])


def test_writing_outside_the_work_dir(test_file, mode, tmp_path):
    target = tmp_path / "outside" / "pwned.txt"
    target.parent.mkdir()
    code = f"def go():\n    open({str(target)!r}, 'w').write('x')\n    return 42\n"
    result = run(code, test_file, mode)
    if mode[0] == "bubblewrap":
        assert result["tests"][0]["status"] == "fail" and not target.exists()
        usr = run("def go():\n    open('/usr/pwned', 'w')\n    return 42\n", test_file, mode)
        assert "Read-only file system" in usr["tests"][0]["message"] or "Permission" in usr["tests"][0]["message"]
    else:  # documented: limits-only does not protect the file system; the warning says so
        assert result["status"] == "pass" and target.exists()
        assert "read and write your files" in result["warning"]


def test_reading_the_progress_database(test_file, mode, tmp_path, monkeypatch):
    db = tmp_path / "private" / "progress.sqlite3"
    db.parent.mkdir()
    db.write_text("SECRET", encoding="utf-8")
    monkeypatch.setenv("MOE_LAB_DB", str(db))
    code = ("import os\ndef go():\n    path = os.environ.get('MOE_LAB_DB') or " + repr(str(db)) + "\n"
            "    assert os.environ.get('MOE_LAB_DB') is None, 'the environment leaked MOE_LAB_DB'\n"
            "    return 42 if open(path).read() == 'SECRET' else 0\n")
    result = run(code, test_file, mode)
    if mode[0] == "bubblewrap":
        assert result["tests"][0]["status"] == "fail"
        assert "FileNotFoundError" in result["tests"][0]["message"]
    else:  # documented: the environment is cleared, but a known path stays readable
        assert result["tests"][0]["status"] == "pass"
        assert "progress database" in result["warning"]


def test_network_connection(test_file, mode):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    threading.Thread(target=lambda: server.accept(), daemon=True).start()
    code = f"import socket\ndef go():\n    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n    return 42\n"
    try:
        result = run(code, test_file, mode)
    finally:
        server.close()
    if mode[0] == "bubblewrap":
        assert result["tests"][0]["status"] == "fail"
        assert "ConnectionRefusedError" in result["tests"][0]["message"] or "OSError" in result["tests"][0]["message"]
    else:  # documented: limits-only does not isolate the network
        assert result["tests"][0]["status"] == "pass"
        assert "network" in result["warning"]


@pytest.mark.parametrize("code", ["import os\nos._exit(0)\n", "import sys\nsys.exit(0)\n",
                                  "import os\ndef go():\n    os._exit(0)\n"])
def test_early_exit_is_never_a_pass(test_file, mode, code):
    result = run(code, test_file, mode)
    assert result["status"] == "error" and result["verdict"] == "early-exit"
    assert "never a pass" in result["message"]


def test_sys_exit_inside_a_test_fails_that_test(test_file, mode):
    result = run("import sys\ndef go():\n    sys.exit(0)\n", test_file, mode)
    assert result["status"] == "fail" and "SystemExit" in result["tests"][0]["message"]


def test_syntax_and_import_errors_are_named(test_file, mode):
    syntax = run("def go(:\n    return 42\n", test_file, mode)
    assert syntax["status"] == "error" and syntax["verdict"] == "syntax-error"
    assert "line 1" in syntax["message"]
    missing = run("import no_such_module\n", test_file, mode)
    assert missing["status"] == "error" and missing["verdict"] == "import-error"
    assert "No module named 'no_such_module'" in missing["message"]
    assert missing["tests"] == []
