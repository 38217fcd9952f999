"""The exercise catalog: reads questions/exercises/<slug>/ folders (exercise.yaml, starter, tests, reference)."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

import moe_core  # lazy: a name's submodule (and torch) loads on first use
from questions.languages import LANGUAGES

EXERCISES_DIR = Path(__file__).resolve().parent
REQUIRED_FILES = ("exercise.yaml", "starter.py", "test_solution.py", "reference.py")


class ExerciseError(ValueError):
    """A malformed exercise folder; the message names the file and the field."""


@dataclass(frozen=True)
class Exercise:
    slug: str
    path: Path
    title: dict[str, str]
    prompt: dict[str, str]
    difficulty: int
    functions: tuple[str, ...]
    hints: tuple[dict[str, str], ...]
    related_questions: tuple[str, ...] = ()
    sandbox_presets: tuple[str, ...] = ()
    seed_failures: tuple[str, ...] = ()  # tests the seed's buggy code must fail (the reason it is wrong)
    sources: tuple[dict, ...] = field(default_factory=tuple)

    def text(self, name: str, lang: str) -> str:
        """A bilingual field ("title" or "prompt") in `lang`."""
        return _in_language(getattr(self, name), lang)

    def hint(self, index: int, lang: str) -> str:
        return _in_language(self.hints[index], lang)

    # The files are read once per process, like exercise.yaml (the catalog is cached): not on every page rerun.
    @cached_property
    def starter(self) -> str:
        return (self.path / "starter.py").read_text(encoding="utf-8")

    @cached_property
    def reference(self) -> str:
        return (self.path / "reference.py").read_text(encoding="utf-8")

    @cached_property
    def seed_buggy(self) -> str | None:
        path = self.path / "seed_buggy.py"
        return path.read_text(encoding="utf-8") if path.exists() else None

    @property
    def test_file(self) -> Path:
        return self.path / "test_solution.py"

    @cached_property
    def tests(self) -> str:
        return self.test_file.read_text(encoding="utf-8")


def _in_language(texts: dict[str, str], lang: str) -> str:
    """The text in `lang`, English when that language is missing."""
    return texts.get(lang) or texts["en"]


def _bilingual(data: dict, key: str, where: Path) -> dict[str, str]:
    value = data.get(key)
    if not isinstance(value, dict) or not all(isinstance(value.get(lang), str) and value[lang].strip()
                                              for lang in LANGUAGES):
        raise ExerciseError(f"{where}: {key}: must be a mapping with non-empty 'en' and 'zh' texts")
    return {lang: value[lang] for lang in LANGUAGES}


def load_exercise(path: Path) -> Exercise:
    """One exercise folder; raises ExerciseError naming the file and field that is wrong."""
    path = Path(path)
    for name in REQUIRED_FILES:
        if not (path / name).is_file():
            raise ExerciseError(f"{path / name}: missing (every exercise needs {', '.join(REQUIRED_FILES)})")
    meta_path = path / "exercise.yaml"
    try:
        data = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise ExerciseError(f"{meta_path}:{'' if line is None else line + 1}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ExerciseError(f"{meta_path}: must be a mapping")
    difficulty = data.get("difficulty")
    if difficulty not in (1, 2, 3):
        raise ExerciseError(f"{meta_path}: difficulty: must be 1, 2 or 3, got {difficulty!r}")
    functions = data.get("functions")
    if not isinstance(functions, list) or not functions:
        raise ExerciseError(f"{meta_path}: functions: must list the names the solution defines")
    hints = data.get("hints") or []
    if not isinstance(hints, list) or len(hints) < 2:
        raise ExerciseError(f"{meta_path}: hints: needs at least 2 progressive hints")
    hint_texts = tuple(_bilingual({"hint": hint}, "hint", meta_path) for hint in hints)
    return Exercise(
        slug=path.name, path=path,
        title=_bilingual(data, "title", meta_path), prompt=_bilingual(data, "prompt", meta_path),
        difficulty=difficulty, functions=tuple(functions), hints=hint_texts,
        related_questions=tuple(data.get("related_questions") or ()),
        sandbox_presets=tuple(data.get("sandbox_presets") or ()),
        seed_failures=tuple(data.get("seed_failures") or ()),
        sources=tuple(data.get("sources") or ()),
    )


@lru_cache(maxsize=None)
def _load_all(directory: str) -> tuple[Exercise, ...]:
    folders = sorted(p for p in Path(directory).iterdir() if p.is_dir() and (p / "exercise.yaml").exists())
    return tuple(load_exercise(p) for p in folders)


def exercises(directory: Path | None = None) -> list[Exercise]:
    """All exercises, by difficulty then slug."""
    return sorted(_load_all(str(directory or EXERCISES_DIR)), key=lambda e: (e.difficulty, e.slug))


def exercise_slugs(directory: Path | None = None) -> list[str]:
    """The slug of every exercise (what a bank question's `exercises:` may name), in catalog order."""
    return [exercise.slug for exercise in exercises(directory)]


def get_exercise(slug: str, directory: Path | None = None) -> Exercise:
    for exercise in exercises(directory):
        if exercise.slug == slug:
            return exercise
    known = ", ".join(exercise_slugs(directory))
    raise KeyError(f"unknown exercise {slug!r}; known: {known}")


def related_question_ids(exercise: Exercise, bank_questions=None) -> list[str]:
    """The exercise's own related_questions plus every bank question whose `exercises:` lists this slug.

    bank_questions: the bank's Question objects (questions.load_bank().questions).
    """
    ids = list(exercise.related_questions)
    ids += [q.id for q in bank_questions or () if exercise.slug in q.exercises and q.id not in ids]
    return ids


def moe_core_names(code: str) -> list[str]:
    """The moe_core names a reference adapter uses (`from moe_core import x` and `moe_core.x`), in order."""
    import ast

    names: list[str] = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module == "moe_core":
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "moe_core":
            names.append(node.attr)
    return list(dict.fromkeys(names))


def reference_sources(exercise: Exercise) -> list[tuple[str, str]]:
    """(title, code) pairs to show as the solution: the adapter, then the moe_core functions it calls."""

    sources = [(f"{exercise.slug}/reference.py", exercise.reference)]
    for name in moe_core_names(exercise.reference):
        obj = getattr(moe_core, name, None)
        if obj is not None and (inspect.isfunction(obj) or inspect.isclass(obj)):
            sources.append((f"moe_core.{name}", inspect.getsource(obj)))
    return sources
