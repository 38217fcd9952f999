"""The browser tests' fixtures: the app on the fixture bank, and Chromium; every browser test skips (saying why) only
when /usr/bin/chromium is missing."""
import pytest

from tests.helpers.browser import CHROMIUM, chromium, running_app


def pytest_collection_modifyitems(items):
    skip = pytest.mark.skip(reason="Debian's Chromium (/usr/bin/chromium) is not installed; .ci/run installs it")
    for item in items:
        if not CHROMIUM.exists() and "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(skip)


@pytest.fixture
def server(tmp_path):
    """The app on the fixture bank with a private database: {"url", "db"}."""
    with running_app(tmp_path) as app:
        yield app


@pytest.fixture
def browser():
    with chromium() as launched:
        yield launched
