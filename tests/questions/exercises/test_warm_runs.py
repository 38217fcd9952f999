"""The warm worker and the run entry: one test, a scratch cell, plain-word tensor mismatches, four runs at once, a
worker that dies, and runs that cannot see each other's files (bubblewrap and limits only)."""
import os
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from questions.exercises import get_exercise, run
from questions.exercises.isolation import bwrap_path
from questions.exercises.runner import run_tests
from questions.exercises.warm import worker_for

ISOLATIONS = [
    pytest.param("bubblewrap", marks=pytest.mark.skipif(bwrap_path() is None,
                                                         reason="bwrap is not installed (Debian package bubblewrap)")),
    "limits-only",
]
TESTS = '''import solution
import torch


def test_go():
    assert solution.go() == 42


def test_scale():
    torch.testing.assert_close(solution.scale(torch.arange(6.0).reshape(2, 3)), torch.arange(6.0).reshape(2, 3) * 2)


def test_after():
    assert True
'''
RIGHT = "def go():\n    return 42\n\n\ndef scale(x):\n    return x * 2\n"


@pytest.fixture
def test_file(tmp_path):
    path = tmp_path / "test_solution.py"
    path.write_text(TESTS, encoding="utf-8")
    return path


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_one_test_runs_alone(test_file, isolation):
    result = run_tests("def go():\n    return 41\n", test_file, test="test_after", isolation=isolation)
    assert result["status"] == "pass" and [t["name"] for t in result["tests"]] == ["test_after"]
    failing = run_tests("def go():\n    return 41\n", test_file, test="test_go", isolation=isolation)
    assert failing["status"] == "fail" and [t["name"] for t in failing["tests"]] == ["test_go"]


def test_an_unknown_test_is_refused_with_the_names(test_file):
    with pytest.raises(ValueError, match=r"test \('test_nope'\) must be one of \['test_after', 'test_go'"):
        run_tests(RIGHT, test_file, test="test_nope")
    with pytest.raises(ValueError, match="at most one"):
        run_tests(RIGHT, test_file, test="test_go", scratch="1")


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_tensor_mismatch_is_told_in_plain_words(test_file, isolation):
    wrong_values = run_tests("def scale(x):\n    return x * 2 + (x == 4)\n", test_file, test="test_scale",
                             isolation=isolation)
    message = wrong_values["tests"][0]["message"]
    assert message.startswith("expected: a tensor of shape [2, 3], dtype torch.float32\n"
                              "actual:   a tensor of shape [2, 3], dtype torch.float32\n"
                              "1 of 6 entries differ; the first:\n  at (1, 1): expected 8.0, got 9.0\n"), message
    assert "Tensor-likes are not close" in message, "pytest's own message follows"
    wrong_shape = run_tests("def scale(x):\n    return (x * 2).T\n", test_file, test="test_scale",
                            isolation=isolation)
    assert "actual:   a tensor of shape [3, 2], dtype torch.float32\nThe shapes differ." in \
        wrong_shape["tests"][0]["message"]


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_scratch_cell_shows_values_output_and_errors_with_lines(test_file, isolation):
    cell = "print('hello')\nx = go()\nx + 1\nNone\nscale(torch.ones(2)) if False else 'ok'\n"
    result = run_tests(RIGHT, test_file, scratch="import torch\n" + cell, isolation=isolation)
    assert result["status"] == "pass" and result["output"] == "hello\n"
    assert result["scratch"]["values"] == [{"line": 4, "value": "43"}, {"line": 6, "value": "'ok'"}]
    broken = run_tests("def go():\n    x = 1\n    return x / 0\n", test_file, scratch="a = 1\ngo()\n",
                       isolation=isolation)
    assert broken["status"] == "error" and broken["verdict"] == "exception"
    assert 'File "<input>", line 2' in broken["message"] and 'File "solution.py", line 3' in broken["message"]
    assert broken["message"].endswith("ZeroDivisionError: division by zero")
    syntax = run_tests(RIGHT, test_file, scratch="go(\n", isolation=isolation)
    assert syntax["verdict"] == "syntax-error" and "<input>, line 1" in syntax["message"]


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_four_runs_at_once_all_return_their_own_result(test_file, isolation):
    codes = [RIGHT, "def go():\n    return 41\n\n\ndef scale(x):\n    return x * 2\n",
             RIGHT.replace("x * 2", "x * 3"), RIGHT]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda code: run_tests(code, test_file, isolation=isolation), codes))
    statuses = [[t["status"] for t in result["tests"]] for result in results]
    assert statuses == [["pass"] * 3, ["fail", "pass", "pass"], ["pass", "fail", "pass"], ["pass"] * 3]
    assert len({result["run_id"] for result in results}) == 4


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_a_worker_that_dies_is_restarted(test_file, isolation):
    worker = worker_for(isolation, sys.executable)
    assert run_tests(RIGHT, test_file, isolation=isolation)["status"] == "pass"
    restarts = worker.restarts
    os.killpg(worker.pid(), signal.SIGKILL)  # between runs
    assert run_tests(RIGHT, test_file, isolation=isolation)["status"] == "pass"
    assert worker.restarts == restarts + 1
    with ThreadPoolExecutor(max_workers=1) as pool:  # during a run: it is retried on a new worker
        pending = pool.submit(run_tests, "import time\ntime.sleep(1.5)\n" + RIGHT, test_file, isolation=isolation)
        time.sleep(0.7)
        os.killpg(worker.pid(), signal.SIGKILL)
        assert pending.result()["status"] == "pass"
    assert worker.restarts == restarts + 2


SECRET_WRITER = '''import os, time
def go():
    open("secret.txt", "w").write("SECRET-" + "A")
    open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "secret-tmp.txt"), "w").write("SECRET-" + "A")
    time.sleep(3)
    return 42
'''
SECRET_READER = '''import glob, os, time
def found():
    """Paths to the other run's files, by every road that might lead there."""
    time.sleep(1)
    hits = []
    for pattern in ("../../*/work/secret.txt", "../../*/*/secret.txt", "../*/secret.txt", "/proc/*/cwd/secret.txt",
                    "/proc/*/root/sandbox/runs/*/work/secret.txt", "/proc/*/root/tmp/secret-tmp.txt"):
        hits += glob.glob(pattern)
    for path in hits:
        try:
            open(path).read()
        except OSError:
            continue
        yield path
def go():
    leaked = list(found())
    assert not leaked, leaked
    return 42
'''


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_runs_never_see_each_others_files(test_file, isolation):
    with ThreadPoolExecutor(max_workers=2) as pool:
        writer = pool.submit(run_tests, SECRET_WRITER, test_file, test="test_go", isolation=isolation)
        time.sleep(0.3)
        reader = pool.submit(run_tests, SECRET_READER, test_file, test="test_go", isolation=isolation)
        assert writer.result()["status"] == "pass"
        result = reader.result()
    if isolation == "bubblewrap":
        assert result["status"] == "pass", result["tests"][0]["message"]
    else:  # documented: with limits only the other run's folder is hidden, but /tmp is shared
        message = result["tests"][0]["message"] or ""
        assert "secret.txt" not in message.replace("secret-tmp.txt", ""), message


def test_the_entry_runs_an_exercise_by_slug():
    exercise = get_exercise("z-loss")
    result = run("z-loss", exercise.starter)
    assert result["status"] == "fail" and result["verdict"] == "fail" and result["engine"] == "warm"
    first = result["tests"][0]["name"]
    single = run("z-loss", exercise.starter, first)
    assert [t["name"] for t in single["tests"]] == [first]
    with pytest.raises(KeyError, match="unknown exercise 'nope'"):
        run("nope", "")


@pytest.mark.parametrize("isolation", ISOLATIONS)
def test_the_worker_outlives_the_thread_that_started_it(test_file, isolation):
    """A web server runs each request on a thread that ends; bubblewrap's --die-with-parent follows that thread."""
    worker = worker_for(isolation, sys.executable)
    worker.stop()
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(run_tests, RIGHT, test_file, isolation=isolation).result()["status"] == "pass"
    time.sleep(0.5)
    assert worker.alive()
    restarts = worker.restarts
    assert run_tests(RIGHT, test_file, isolation=isolation)["status"] == "pass"
    assert worker.restarts == restarts, "the second run found the worker alive"
