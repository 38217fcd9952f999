"""A study group at once: N Chromium sessions against one `streamlit run app.py`, each in its own profile, practising
cards with typed answers, taking a quiz and running an exercise, some reloading mid-card. Then it checks that no
session showed an exception, every grade is in the database exactly once and in its own profile, and the server's
memory stayed within 1.5x of its memory after one session; it prints p50/p95 rerun latency per page.

    .venv/bin/python -m tests.load.study_group --sessions 20 --cards 20
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import TimeoutError as PlaywrightTimeout, async_playwright

from questions.store import Store
from questions.ui.i18n import t
from questions.ui.routes import DEFAULT_PAGE, EXERCISES, PRACTICE, QUIZ, PageRoute
from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, READY
from tests.helpers.server import AppServer, streamlit_app

EXCEPTION = "[data-testid='stException']"
ANSWER_BOX = "[class*='st-key-practice_answer_']"
SHOW = ".st-key-practice_show button"
RATE = ".st-key-practice_rate_{rating} button"
STEP_MS = 180_000  # 20 sessions share 2 cores: a step may wait long, but it must finish
POLL_MS = 1_000
LOST_CLICK_S = 30  # an idle page without the action's result for this long: the click missed (under load a click
#                    can wait >10 s for its rerun to start, and the page looks idle meanwhile)
MEMORY_LIMIT = 1.5


@dataclass
class SessionLog:
    """What one simulated user did and saw."""
    profile: str
    graded: list[tuple[str, int, str]] = field(default_factory=list)  # (question id, rating, typed answer)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    exceptions: list[str] = field(default_factory=list)
    quizzes: int = 0
    exercise_runs: int = 0
    repeated_actions: int = 0  # clicks that missed and were made again (_timed)


@dataclass
class GroupResult:
    sessions: list[SessionLog]
    rss_after_one: int
    rss_after_all: int
    problems: list[str]
    repeated_actions: int = 0  # over every session, the warm-up included

    def latency_table(self) -> list[tuple[str, int, float, float]]:
        """(page, reruns, p50 ms, p95 ms) over every session."""
        merged: dict[str, list[float]] = defaultdict(list)
        for session in self.sessions:
            for page_name, values in session.latencies.items():
                merged[page_name].extend(values)
        rows = []
        for page_name, values in sorted(merged.items()):
            ordered = sorted(values)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            rows.append((page_name, len(values), 1000 * statistics.median(ordered), 1000 * p95))
        return rows


def page_url(server: AppServer, route: PageRoute, profile: str) -> str:
    """The URL a user opens: the default page lives at "/" (Streamlit serves no other path for it)."""
    path = "" if route == DEFAULT_PAGE else route.url_path
    return f"{server.url}/{path}?lang=en&profile={profile}"


async def _timed(page, log: SessionLog, page_name: str, action, done, state: str = "visible",
                 saved=None) -> None:
    """Run a user action and wait for its visible result (`done`: a selector in `state`, or an async function of a
    timeout in ms that returns once the result is there) and the end of the rerun; record the latency.

    A click that lands while the page redraws can miss its button (the page then sits idle without the result): after
    LOST_CLICK_S of that, the action is repeated once, as a user would, and counted. An action that writes passes
    `saved` (() -> bool, read from the database): once the server saved it, it is not repeated. A page still running
    is waited for up to STEP_MS."""
    start = time.perf_counter()
    await action()
    idle_since, repeated = None, False
    while True:
        try:
            await (done(POLL_MS) if callable(done) else page.wait_for_selector(done, state=state, timeout=POLL_MS))
            break
        except PlaywrightTimeout:
            pass
        now = time.perf_counter()
        if now - start > STEP_MS / 1000:
            raise TimeoutError(f"{page_name}: {done.__doc__ if callable(done) else done} not {state} after "
                               f"{STEP_MS / 1000:.0f} s "
                               f"({'idle' if idle_since else 'still running'})")
        idle = await page.query_selector(READY) is not None
        idle_since = (idle_since or now) if idle else None
        if idle_since and now - idle_since > LOST_CLICK_S and not repeated:
            if saved is not None and saved():  # the server has it, the page has not caught up: wait on
                idle_since = None
                continue
            repeated, idle_since = True, None
            log.repeated_actions += 1
            await action()
    await page.wait_for_selector(READY, timeout=STEP_MS)
    log.latencies[page_name].append(time.perf_counter() - start)
    log.exceptions += [await element.inner_text() for element in await page.query_selector_all(EXCEPTION)]


async def _current_question(page) -> str:
    classes = await page.eval_on_selector(ANSWER_BOX, "element => [...element.classList].join(' ')")
    return next(name for name in classes.split() if name.startswith("st-key-practice_answer_")).removeprefix(
        "st-key-practice_answer_")


async def _practise(page, server: AppServer, log: SessionLog, cards: int, reload_at: int | None) -> None:
    await _timed(page, log, "practice", lambda: page.goto(page_url(server, PRACTICE, log.profile)),
                 ANSWER_BOX)
    for number in range(cards):
        question_id = await _current_question(page)
        answer = f"{log.profile} answer {number}: top-k routing with a balance loss"
        await page.fill(f"{ANSWER_BOX} textarea", answer)
        if number == reload_at:  # the user reloads mid-card: the typed text is lost, the profile is not
            await _timed(page, log, "practice", page.reload, ANSWER_BOX)
            question_id = await _current_question(page)
            await page.fill(f"{ANSWER_BOX} textarea", answer)
        await _timed(page, log, "practice", lambda: page.click(SHOW), RATE.format(rating=3))
        rating = 1 + (number + len(log.profile)) % 4
        await _timed(page, log, "practice", lambda: page.click(RATE.format(rating=rating)), RATE.format(rating=3),
                     state="detached", saved=lambda: saved_count(server.db, log.profile, "grades") > len(log.graded))
        log.graded.append((question_id, rating, answer))
        if not await page.query_selector(ANSWER_BOX):  # nothing left in the queue
            break


async def _quiz(page, server: AppServer, log: SessionLog) -> None:
    await _timed(page, log, "quiz", lambda: page.goto(page_url(server, QUIZ, log.profile)),
                 ".st-key-quiz_start button")
    await _timed(page, log, "quiz", lambda: page.click(".st-key-quiz_start button"),
                 "[data-testid='stFormSubmitButton'] button")
    await page.locator("[data-testid='stRadio']").first.locator("label").first.click()
    await _timed(page, log, "quiz", lambda: page.click("[data-testid='stFormSubmitButton'] button"),
                 ".st-key-quiz_new button")
    log.quizzes += 1


async def _exercise(page, server: AppServer, log: SessionLog) -> None:
    run_button = page.get_by_role("button", name=t("exercises.run", "en"))
    start = time.perf_counter()
    await page.goto(page_url(server, EXERCISES, log.profile))
    await run_button.wait_for(timeout=STEP_MS)
    await page.wait_for_selector(READY, timeout=STEP_MS)
    log.latencies["exercises"].append(time.perf_counter() - start)
    await page.frame_locator("iframe").first.locator(".ace_content").wait_for(timeout=STEP_MS)  # the layout settled
    before = await page.locator("[data-testid='stAlert']").count()

    async def verdict(timeout_ms: int) -> None:
        """the verdict (an alert)"""
        await page.wait_for_function(
            "count => document.querySelectorAll(\"[data-testid='stAlert']\").length > count", arg=before,
            timeout=timeout_ms)
    await _timed(page, log, "exercises", run_button.click, verdict,
                 saved=lambda: saved_count(server.db, log.profile, "runs") > log.exercise_runs)
    log.exercise_runs += 1


async def _session(browser, server: AppServer, log: SessionLog, cards: int, reload_at: int | None) -> None:
    context = await browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    try:
        await _practise(page, server, log, cards, reload_at)
        await _quiz(page, server, log)
        await _exercise(page, server, log)
    except Exception as error:  # a step that never finished is a failure of the run, reported with the profile
        log.exceptions.append(f"{type(error).__name__}: {error}".splitlines()[0])
    finally:
        await context.close()


def saved_count(db: Path, profile: str, kind: str) -> int:
    """How many grades ("grades") or exercise runs ("runs") the database holds for `profile` (read only when a click
    may have missed: opening the store checks the file)."""
    store = Store(db)
    try:
        return len(store.reviews.logs(profile) if kind == "grades" else store.attempts.list(profile))
    finally:
        store.close()


def check_database(db: Path, sessions: list[SessionLog]) -> list[str]:
    """Every grade of every session is in the database exactly once, in its own profile; quizzes and runs saved."""
    problems = []
    store = Store(db)
    try:
        for session in sessions:
            logs = [log for log in store.reviews.logs(session.profile) if log["source"] == "practice"]
            saved = [(log["question_id"], log["rating"], log["answer_text"]) for log in logs]
            if saved != session.graded:
                problems.append(f"{session.profile}: {len(session.graded)} grades given, {len(saved)} saved; "
                                f"first difference: {next((pair for pair in zip(session.graded, saved) if pair[0] != pair[1]), None)}")
            if len(store.quizzes.results(session.profile)) != session.quizzes:
                problems.append(f"{session.profile}: {session.quizzes} quizzes taken, "
                                f"{len(store.quizzes.results(session.profile))} saved")
            if len(store.attempts.list(session.profile)) != session.exercise_runs:
                problems.append(f"{session.profile}: {session.exercise_runs} exercise runs, "
                                f"{len(store.attempts.list(session.profile))} saved")
        names = {session.profile for session in sessions}
        for profile in store.profiles.names():  # a session's grade in any profile but its own, "default" included
            for log in store.reviews.logs(profile):
                owner = (log["answer_text"] or "").split(" ", 1)[0]
                if owner in names and owner != profile:
                    problems.append(f"{profile}: holds a grade of {owner} ({log['question_id']})")
    finally:
        store.close()
    return problems


async def run_group(server: AppServer, sessions: int, cards: int) -> GroupResult:
    """One warm-up session alone (its memory is the baseline), then `sessions` at once."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            first = SessionLog("warmup")
            await _session(browser, server, first, cards, reload_at=None)
            rss_after_one = server.rss_bytes()
            logs = [SessionLog(f"user-{number:02d}") for number in range(sessions)]
            await asyncio.gather(*(
                _session(browser, server, log, cards, reload_at=cards // 2 if number % 3 == 0 else None)
                for number, log in enumerate(logs)))
            rss_after_all = server.rss_bytes()
        finally:
            await browser.close()
    everyone = [first, *logs]
    problems = [f"{log.profile}: {text}" for log in everyone for text in log.exceptions]
    problems += check_database(server.db, everyone)
    if rss_after_all > MEMORY_LIMIT * rss_after_one:
        problems.append(f"server memory grew from {rss_after_one / 2**20:.0f} MiB after one session to "
                        f"{rss_after_all / 2**20:.0f} MiB (over {MEMORY_LIMIT}x)")
    return GroupResult(logs, rss_after_one, rss_after_all, problems, sum(log.repeated_actions for log in everyone))


def report(result: GroupResult, seconds: float) -> str:
    lines = [f"{len(result.sessions)} sessions at once, {sum(len(s.graded) for s in result.sessions)} grades, "
             f"{sum(s.quizzes for s in result.sessions)} quizzes, {sum(s.exercise_runs for s in result.sessions)} "
             f"exercise runs in {seconds:.0f} s; {result.repeated_actions} clicks missed and "
             f"made again",
             f"server memory: {result.rss_after_one / 2**20:.0f} MiB after one session, "
             f"{result.rss_after_all / 2**20:.0f} MiB after all ({result.rss_after_all / result.rss_after_one:.2f}x)",
             f"{'page':<10} {'reruns':>7} {'p50 ms':>8} {'p95 ms':>8}"]
    lines += [f"{name:<10} {count:>7} {p50:>8.0f} {p95:>8.0f}" for name, count, p50, p95 in result.latency_table()]
    lines += [f"PROBLEM: {problem}" for problem in result.problems] or ["no problems"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--cards", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, streamlit_app(Path(folder)) as server:
        start = time.perf_counter()
        result = asyncio.run(run_group(server, args.sessions, args.cards))
        print(report(result, time.perf_counter() - start))
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
