"""pytest plugin loaded inside the sandbox: writes one JSON line per event to $MOE_LAB_REPORT for the runner, and
puts a failed tensor comparison in plain words (expected vs actual shape, dtype and first differing entries)."""
import json
import os
import sys

import pytest

_MAX_MESSAGE = 4000
_MAX_OUTPUT = 500


class _Reporter:
    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8", buffering=1)  # line-buffered: survives a later kill

    def write(self, **event) -> None:
        self.file.write(json.dumps(event) + "\n")
        self.file.flush()


_reporter = None


def pytest_configure(config):
    global _reporter
    path = os.environ.pop("MOE_LAB_REPORT", None)  # popped so solution code does not see it by accident
    if path:
        _reporter = _Reporter(path)


def pytest_sessionstart(session):
    """Import the solution once before collection so that a sys.exit() at import time is named, not an INTERNALERROR."""
    import traceback

    try:
        __import__("solution")
    except SystemExit as exc:
        if _reporter:
            _reporter.write(event="early_exit", message=f"SystemExit({exc.code!r})\n" + traceback.format_exc(limit=-3))
        os._exit(3)
    except BaseException:  # noqa: BLE001 - pytest imports it again during collection and reports the error itself
        pass


def pytest_collectreport(report):
    if _reporter and report.failed:
        _reporter.write(event="collect_error", nodeid=report.nodeid, message=str(report.longreprtext)[-_MAX_MESSAGE:])


def pytest_collection_finish(session):
    if _reporter:
        _reporter.write(event="collected", nodeids=[item.nodeid for item in session.items])


def pytest_runtest_logstart(nodeid, location):
    if _reporter:
        _reporter.write(event="start", nodeid=nodeid)


def _compared_values(excinfo):
    """(actual, expected) of the innermost torch.testing.assert_close in the failure's traceback, else None."""
    found, tb = None, excinfo.tb
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "assert_close" and "testing" in code.co_filename:
            found = (tb.tb_frame.f_locals.get("actual"), tb.tb_frame.f_locals.get("expected"))
        tb = tb.tb_next
    return found


def _entry(tensor, index) -> str:
    return repr(tensor[index].item())


def describe_tensor_mismatch(actual, expected, limit: int = 5) -> str | None:
    """Plain words for two tensors (or equal-length sequences of tensors) that differ; None for other values."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)) and len(actual) == len(expected):
        for position, (one, other) in enumerate(zip(actual, expected)):
            text = describe_tensor_mismatch(one, other, limit)
            if text:
                return f"Item {position} of your result:\n{text}"
        return None
    if not isinstance(expected, torch.Tensor):
        return None
    lines = [f"expected: a tensor of shape {list(expected.shape)}, dtype {expected.dtype}"]
    if not isinstance(actual, torch.Tensor):
        return "\n".join(lines + [f"actual:   {type(actual).__name__} {actual!r:.200}"])
    lines.append(f"actual:   a tensor of shape {list(actual.shape)}, dtype {actual.dtype}")
    if actual.shape != expected.shape:
        return "\n".join(lines + ["The shapes differ."])
    if actual.dtype != expected.dtype:
        lines.append("The dtypes differ.")
    same = torch.isclose(actual.detach().cpu().double(), expected.detach().cpu().double(), rtol=1.3e-6, atol=1e-5,
                         equal_nan=True)
    wrong = (~same).nonzero().tolist()
    if wrong:
        lines.append(f"{len(wrong)} of {same.numel()} entries differ; the first:")
        lines += [f"  at {tuple(index)}: expected {_entry(expected, tuple(index))}, got {_entry(actual, tuple(index))}"
                  for index in wrong[:limit]]
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and report.failed:
        try:
            values = _compared_values(call.excinfo)
            report.plain_words = describe_tensor_mismatch(*values) if values else None
        except Exception:  # noqa: BLE001 - the plain words are a courtesy; pytest's message stays
            report.plain_words = None


def pytest_runtest_logreport(report):
    if not _reporter:
        return
    if report.when == "call" or report.failed or report.skipped:
        output = (report.capstdout or "") + (report.capstderr or "")
        message = None
        if report.failed or report.skipped:
            message = str(report.longreprtext)
            if len(message) > _MAX_MESSAGE:  # keep the end: the assertion and the line that failed
                message = "...\n" + message[-_MAX_MESSAGE:]
            plain = getattr(report, "plain_words", None)
            if plain:
                message = f"{plain}\n\n{message}"
        _reporter.write(event="result", nodeid=report.nodeid, when=report.when, outcome=report.outcome,
                        message=message, output=output[:_MAX_OUTPUT] + ("..." if len(output) > _MAX_OUTPUT else ""))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _reporter:
        _reporter.write(event="finish", exitstatus=int(exitstatus))
