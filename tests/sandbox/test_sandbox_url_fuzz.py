"""Sandbox settings from the URL, fuzzed (hypothesis): whatever a link carries (unknown options, numbers out of
range, text where a number goes, repeated keys), the page renders without an exception and shows the title."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questions.ui.i18n import t
from questions.ui.routes import EXPERIMENT_PARAM, PRESET_PARAM, SANDBOX
from sandbox.settings import A_KEYS, B_KEYS, OPTION_KEYS, TRAIN_KEYS
from tests.helpers.apptest import app_test

KEYS = [*A_KEYS, *B_KEYS, *TRAIN_KEYS, *OPTION_KEYS, "sb.dropless", "sb.ab", "sb.ep_tokens", "sb.ep_ran",
        PRESET_PARAM, EXPERIMENT_PARAM, "calc.model"]
VALUES = st.one_of(
    st.sampled_from(["", "0", "-1", "1e9", "nan", "inf", "true", "false", "3.5", "top1", "../../etc/passwd",
                     "deepseek-v3", "expert_choice", "none", "aux", "<script>", "专家", "9" * 40]),
    st.integers(-10**6, 10**6).map(str), st.text(max_size=20))
LINKS = st.dictionaries(st.sampled_from(KEYS), VALUES | st.lists(VALUES, min_size=1, max_size=3), max_size=6)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(link=LINKS)
def test_any_link_renders_the_sandbox_without_an_exception(link):
    at = app_test(lang="en")
    at.run()
    for name, value in link.items():
        at.query_params[name] = value
    at.switch_page(SANDBOX.path)
    at.run()
    assert not at.exception, (link, [exception.value for exception in at.exception])
    assert at.title and at.title[0].value == t("sandbox.title", "en")
