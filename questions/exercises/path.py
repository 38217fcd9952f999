"""The exercise path: every exercise from first to last with the bank topic it drills, and the next one to solve."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PathStep:
    slug: str    # an exercise folder, questions/exercises/<slug>/
    topic: str   # the bank topic it drills, questions/bank/<topic>.yaml


# Routing and balance on one device first, then capacity and dispatch, the whole layer and its variants, and
# expert parallelism last; inside a theme the easier exercise comes first. questions/exercises/README.md lists it.
PATH: tuple[PathStep, ...] = (
    PathStep("topk-router", "routing"),
    PathStep("switch-aux-loss", "load-balancing"),
    PathStep("z-loss", "training"),
    PathStep("expert-groups", "expert-parallelism"),
    PathStep("capacity-dispatch", "capacity"),
    PathStep("capacity-probs", "capacity"),
    PathStep("permute-unpermute", "code-reading"),
    PathStep("fix-simple-moe", "code-reading"),
    PathStep("moe-layer-forward", "fundamentals"),
    PathStep("shared-experts", "architectures"),
    PathStep("model-size", "fundamentals"),
    PathStep("noisy-topk", "routing"),
    PathStep("expert-choice", "routing"),
    PathStep("sequence-aux-loss", "load-balancing"),
    PathStep("aux-free-bias", "load-balancing"),
    PathStep("group-limited-routing", "routing"),
    PathStep("sinkhorn-routing", "routing"),
    PathStep("mixtral-checkpoint", "inference"),
    PathStep("a2a-splits", "expert-parallelism"),
    PathStep("ep-dispatch-combine", "expert-parallelism"),
)


def path_slugs() -> list[str]:
    """The exercise slugs in path order."""
    return [step.slug for step in PATH]


def path_step(slug: str) -> PathStep:
    """The step of exercise `slug`; ValueError for a slug that is not on the path."""
    for step in PATH:
        if step.slug == slug:
            return step
    raise ValueError(f"slug ({slug!r}) must be one of the path's exercises: {', '.join(path_slugs())}")


def next_exercise(solved_slugs: Iterable[str]) -> PathStep | None:
    """The first step of the path whose exercise is not in `solved_slugs`; None once every exercise is solved.

    Slugs that are not on the path (an exercise removed since it was solved) are ignored.
    """
    solved = set(solved_slugs)
    return next((step for step in PATH if step.slug not in solved), None)
