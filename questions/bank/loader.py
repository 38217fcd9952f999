"""Load the YAML question bank: every problem reported with file, line and field; the good questions still load."""
from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence, Union

import yaml
from pydantic import BaseModel, ValidationError

from questions.languages import LANGUAGES, check_language
from .cache import cache_entry, code_fingerprint, default_cache_dir, read_entry, write_entry
from .nodes import BankYAMLLoader, DuplicateKey, construct, line_of
from .schema import TOPICS, Question

BANK_DIR = Path(__file__).resolve().parent
PathLike = Union[str, Path]


@dataclass(frozen=True)
class BankProblem:
    """One thing wrong in a bank file; str() is "path:line: field: message" (line 1-based, 0 when unknown)."""
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


@dataclass
class BankLoadResult:
    """The questions that loaded (bank order: file name, then position) and the problems found on the way; origins
    maps each question id to (file, line of its `id`)."""
    questions: list[Question] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_id(self) -> dict[str, Question]:
        return {question.id: question for question in self.questions}


def _field_path(loc: Sequence[Any]) -> str:
    """("options", 2, "explanation", "zh") -> "options[2].explanation.zh"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "question"


_TYPE_NAMES = {
    "string_type": "a string", "int_type": "an integer", "bool_type": "true or false", "list_type": "a list",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "dict_type": "a mapping",
}


def _describe(value: Any) -> str:
    kind = {str: "string", int: "integer", bool: "boolean", float: "number", list: "list", dict: "mapping",
            type(None): "null"}.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} {shown[:40] + '...' if len(shown) > 40 else shown}" if kind not in ("list", "mapping") else kind


def _error_message(error: dict[str, Any], loc: Sequence[Any], known_fields: Sequence[str]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        close = difflib.get_close_matches(name, known_fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(known_fields)}"
        return f"unknown field {name!r}{hint}"
    if kind in _TYPE_NAMES:
        return f"wrong type: expected {_TYPE_NAMES[kind]}, got {_describe(error.get('input'))}"
    if kind == "literal_error":
        return f"{error['msg']} (got {error.get('input')!r})"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def _model_in(annotation: Any) -> Optional[type[BaseModel]]:
    """The pydantic model an annotation holds, looking through Optional, list and Annotated: LocalText for
    Optional[list[LocalText]], None for str or a Literal."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_model_in, typing.get_args(annotation))), None)


def _known_fields_at(loc: Sequence[Any]) -> Sequence[str]:
    """Field names allowed at the mapping holding loc[-1], for 'did you mean' hints: read from the schema's models
    along the location (list indices step into the list's items)."""
    model: Optional[type[BaseModel]] = Question
    for part in loc[:-1]:
        if isinstance(part, str):
            field_info = model.model_fields.get(part) if model is not None else None
            model = _model_in(field_info.annotation) if field_info is not None else None
    return tuple(model.model_fields) if model is not None else ()


def _validation_problems(path: str, node: yaml.Node, exc: ValidationError) -> list[BankProblem]:
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        rule_field = (error.get("ctx") or {}).get("field")
        if rule_field:  # a rule between fields, raised at model level: point at the field it is about
            loc = loc + (rule_field,)
        message = _error_message(error, loc, _known_fields_at(loc))
        problems.append(BankProblem(path, line_of(node, loc), _field_path(loc), message))
    return problems


# ---- files --------------------------------------------------------------------------------------------------------
def _decode(raw: bytes, shown: str) -> tuple[Optional[str], Optional[BankProblem]]:
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, BankProblem(
            shown, line, "file",
            f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} (line {line}, column {column}); "
            "save the file as UTF-8")


@dataclass
class _FileResult:
    """What one file yields on its own: (question, line of its `id`) pairs and the problems inside the file."""
    questions: list[tuple[Question, int]] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)
    data: list[dict[str, Any]] = field(default_factory=list)  # the raw mappings of the questions, for the cache


def _parse_file(path: Path, raw: bytes) -> _FileResult:
    shown = str(path)
    out = _FileResult()
    text, problem = _decode(raw, shown)
    if problem is not None:
        out.problems.append(problem)
        return out
    assert text is not None
    stem = path.stem
    if stem not in TOPICS:
        out.problems.append(BankProblem(
            shown, 1, "file", f"file name {stem!r} is not a topic; a bank file is <topic>.yaml with topic one of "
                              f"{', '.join(TOPICS)}"))
        return out
    loader = BankYAMLLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 0
            detail = "; ".join(part for part in (exc.context, exc.problem) if part)
            out.problems.append(BankProblem(shown, line, "yaml", f"YAML syntax error: {detail}"))
            return out
        except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a NUL, a control character)
            # exc.position counts bytes in the C reader and characters in the Python one: find the character instead
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            line = text.count("\n", 0, max(text.find(chr(code)), 0)) + 1
            out.problems.append(BankProblem(
                shown, line, "yaml", f"YAML error: character {code:#06x} is not allowed in YAML; remove it"))
            return out
        except yaml.YAMLError as exc:
            out.problems.append(BankProblem(shown, 0, "yaml", f"YAML error: {exc}"))
            return out
        if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):
            out.problems.append(BankProblem(shown, 1, "file", "file is empty; expected a YAML list of questions"))
            return out
        if not isinstance(root, yaml.SequenceNode):
            kind = "mapping" if isinstance(root, yaml.MappingNode) else "scalar"
            out.problems.append(BankProblem(
                shown, root.start_mark.line + 1, "file",
                f"top level must be a list of questions (\"- id: ...\"), got a {kind}"))
            return out
        if not root.value:
            out.problems.append(BankProblem(shown, 1, "file", "file is empty (an empty list); add questions"))
            return out
        for index, item in enumerate(root.value):
            _parse_question(shown, stem, index, item, loader, out)
    finally:
        loader.dispose()
    return out


def _parse_question(shown: str, stem: str, index: int, item: yaml.Node, loader: Any, out: _FileResult) -> None:
    line = item.start_mark.line + 1
    if not isinstance(item, yaml.MappingNode):
        out.problems.append(BankProblem(
            shown, line, f"[{index}]", "each list item must be a question mapping (id: ..., type: ...)"))
        return
    try:
        data = construct(item, loader)
    except DuplicateKey as exc:
        out.problems.append(BankProblem(
            shown, exc.line, exc.key,
            f"key {exc.key!r} appears twice in one question (first on line {exc.first_line})"))
        return
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        out.problems.append(BankProblem(shown, mark.line + 1 if mark else line, "yaml", str(exc)))
        return
    try:
        question = Question.model_validate(data)
    except ValidationError as exc:
        out.problems.extend(_validation_problems(shown, item, exc))
        return
    if question.topic != stem:
        out.problems.append(BankProblem(
            shown, line_of(item, ("topic",)), "topic",
            f"topic {question.topic!r} does not match the file name {stem + '.yaml'!r}"))
        return
    out.questions.append((question, line_of(item, ("id",))))
    out.data.append(data)


_DEFAULT = object()  # load_bank's cache_dir when not given: default_cache_dir()


def _load_file(path: Path, cache_dir: Optional[Path], fingerprint: Optional[bytes]) -> _FileResult:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _FileResult(problems=[BankProblem(str(path), 0, "file", f"cannot read: {exc.strerror or exc}")])
    entry = None
    if cache_dir is not None and fingerprint is not None:
        entry = cache_entry(cache_dir, path, raw, fingerprint)
        cached = read_entry(entry) if entry.exists() else None
        if cached is not None:
            return _FileResult(questions=cached)
    parsed = _parse_file(path, raw)
    if entry is not None and not parsed.problems:
        write_entry(entry, [id_line for _question, id_line in parsed.questions], parsed.data)
    return parsed


def bank_files(paths: Iterable[PathLike]) -> list[Path]:
    """The YAML files named by paths: files as given, directories expanded to their *.yaml / *.yml (sorted)."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        else:
            files.append(path)
    return files


def load_bank(path: Union[PathLike, Iterable[PathLike], None] = None, *,
              cache_dir: Union[PathLike, None, object] = _DEFAULT) -> BankLoadResult:
    """Load the bank from a directory (default questions/bank/), one file, or several files / directories.
    Never raises for bad content: each problem is in result.problems and every good question is in result.questions.
    cache_dir: where parsed files are cached (default: default_cache_dir()); None disables the cache."""
    if path is None:
        paths: list[PathLike] = [BANK_DIR]
    elif isinstance(path, (str, Path)):
        paths = [path]
    else:
        paths = list(path)
    cache = default_cache_dir() if cache_dir is _DEFAULT else (Path(cache_dir) if cache_dir is not None else None)
    fingerprint = code_fingerprint() if cache is not None else None
    result = BankLoadResult()
    for entry in paths:
        if not Path(entry).exists():
            result.problems.append(BankProblem(str(entry), 0, "file", "no such file or directory"))
    for file in bank_files(p for p in paths if Path(p).exists()):
        parsed = _load_file(file, cache, fingerprint)
        result.problems.extend(parsed.problems)
        shown = str(file)
        for question, id_line in parsed.questions:
            if question.id in result.origins:
                first_path, first_line = result.origins[question.id]
                result.problems.append(BankProblem(
                    shown, id_line, "id",
                    f"duplicate id {question.id!r}: already defined at {first_path}:{first_line}"))
                continue
            result.origins[question.id] = (shown, id_line)
            result.questions.append(question)
    return result


# ---- filtering for pages ------------------------------------------------------------------------------------------
def filter_questions(questions: Iterable[Question], topics: Optional[Iterable[str]] = None,
                     tags: Optional[Iterable[str]] = None, difficulties: Optional[Iterable[int]] = None,
                     search: str = "", lang: Optional[str] = None,
                     types: Optional[Iterable[str]] = None) -> list[Question]:
    """Questions matching every given criterion (None or empty = no constraint; within one criterion any value
    matches). `search` is a literal, case-insensitive substring of prompt, answer or tags: in `lang` only when
    given, else in both languages."""
    topic_set = set(topics or ())
    tag_set = set(tags or ())
    difficulty_set = set(difficulties or ())
    type_set = set(types or ())
    needle = search.strip().casefold()
    langs = (check_language(lang),) if lang is not None else LANGUAGES
    selected = []
    for question in questions:
        if topic_set and question.topic not in topic_set:
            continue
        if type_set and question.type not in type_set:
            continue
        if difficulty_set and question.difficulty not in difficulty_set:
            continue
        if tag_set and tag_set.isdisjoint(question.tags):
            continue
        if needle:
            blob = question.search_blob
            if not any(needle in blob[one] for one in langs):
                continue
        selected.append(question)
    return selected
