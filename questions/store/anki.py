"""The bank as an Anki-importable CSV: a Basic note per question, Markdown rendered to HTML, math for Anki's MathJax.

Questions are the bank's pydantic `Question`s (questions.bank.schema; the store layer reads them by attribute and does
not import the bank)."""
from __future__ import annotations

import csv
import html
import io
import re
from typing import Any, Callable, Iterable

import markdown

from questions.languages import check_language

ANKI_DECK = "MoE Interview Lab"
ANKI_APP_TAG = "moe-interview-lab"

_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$")
_LIST_ITEM = re.compile(r"^( *)(?:[-*+]|\d+[.)]) ")
# Letters and digits only, so Markdown leaves a placeholder alone wherever it stands.
_SLOT = "ankislot{}x"
_SLOT_RE = re.compile(r"(<p>)?ankislot(\d+)x(</p>)?")


def _normalise_lists(text: str) -> str:
    """Write CommonMark lists (as the app shows them) the way Python-Markdown reads them: a blank line before a list
    that follows a paragraph, and nested items indented by four spaces per level instead of by their parent's width."""
    lines: list[str] = []
    indents: list[int] = []  # the indentation of each open list level
    for line in text.split("\n"):
        item = _LIST_ITEM.match(line)
        if not item:
            if line.strip() and not line.startswith(" "):
                indents = []  # a paragraph at the margin ends the list
            lines.append(line)
            continue
        indent = len(item.group(1))
        if not indents and lines and lines[-1].strip():
            lines.append("")  # Python-Markdown starts a list only after a blank line
        while indents and indents[-1] > indent:
            indents.pop()
        if not indents or indents[-1] < indent:
            indents.append(indent)
        lines.append(" " * 4 * (len(indents) - 1) + line.lstrip(" "))
    return "\n".join(lines)


# What is set aside before Markdown runs, in this order, and the HTML that goes back in its place.
_SET_ASIDE: tuple[tuple[re.Pattern, Callable[[re.Match], str]], ...] = (
    (_FENCE, lambda m: f"<pre><code>{html.escape(m.group(1).rstrip(chr(10)))}</code></pre>"),
    (_CODE_SPAN, lambda m: f"<code>{html.escape(m.group(2).strip())}</code>"),
    (_DISPLAY_MATH, lambda m: rf"\[{html.escape(m.group(1), quote=False)}\]"),
    (_INLINE_MATH, lambda m: rf"\({html.escape(m.group(1), quote=False)}\)"),
)


class _Renderer:
    """Markdown -> HTML for Anki fields. Code and math are set aside first (Markdown would read `_` and `*` inside them
    as emphasis and drop the backslash of `\\(`), then put back: fences as <pre><code>, `$..$` / `$$..$$` as Anki's
    MathJax `\\(..\\)` / `\\[..\\]`. HTML written in the bank is shown as text, as in the app."""

    def __init__(self) -> None:
        self._markdown = markdown.Markdown(extensions=["sane_lists"])
        self._markdown.preprocessors.deregister("html_block")
        self._markdown.inlinePatterns.deregister("html")

    def block(self, text: str) -> str:
        """A whole answer: paragraphs, lists, code blocks."""
        slots: list[str] = []
        for pattern, to_html in _SET_ASIDE:
            text = pattern.sub(lambda match: _set_aside(slots, to_html(match)), text)
        rendered = self._markdown.reset().convert(_normalise_lists(text))
        return _SLOT_RE.sub(lambda match: _put_back(slots, match), rendered)

    def inline(self, text: str) -> str:
        """A one-paragraph text (a prompt, a key point) without the <p> around it."""
        rendered = self.block(text)
        if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
            return rendered[len("<p>"):-len("</p>")]
        return rendered


def _set_aside(slots: list[str], replacement: str) -> str:
    """A placeholder for `replacement`; a code block's stands in a paragraph of its own."""
    slots.append(replacement)
    slot = _SLOT.format(len(slots) - 1)
    return f"\n\n{slot}\n\n" if replacement.startswith("<pre>") else slot


def _put_back(slots: list[str], match: re.Match) -> str:
    replacement = slots[int(match.group(2))]
    if replacement.startswith("<pre>"):
        return replacement  # a code block is not a paragraph: drop the <p> Markdown put around its placeholder
    return f"{match.group(1) or ''}{replacement}{match.group(3) or ''}"


def _anki_tag(text: str) -> str:
    # Anki tags are separated by spaces.
    return re.sub(r"\s+", "_", str(text).strip())


def _tags(question: Any) -> str:
    """moe-interview-lab, topic::<topic>, difficulty::<n>, type::<type> and the question's own tags."""
    tags = [ANKI_APP_TAG, f"topic::{question.topic}", f"difficulty::{question.difficulty}", f"type::{question.type}"]
    tags += [_anki_tag(tag) for tag in question.tags if str(tag).strip()]
    return " ".join(dict.fromkeys(tags))


def _back(question: Any, lang: str, key_points_title: str, render: _Renderer) -> str:
    """The reference answer, then the key points as a list under `key_points_title`."""
    back = render.block(question.answer.get(lang))
    items = "".join(f"<li>{render.inline(point)}</li>" for point in question.key_point_texts(lang))
    if items:
        back += f"\n<p><b>{html.escape(key_points_title)}</b></p>\n<ul>{items}</ul>"
    return back


def anki_csv(questions: Iterable[Any], lang: str, key_points_title: str) -> str:
    """The bank as an Anki-importable CSV (File > Import): Basic notes, front = prompt, back = answer + key points.

    `questions` are the bank's `Question`s; the texts are taken in `lang`; `key_points_title` is the heading of the
    key points in that language (UI text, given by the caller: progress.anki_key_points).

    Header lines tell Anki the format: `#separator:Comma`, `#html:true` (fields are HTML rendered from the Markdown, so
    formatting shows and `<`, `&` in answers and code show literally), `#columns`, `#notetype:Basic`, `#deck`,
    `#tags column:3`. Every field is quoted (csv.QUOTE_ALL), so commas, quotes and newlines are safe.
    """
    check_language(lang)
    render = _Renderer()
    buffer = io.StringIO()
    buffer.write("#separator:Comma\n#html:true\n#notetype:Basic\n")
    buffer.write(f"#deck:{ANKI_DECK}\n#columns:Front,Back,Tags\n#tags column:3\n")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for question in questions:
        front = render.inline(question.prompt.get(lang))
        writer.writerow([front, _back(question, lang, key_points_title, render), _tags(question)])
    return buffer.getvalue()


def anki_file_name(lang: str) -> str:
    """The download name of the `lang` CSV: moe-interview-lab-anki-<lang>.csv."""
    return f"moe-interview-lab-anki-{lang}.csv"
