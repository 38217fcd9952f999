"""What a run does inside the sandbox once limited: pytest with the reporting plugin, or a scratch cell.

`python entry.py REQUEST_JSON` (a cold run, after boot.py) or `main(request)` in a warm worker's forked run. The request
is {"mode": "tests", "pytest_args": [...]} or {"mode": "scratch", "cell": "..."}; both report JSON lines to
$MOE_LAB_REPORT (popped, so solution code does not see it by accident).
"""
import ast
import json
import linecache
import os
import sys
import traceback

MAX_VALUE = 2000  # characters of one value's repr
MAX_VALUES = 50  # values reported from one cell
USER_FILES = ("<input>", "solution.py")


def _report(path: str | None, **event) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(event) + "\n")


def user_traceback(exc: BaseException) -> str:
    """The traceback of `exc` keeping only frames of the cell and solution.py (with their true line numbers)."""
    frames = [traceback.FrameSummary(os.path.basename(frame.filename), frame.lineno, frame.name, line=frame.line)
              for frame in traceback.extract_tb(exc.__traceback__) if os.path.basename(frame.filename) in USER_FILES]
    lines = ["Traceback (most recent call last):\n"] + traceback.format_list(frames) if frames else []
    return "".join(lines + traceback.format_exception_only(type(exc), exc)).rstrip()


def _run_cell(cell: str, namespace: dict, values: list[dict]) -> None:
    """Execute the cell statement by statement; append the repr of every top-level expression that is not None."""
    linecache.cache["<input>"] = (len(cell), None, cell.splitlines(True), "<input>")  # source lines in tracebacks
    for node in ast.parse(cell, "<input>", "exec").body:
        if isinstance(node, ast.Expr):
            value = eval(compile(ast.Expression(node.value), "<input>", "eval"), namespace)
            if value is not None and len(values) < MAX_VALUES:
                text = repr(value)
                values.append({"line": node.lineno,
                               "value": text if len(text) <= MAX_VALUE else text[:MAX_VALUE] + " …"})
        else:
            exec(compile(ast.Module(body=[node], type_ignores=[]), "<input>", "exec"), namespace)


def run_scratch(cell: str, report: str | None) -> int:
    """Import the solution, run the cell with the solution's names in scope, report values or the error."""
    values, error = [], None
    try:
        import solution
        namespace = {"__name__": "__scratch__", **{k: v for k, v in vars(solution).items() if not k.startswith("__")}}
        _run_cell(cell, namespace, values)
    except SystemExit as exc:
        _report(report, event="early_exit", message=f"SystemExit({exc.code!r})\n" + user_traceback(exc))
        sys.stdout.flush()
        os._exit(3)
    except BaseException as exc:  # noqa: BLE001 - the user's error is the result
        error = user_traceback(exc)
    sys.stdout.flush()
    _report(report, event="scratch", values=values, error=error)
    _report(report, event="finish", exitstatus=0 if error is None else 1)
    return 0 if error is None else 1


def run_pytest(args: list[str]) -> int:
    import pytest
    return int(pytest.main(args))


def main(request: dict) -> int:
    report = os.environ.pop("MOE_LAB_REPORT", None) if request["mode"] == "scratch" else None
    if request["mode"] == "scratch":
        return run_scratch(request["cell"], report)
    return run_pytest(request["pytest_args"])


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
