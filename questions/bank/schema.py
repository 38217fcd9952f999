"""Typed schema of one bank question (pydantic v2): fields, fixed vocabularies and the rules between fields."""
from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated, Literal, Optional

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator,
                      model_validator)
from pydantic_core import PydanticCustomError

from questions.bank.seeds import SEED_FILES
from questions.languages import LANGUAGES, check_language

# Fixed vocabularies. The bank file name is the topic: questions/bank/<topic>.yaml.
TOPICS: tuple[str, ...] = (
    "fundamentals", "routing", "capacity", "load-balancing", "expert-parallelism",
    "communication-memory", "training", "inference", "architectures", "code-reading",
)
QUESTION_TYPES: tuple[str, ...] = ("open", "choice", "code")
DIFFICULTIES: tuple[int, ...] = (1, 2, 3)
KEY_POINTS_RANGE = (3, 6)  # required for open and code questions
OPTIONS_RANGE = (3, 5)     # choice questions only
FOLLOW_UPS_MAX = 3

KEBAB_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9.+_-]*$")
# A text that still carries an importer placeholder or a damaged character must not pass as finished content.
TODO_RE = re.compile(r"^\s*TODO\b")
REPLACEMENT_CHAR = "\ufffd"
LIST_ITEM_RE = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])\s+")  # a Markdown list item's marker and its indent


def display_math_in_list_items(text: str) -> list[int]:
    """The lines (1-based) of `text` where `$$` stands inside a Markdown list item: on the item's line or on a line
    that continues it (indented deeper than its marker). Streamlit draws such math inline, so the bank avoids it."""
    found: list[int] = []
    item_indent: Optional[int] = None
    for number, line in enumerate(text.splitlines(), start=1):
        marker = LIST_ITEM_RE.match(line)
        if marker:
            item_indent = len(marker.group(1))
        elif line.strip() and item_indent is not None and len(line) - len(line.lstrip()) <= item_indent:
            item_indent = None  # a line back at the marker's indent ends the list
        if item_indent is not None and "$$" in line:
            found.append(number)
    return found


def _kebab_case(value: str, what: str) -> str:
    if not KEBAB_RE.match(value):
        raise ValueError(f"{what} ({value!r}) must be lowercase kebab-case (a-z, 0-9 and single hyphens)")
    return value


# A link to an exercise (questions/exercises/<slug>/) or a sandbox preset (sandbox/presets.py). The bank checks only
# the form: which ids exist is the other packages' business (tests/questions/bank/test_bank_links.py checks the bank).
LinkId = Annotated[str, AfterValidator(lambda value: _kebab_case(value, "link"))]


def _rule_error(field: str, message: str, **ctx) -> PydanticCustomError:
    """A cross-field rule violation; ctx["field"] tells the loader which YAML field (and line) it belongs to."""
    # Formatted here (pydantic's own templates know no !r); the text has no braces left for pydantic to fill.
    return PydanticCustomError("question_rule", message.format(**ctx), {"field": field, **ctx})


class _Strict(BaseModel):
    """Base: unknown keys are errors (a typo must not pass silently) and scalars are not coerced ("2" is no int)."""
    model_config = ConfigDict(extra="forbid", strict=True, frozen=False)


class LocalText(_Strict):
    """One text in both languages; Markdown, LaTeX with $...$."""
    zh: str
    en: str

    @field_validator("zh", "en")
    @classmethod
    def _finished_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if TODO_RE.match(value):
            raise ValueError("still a TODO placeholder (finish the text)")
        if REPLACEMENT_CHAR in value:
            raise ValueError("contains the replacement character \ufffd (text damaged on import; repair it)")
        if lines := display_math_in_list_items(value):
            raise ValueError(f"$$...$$ inside a list item (line {lines[0]} of the text) renders as inline math, not "
                             "display math; write $...$ there, or put the formula in its own paragraph after the list")
        return value

    def get(self, lang: str) -> str:
        check_language(lang)
        return self.zh if lang == "zh" else self.en


class Cues(_Strict):
    """Short phrases and synonyms per language whose presence in a typed answer shows a key point was made."""
    zh: list[str] = Field(min_length=1)
    en: list[str] = Field(min_length=1)

    @field_validator("zh", "en")
    @classmethod
    def _clean_phrases(cls, value: list[str]) -> list[str]:
        if any(not phrase.strip() for phrase in value):
            raise ValueError("a cue must not be empty")
        repeated = sorted({phrase for phrase in value if value.count(phrase) > 1})
        if repeated:
            raise ValueError(f"cues repeat: {', '.join(repeated)}")
        return value

    def get(self, lang: str) -> list[str]:
        check_language(lang)
        return self.zh if lang == "zh" else self.en


class KeyPoint(LocalText):
    """One point a good answer makes, in both languages, with the cues the answer matcher looks for."""
    cues: Optional[Cues] = None


class FollowUp(_Strict):
    """A question an interviewer asks next, with a short answer."""
    question: LocalText
    answer: LocalText


class Option(_Strict):
    """One answer option of a choice question; every option says why it is right or wrong."""
    text: LocalText
    correct: StrictBool
    explanation: LocalText


class Source(_Strict):
    """Where a question comes from: a seed document (with its question number) and/or a paper."""
    seed: Optional[Literal[SEED_FILES]] = None  # type: ignore[valid-type]
    paper: Optional[str] = None
    ref: Optional[str] = None
    url: Optional[str] = None

    @field_validator("paper", "ref")
    @classmethod
    def _not_blank(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        if value is not None and TODO_RE.match(value):
            raise ValueError("still a TODO placeholder (cite the real source)")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"url ({value!r}) must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _seed_or_paper(self) -> "Source":
        if self.seed is None and self.paper is None:
            raise _rule_error("", "a source needs `seed` (a seed file name) or `paper`")
        return self


class Question(_Strict):
    """One bank question. Field order is the order used in the YAML files."""
    id: str
    type: Literal[QUESTION_TYPES]  # type: ignore[valid-type]
    topic: Literal[TOPICS]  # type: ignore[valid-type]
    tags: list[str] = Field(min_length=1)
    difficulty: StrictInt = Field(ge=DIFFICULTIES[0], le=DIFFICULTIES[-1])  # 1 easy, 2 medium, 3 hard
    prompt: LocalText
    answer: LocalText
    key_points: Optional[list[KeyPoint]] = None
    pitfall: Optional[LocalText] = None
    follow_ups: list[FollowUp] = Field(default_factory=list, max_length=FOLLOW_UPS_MAX)
    options: Optional[list[Option]] = None
    # code questions: the exact stdout of the prompt's first ```python block (tests run it and find it in the answer)
    output: Optional[str] = None
    sources: list[Source] = Field(min_length=1)
    exercises: list[LinkId] = Field(default_factory=list)  # exercise slugs
    sandbox_presets: list[LinkId] = Field(default_factory=list)  # sandbox preset ids

    @field_validator("id")
    @classmethod
    def _kebab_id(cls, value: str) -> str:
        return _kebab_case(value, "id")

    @field_validator("tags")
    @classmethod
    def _clean_tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            if not TAG_RE.match(tag):
                raise ValueError(f"tag ({tag!r}) must be lowercase, e.g. 'common-misconception' "
                                 "(a-z, 0-9, '-', '.', '+', '_')")
        duplicates = sorted({tag for tag in value if value.count(tag) > 1})
        if duplicates:
            raise ValueError(f"tags repeat: {', '.join(duplicates)}")
        return value

    @model_validator(mode="after")
    def _rules_between_fields(self) -> "Question":
        if not self.id.startswith(self.topic + "-"):
            raise _rule_error("id", "id ({id!r}) must start with its topic ({prefix!r})",
                              id=self.id, prefix=self.topic + "-")
        low, high = KEY_POINTS_RANGE
        count = len(self.key_points or [])
        if self.type in ("open", "code") and not low <= count <= high:
            raise _rule_error("key_points", "{type} questions need {low}-{high} key_points (got {count})",
                              type=self.type, low=low, high=high, count=count)
        if self.type == "choice" and count > high:
            raise _rule_error("key_points", "at most {high} key_points (got {count})", high=high, count=count)
        if self.type != "choice" and self.options is not None:
            raise _rule_error("options", "options are only allowed on choice questions (type is {type!r})",
                              type=self.type)
        if self.type == "choice":
            low, high = OPTIONS_RANGE
            count = len(self.options or [])
            if not low <= count <= high:
                raise _rule_error("options", "choice questions need {low}-{high} options (got {count})",
                                  low=low, high=high, count=count)
            if not any(option.correct for option in self.options or []):
                raise _rule_error("options", "at least one option must have `correct: true`")
        if self.output is not None and self.type != "code":
            raise _rule_error("output", "output is only allowed on code questions (type is {type!r})", type=self.type)
        if self.output is not None and not self.output.strip():
            raise _rule_error("output", "output must not be empty (the stdout the prompt's code prints)")
        for field in ("exercises", "sandbox_presets"):
            values = getattr(self, field)
            if len(set(values)) != len(values):
                raise _rule_error(field, "{name} repeat an entry", name=field)
        return self

    # ---- helpers for pages -------------------------------------------------------------------------------------
    def text(self, field: str, lang: str) -> str:
        """The text of a bilingual field ("prompt", "answer", "pitfall") in one language; "" for a missing pitfall."""
        if field not in ("prompt", "answer", "pitfall"):
            raise ValueError(f"field ({field!r}) must be one of 'prompt', 'answer', 'pitfall'")
        value: Optional[LocalText] = getattr(self, field)
        return value.get(lang) if value is not None else ""

    def key_point_texts(self, lang: str) -> list[str]:
        return [point.get(lang) for point in self.key_points or []]

    def key_point_cues(self, lang: str) -> list[list[str]]:
        """Each key point's cues in `lang` ([] where a point has none: the matcher then uses the point's words)."""
        return [point.cues.get(lang) if point.cues is not None else [] for point in self.key_points or []]

    def correct_option_indices(self) -> list[int]:
        return [i for i, option in enumerate(self.options or []) if option.correct]

    @property
    def single_answer(self) -> bool:
        """A choice question with exactly one correct option (answered with one pick, not a set of them)."""
        return len(self.correct_option_indices()) == 1

    def seed_refs(self) -> list[tuple[str, Optional[str]]]:
        """(seed file name, ref) for every source citing a seed, e.g. ("001_af5af4a038612498.txt", "Q4")."""
        return [(source.seed, source.ref) for source in self.sources if source.seed is not None]

    @cached_property
    def search_blob(self) -> dict[str, str]:
        """Casefolded haystacks for the literal search: per language prompt + answer + tags."""
        tags = " ".join(self.tags)
        return {lang: "\n".join((self.prompt.get(lang), self.answer.get(lang), tags)).casefold() for lang in LANGUAGES}

