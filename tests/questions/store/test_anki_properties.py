"""The Anki CSV re-reads to exactly the fronts and backs it was written from, for any text (hypothesis)."""
import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questions.store.anki import _back, _Renderer, anki_csv

from tests.helpers.bank import as_questions, open_question

HEADER_LINES = 6
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffd\x00"), min_size=1,
                max_size=80).filter(lambda text: text.strip() and not text.lstrip().startswith("TODO"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompts=st.lists(texts, min_size=1, max_size=4), answer=texts, point=texts)
def test_every_front_and_back_reads_back_exactly(prompts, answer, point):
    questions = as_questions(
        open_question(f"routing-q{number}", en=prompt, zh=prompt, answer={"en": answer, "zh": answer},
                      key_points=[{"en": point, "zh": point}] * 3)
        for number, prompt in enumerate(prompts))
    text = anki_csv(questions, "en", "Key points")
    rows = list(csv.reader(io.StringIO("\n".join(text.split("\n")[HEADER_LINES:]))))
    render = _Renderer()
    assert [row[:2] for row in rows] == [[render.inline(q.prompt.get("en")), _back(q, "en", "Key points", render)]
                                         for q in questions]
