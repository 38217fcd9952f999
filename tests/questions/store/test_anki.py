"""The Anki CSV export: header lines, Markdown rendered to HTML (bold, lists, code, math for MathJax), tags, and a file
the csv module reads back row for row."""
import csv
import io

import pytest

from questions.bank.loader import load_bank
from questions.languages import LANGUAGES
from questions.store.anki import anki_csv, anki_file_name
from questions.ui.i18n import t

from tests.helpers.bank import as_questions, choice_question, local_text, open_question
from tests.helpers.languages import UNKNOWN_LANGUAGE, UNKNOWN_LANGUAGE_ERROR

ROUTING_ANSWER = ('Logits can be negative, "sum" ~ 0, so x/sum(x) breaks; use $p_i = e^{x_i}$.\n\n'
                  "```python\nw = torch.softmax(x, -1)  # a < b\n```")
QUESTIONS = as_questions([
    open_question("routing-a", "routing", 2, "Why softmax, then top-k?", "为什么先 softmax 再 top-k？",
                  tags=["router", "softmax"], answer=local_text(ROUTING_ANSWER, "logits 可以为负。"),
                  key_points=[local_text("logits may be negative, so a, b < 0", "logits 可为负"),
                              local_text("renormalise the k weights", "重新归一化"),
                              local_text("softmax over the k logits", "对 k 个 logits 做 softmax")]),
    choice_question("routing-b", "routing", "Pick, one", "选择", tags=["router"]),
    open_question("capacity-a", "capacity", 3, "Capacity?", "容量？", answer=local_text("ceil(cf * k * T / E)", "向上取整")),
])
# The schema allows no space in a tag; the export still keeps such a tag whole (Anki splits tags at spaces).
QUESTIONS[2] = QUESTIONS[2].model_copy(update={"tags": ["capacity factor"]})


def export(questions, lang):
    """The CSV in `lang`, with the key points' heading the Progress page gives."""
    return anki_csv(questions, lang, t("progress.anki_key_points", lang))

MARKDOWN_ANSWER = (
    "**Flow** (token choice):\n"
    "1. logits $z = x W_g$, shape $[T, E]$;\n"
    "2. weights:\n"
    "   - Mixtral renormalises the *k* probabilities;\n"
    "   - Switch uses $p_i$ as is.\n\n"
    "$$\\mathcal{L}_{aux} = E \\sum_i f_i P_i$$\n\n"
    "Call `top_k(x, k=2)` or see <b>raw</b> & co:\n"
    "```python\nfor e in range(E):  # x_e * w_e\n    out += x_e\n```"
)


def _parse_anki(text):
    """(header lines, rows): Anki reads "#key:value" headers only before the first note, so a "#" line inside a
    quoted field (a Python comment in a code answer) is body text."""
    lines = text.splitlines(keepends=True)
    count = next((number for number, line in enumerate(lines) if not line.startswith("#")), len(lines))
    headers = [line.strip() for line in lines[:count]]
    body = "".join(lines[count:])
    return headers, list(csv.reader(io.StringIO(body)))


def test_anki_csv_parses_and_escapes():
    headers, rows = _parse_anki(export(QUESTIONS, "en"))
    assert headers[:2] == ["#separator:Comma", "#html:true"]
    assert "#tags column:3" in headers and "#columns:Front,Back,Tags" in headers
    assert "#notetype:Basic" in headers and "#deck:MoE Interview Lab" in headers
    assert len(rows) == 3 and all(len(row) == 3 for row in rows)
    front, back, tags = rows[0]
    assert front == "Why softmax, then top-k?"
    assert '"sum" ~ 0' in back and r"\(p_i = e^{x_i}\)" in back
    assert "<pre><code>w = torch.softmax(x, -1)  # a &lt; b</code></pre>" in back
    assert "<li>logits may be negative, so a, b &lt; 0</li>" in back and "<b>Key points</b>" in back
    assert tags.split() == ["moe-interview-lab", "topic::routing", "difficulty::2", "type::open", "router", "softmax"]
    assert rows[1][0] == "Pick, one" and "Key points" not in rows[1][1]
    assert "capacity_factor" in rows[2][2].split()
    assert anki_file_name("en") == "moe-interview-lab-anki-en.csv"


def test_anki_csv_chinese():
    headers, rows = _parse_anki(export(QUESTIONS[:1], "zh"))
    assert rows[0][0] == "为什么先 softmax 再 top-k？"
    assert "<b>要点</b>" in rows[0][1] and "<li>logits 可为负</li>" in rows[0][1]
    assert "topic::routing" in rows[0][2].split()
    with pytest.raises(ValueError, match=UNKNOWN_LANGUAGE_ERROR):
        anki_csv(QUESTIONS, UNKNOWN_LANGUAGE, "Key points")


def test_the_key_points_heading_is_the_callers_text_escaped():
    back = _parse_anki(anki_csv(QUESTIONS[:1], "en", "Points <to> check"))[1][0][1]
    assert "<p><b>Points &lt;to&gt; check</b></p>\n<ul><li>" in back


def test_markdown_becomes_html_and_math_becomes_mathjax():
    question = open_question("capacity-a", "capacity", 3, "Capacity?", "容量？",
                             answer=local_text(MARKDOWN_ANSWER, MARKDOWN_ANSWER),
                             key_points=[local_text("uses **fp32** for $p_i$", "x"), local_text("b", "y"),
                                         local_text("c", "z")])
    back = _parse_anki(export(as_questions([question]), "en"))[1][0][1]
    assert "<strong>Flow</strong>" in back and "**" not in back
    # The list right under a paragraph and the nested list indented by its parent's width are real lists.
    assert "<ol>\n<li>logits \\(z = x W_g\\), shape \\([T, E]\\);</li>" in back
    assert ("<ul>\n<li>Mixtral renormalises the <em>k</em> probabilities;</li>\n"
            "<li>Switch uses \\(p_i\\) as is.</li>") in back
    # Math keeps its underscores and backslashes (Markdown would read them as emphasis and escapes).
    assert "\\[\\mathcal{L}_{aux} = E \\sum_i f_i P_i\\]" in back
    assert "<code>top_k(x, k=2)</code>" in back
    assert "&lt;b&gt;raw&lt;/b&gt; &amp; co" in back  # raw HTML in the bank shows as text
    assert "<pre><code>for e in range(E):  # x_e * w_e\n    out += x_e</code></pre>" in back
    assert "<li>uses <strong>fp32</strong> for \\(p_i\\)</li>" in back


def test_tricky_fronts_read_back_unchanged():
    prompts = ['Commas, "quotes", and\nnewlines', "为什么，“引号”？", "a < b & c", "ends with a quote\""]
    questions = as_questions(choice_question(f"routing-q{index}", "routing", prompt, prompt)
                             for index, prompt in enumerate(prompts))
    rows = _parse_anki(export(questions, "en"))[1]
    assert [row[0] for row in rows] == [
        'Commas, "quotes", and\nnewlines', "为什么，“引号”？", "a &lt; b &amp; c", "ends with a quote\""]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_whole_bank_reads_back_one_row_per_question(lang):
    questions = load_bank().questions
    rows = _parse_anki(export(questions, lang))[1]
    assert len(rows) == len(questions)
    for question, (front, back, tags) in zip(questions, rows):
        assert tags.split()[:2] == ["moe-interview-lab", f"topic::{question.topic}"]
        assert front and back and "ankislot" not in front + back


def test_a_comment_line_inside_an_answer_stays_in_its_field():
    answer = "```python\n# a comment at column 0\nx = 1\n```"
    questions = as_questions([open_question("routing-q0", answer={"en": answer, "zh": answer})])
    headers, rows = _parse_anki(export(questions, "en"))
    assert len(rows) == 1 and "# a comment at column 0" in rows[0][1]
    assert all(header.count(":") >= 1 for header in headers)
