"""The bank questions the sandbox links to: those naming the current preset first, then those on its topics."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

# the sandbox's topics -> the bank tags that belong to them
RELATED_TAGS = {"routing": {"router", "softmax", "top-k", "top-1", "top-2", "noisy-topk", "expert-choice"},
                "capacity": {"capacity", "token-dropping"},
                "balance": {"aux-loss", "load-balance", "load-balancing", "z-loss", "aux-loss-free", "dead-experts"},
                "parallel": {"all-to-all", "expert-parallelism", "expert-groups", "placement"}}
SANDBOX_TAGS = frozenset().union(*RELATED_TAGS.values())
TITLE_LIMIT = 90


def related_questions(questions: Sequence, preset_id: str | None, tags: Iterable[str] = SANDBOX_TAGS,
                      limit: int = 10) -> list:
    """Questions linked to the preset first, then those sharing a tag with `tags`, each group in bank order."""
    tags = set(tags)
    linked = [q for q in questions if preset_id and preset_id in (q.sandbox_presets or [])]
    tagged = [q for q in questions if q not in linked and tags & set(q.tags)]
    return (linked + tagged)[:limit]


def question_title(question, lang: str, limit: int = TITLE_LIMIT) -> str:
    """The prompt's first line in `lang` without Markdown bold and heading marks, cut to `limit` characters with …."""
    prompt = question.text("prompt", lang).strip()
    first = prompt.splitlines()[0] if prompt else ""
    first = first.replace("**", "").replace("#", "").strip()
    return (first[:limit] + "…") if len(first) > limit else first
