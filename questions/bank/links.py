"""Links from the bank to other packages: every `exercises` / `sandbox_presets` entry that names nothing, reported as a
BankProblem at the line of the link. The bank does not know those ids; the caller passes them in."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import yaml

from .loader import BankLoadResult, BankProblem
from .nodes import compose, line_of

# What a link field must name, as its problem says.
LINK_TARGETS = {
    "exercises": "no exercise (a folder of questions/exercises/)",
    "sandbox_presets": "no sandbox preset (a key of sandbox/presets.py's PRESETS)",
}


def link_problems(result: BankLoadResult, exercise_slugs: Iterable[str],
                  preset_ids: Iterable[str]) -> list[BankProblem]:
    """One problem per link naming an exercise slug not in `exercise_slugs` or a preset not in `preset_ids`:
    "routing.yaml:42: exercises[1]: 'topk-routr' names no exercise (...)". Questions in `result.origins` are
    located in their file (line of the link); any other is reported at line 0 under its id."""
    known = {"exercises": set(exercise_slugs), "sandbox_presets": set(preset_ids)}
    nodes = _QuestionNodes()
    problems = []
    for question in result.questions:
        for field, ids in known.items():
            for index, link in enumerate(getattr(question, field)):
                if link in ids:
                    continue
                path, id_line = result.origins.get(question.id, (question.id, 0))
                item = nodes.find(path, id_line) if id_line else None
                line = line_of(item, (field, index)) if item is not None else id_line
                problems.append(BankProblem(path, line, f"{field}[{index}]", f"{link!r} names {LINK_TARGETS[field]}"))
    return problems


class _QuestionNodes:
    """The question mappings of bank files, composed again only for files that hold a broken link (rare), by file
    and line of the question's `id`."""

    def __init__(self) -> None:
        self._by_file: dict[str, dict[int, yaml.MappingNode]] = {}

    def find(self, path: str, id_line: int) -> Optional[yaml.MappingNode]:
        if path not in self._by_file:
            self._by_file[path] = _question_nodes(Path(path))
        return self._by_file[path].get(id_line)


def _question_nodes(path: Path) -> dict[int, yaml.MappingNode]:
    try:
        root = compose(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}  # the file changed since it loaded: the problems keep the line of the question's id
    items = root.value if isinstance(root, yaml.SequenceNode) else []
    return {line_of(item, ("id",)): item for item in items if isinstance(item, yaml.MappingNode)}
