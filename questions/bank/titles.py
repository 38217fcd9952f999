"""A bank question's title for links and lists: the first line of its prompt, plain and short."""
from __future__ import annotations

TITLE_LIMIT = 90


def question_title(question, lang: str, limit: int = TITLE_LIMIT) -> str:
    """The prompt's first line in `lang` without Markdown bold and heading marks, cut to `limit` characters with …."""
    prompt = question.text("prompt", lang).strip()
    first = prompt.splitlines()[0] if prompt else ""
    first = first.replace("**", "").replace("#", "").strip()
    return (first[:limit] + "…") if len(first) > limit else first
