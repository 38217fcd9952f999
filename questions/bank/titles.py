"""A bank question's title for links and lists: the first line of its prompt, plain and short."""
from __future__ import annotations

import re

TITLE_LIMIT = 90
MATH_DELIMITER_RE = re.compile(r"(?<!\\)\$")  # a `$` that opens or closes inline math; `\$` is a literal dollar


def clip(text: str, limit: int) -> str:
    """`text` on one line, cut to at most `limit` characters ending in … ; a cut never ends inside `$...$`, since a
    half formula renders as broken LaTeX (or as a stray `$` that swallows the rest of the line)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    kept = flat[:limit - 1]
    delimiters = [found.start() for found in MATH_DELIMITER_RE.finditer(kept)]
    if len(delimiters) % 2:  # the cut falls inside a formula: end before it opens
        kept = kept[:delimiters[-1]]
    return kept.rstrip() + "…"


def question_title(question, lang: str, limit: int = TITLE_LIMIT) -> str:
    """The prompt's first line in `lang` without Markdown bold and heading marks, cut to `limit` characters (`clip`)."""
    prompt = question.text("prompt", lang).strip()
    first = prompt.splitlines()[0] if prompt else ""
    return clip(first.replace("**", "").replace("#", "").strip(), limit)
