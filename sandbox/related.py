"""The bank questions the sandbox links to: those naming the current preset first, then those on its topics."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

# the sandbox's topics -> the bank tags that belong to them
RELATED_TAGS = {"routing": {"router", "softmax", "top-k", "top-1", "top-2", "noisy-topk", "expert-choice"},
                "capacity": {"capacity", "token-dropping"},
                "balance": {"aux-loss", "load-balance", "load-balancing", "z-loss", "aux-loss-free", "dead-experts"},
                "parallel": {"all-to-all", "expert-parallelism", "expert-groups", "placement"}}
SANDBOX_TAGS = frozenset().union(*RELATED_TAGS.values())


def related_questions(questions: Sequence, preset_id: str | None, tags: Iterable[str] = SANDBOX_TAGS,
                      limit: int = 10) -> list:
    """Questions linked to the preset first, then those sharing a tag with `tags`, each group in bank order."""
    tags = set(tags)
    linked = [q for q in questions if preset_id and preset_id in (q.sandbox_presets or [])]
    tagged = [q for q in questions if q not in linked and tags & set(q.tags)]
    return (linked + tagged)[:limit]
