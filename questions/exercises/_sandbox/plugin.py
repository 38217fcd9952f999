"""pytest plugin loaded inside the sandbox: writes one JSON line per event to $MOE_LAB_REPORT for the runner."""
import json
import os

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
        _reporter.write(event="result", nodeid=report.nodeid, when=report.when, outcome=report.outcome,
                        message=message, output=output[:_MAX_OUTPUT] + ("..." if len(output) > _MAX_OUTPUT else ""))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _reporter:
        _reporter.write(event="finish", exitstatus=int(exitstatus))
