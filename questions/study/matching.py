"""Which key points a typed answer covers: cue phrases found in order, in one clause, with the same negation."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from math import ceil

from rapidfuzz import fuzz, process

from questions.bank.schema import Question
from questions.languages import check_language
from questions.study.answer_text import (
    STOP_WORDS, ZH_NEGATION_CHARS, ZH_STOP_WORDS, ZH_SYNONYMS, Text, normal_word, split_negation, tokenize)

FUZZY_MIN_SCORE = 85   # rapidfuzz ratio (0-100) for a typo ("gradiant"): words of 5+ letters with the same first letter
FUZZY_MIN_LENGTH = 5
PREFIX_MIN_LENGTH = 4  # "renorm" for "renormalization", "quant" for "quantization"
PREFIX_MIN_SHARE = 0.6  # of the longer word: "keep" is no abbreviation of "keeptopk", nor "drop" of "dropless"
WINDOW_SLACK = 4       # a cue of n words matches within n + WINDOW_SLACK tokens of the answer
NEGATION_REACH = 3     # a negation up to this many tokens before a cue's first word negates it
FALLBACK_SHARE = 0.6   # a key point without cues: this share of its content words (and at least 2) must appear
# Rubric verbs open a key point ("Explains that ...") but are not what a candidate says.
RUBRIC_WORDS = frozenset("write writ state explain give mention name define describe list note say compare show "
                         "写出 说明 解释 给出 提到 指出 定义 列出 比较 描述 至少".split())
_LATEX_GREEK = re.compile(r"\\(alpha|beta|gamma|epsilon|sigma|lambda)\b")
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+")


@dataclass(frozen=True, slots=True)
class PointMatch:
    """What the matcher found for one key point: covered or not, how well, and where in the typed text."""
    covered: bool
    score: float                          # 1.0 for a cue found word for word; lower for typos and abbreviations
    spans: tuple[tuple[int, int], ...]    # [start, end) characters of the typed answer that matched, sorted, disjoint
    cue: str | None = None                # the first cue that matched (None when the point's own words did)


@dataclass(frozen=True, slots=True)
class CuePart:
    text: str  # a normal English word or number, or Chinese characters without negation
    kind: str  # "word", "num" or "cjk"
    joined: bool = False  # written in parts ("top-k"): matched whole or with a typo, never by a prefix


@dataclass(frozen=True, slots=True)
class Cue:
    phrase: str
    parts: tuple[CuePart, ...]
    negated: bool  # the cue states a negation ("no gradient", "不可微"): the answer must negate too


@dataclass(frozen=True, slots=True)
class Found:
    """One occurrence of a cue part in the answer: tokens [first, last], characters [start, end), similarity."""
    first: int
    last: int
    start: int
    end: int
    similarity: float


@lru_cache(maxsize=8192)
def compile_cue(phrase: str) -> Cue:
    """A cue's content words in order (function words dropped, "top-k" one word) and whether it is negated."""
    text = tokenize(phrase)
    parts: list[CuePart] = []
    hyphenated = ""  # the raw characters of the Latin word being read, without its hyphens ("topk")
    negations = 0
    last_word = None  # the token that ended the last Latin part, while a hyphen may still extend that part
    for token in text.tokens:
        raw = text.folded[token.start:token.end]
        if token.negation:
            negations += sum(char in ZH_NEGATION_CHARS for char in raw) if token.kind == "cjk" else 1
            last_word = None
            if token.kind != "cjk":
                continue
        if token.kind == "cjk":
            parts += [CuePart(piece, "cjk") for piece in split_negation(raw) if piece not in ZH_STOP_WORDS]
            last_word = None
        elif last_word is not None and text.folded[last_word.end:token.start] == "-":  # "top-k", "z-loss": one word
            hyphenated += raw
            parts[-1] = CuePart(normal_word(hyphenated), "word", joined=True)
            last_word = token
        elif raw not in STOP_WORDS:
            hyphenated = raw
            parts.append(CuePart(token.norm, token.kind))
            last_word = token
        else:
            last_word = None
    return Cue(phrase, tuple(parts), negations % 2 == 1)


class AnswerIndex:
    """The typed answer's words, looked up exactly, by prefix (abbreviations) and fuzzily (typos); cached per part."""

    def __init__(self, text: Text):
        self.text = text
        self.words: dict[str, list[Found]] = {}  # single tokens
        for index, token in enumerate(text.tokens):
            if token.kind != "cjk" and not token.negation:
                self.words.setdefault(token.norm, []).append(Found(index, index, token.start, token.end, 1.0))
        self.joined: dict[str, list[Found]] = {}  # runs of tokens read as one word ("top-k", "all to all")
        for joined in text.joined:
            first, last = text.tokens[joined.first], text.tokens[joined.last]
            self.joined.setdefault(joined.norm, []).append(
                Found(joined.first, joined.last, first.start, last.end, 1.0))
        self.keys = list(self.words)
        self.prefixes: dict[str, list[str]] = {}
        for key in self.keys:
            if not key[:1].isdigit():
                for length in range(max(PREFIX_MIN_LENGTH, ceil(len(key) * PREFIX_MIN_SHARE)), len(key)):
                    self.prefixes.setdefault(key[:length], []).append(key)
        self._found: dict[CuePart, list[Found]] = {}

    def find(self, part: CuePart) -> list[Found]:
        if part not in self._found:
            self._found[part] = sorted(self._find_cjk(part.text) if part.kind == "cjk" else self._find_word(part),
                                       key=lambda found: found.start)
        return self._found[part]

    def _find_cjk(self, characters: str) -> list[Found]:
        found = []
        for word in ZH_SYNONYMS.get(characters, (characters,)):
            start = self.text.folded.find(word)
            while start >= 0:
                end = start + len(word)
                found.append(Found(self.text.token_at[start], self.text.token_at[end - 1], start, end, 1.0))
                start = self.text.folded.find(word, start + 1)
        return found

    def _find_word(self, part: CuePart) -> list[Found]:
        word = part.text
        found = list(self.words.get(word, ())) + list(self.joined.get(word, ()))
        similar: dict[str, float] = {}
        if part.kind == "word" and not part.joined and len(word) >= PREFIX_MIN_LENGTH:
            for key in self.prefixes.get(word, ()):  # the answer's word is longer ("renormalizing")
                similar.setdefault(key, 0.9)
            for length in range(max(PREFIX_MIN_LENGTH, ceil(len(word) * PREFIX_MIN_SHARE)), len(word)):
                if word[:length] in self.words:  # the answer abbreviates ("renorm")
                    similar.setdefault(word[:length], 0.9)
        if part.kind == "word" and len(word) >= FUZZY_MIN_LENGTH:
            for key, score, _ in process.extract(word, self.keys, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE,
                                                 limit=None):
                if key != word and len(key) >= FUZZY_MIN_LENGTH and key[0] == word[0]:
                    similar.setdefault(key, score / 100)
        return found + [Found(f.first, f.last, f.start, f.end, similarity) for key, similarity in similar.items()
                        for f in self.words[key]]


def _negations(text: Text, first: int, last: int) -> list[int]:
    """The negations of tokens [first, last]: in them or just before, in the same clause and pause."""
    tokens = text.tokens
    start = first
    while start > 0 and first - start < NEGATION_REACH and tokens[start - 1].clause == tokens[first].clause \
            and tokens[start - 1].pause == tokens[first].pause:
        start -= 1
    return [index for index in range(start, last + 1) if tokens[index].negation]


def find_cue(cue: Cue, index: AnswerIndex) -> list[Found] | None:
    """The cue's parts found in order, within a short window of one clause, negated as the cue is (the negations
    found with them, so they are marked too); None if the answer does not say it."""
    if not cue.parts:
        return None
    occurrences = [index.find(part) for part in cue.parts]
    if not all(occurrences):
        return None
    tokens = index.text.tokens
    for anchor in occurrences[0]:
        chain = [anchor]
        for found in occurrences[1:]:
            following = next((f for f in found if f.start >= chain[-1].end), None)
            if following is None:
                break
            chain.append(following)
        if len(chain) < len(cue.parts):
            break  # later anchors cannot do better: the parts after them run out sooner
        first, last = chain[0].first, max(found.last for found in chain)
        if last - first + 1 > len(cue.parts) + WINDOW_SLACK or tokens[first].clause != tokens[last].clause:
            continue
        negations = _negations(index.text, first, last)
        if (len(negations) % 2 == 1) == cue.negated:
            return chain + [Found(n, n, tokens[n].start, tokens[n].end, 1.0) for n in negations]
    return None


def _point_words(point: str) -> list[CuePart]:
    """A key point's own content words, for points without cues (LaTeX commands, rubric verbs, letters dropped)."""
    point = _LATEX_COMMAND.sub(" ", _LATEX_GREEK.sub(r" \1 ", point))
    parts = compile_cue(point).parts
    return [part for part in dict.fromkeys(parts) if part.text not in RUBRIC_WORDS and len(part.text) > 1]


def _match_point_words(point: str, index: AnswerIndex) -> PointMatch:
    words = _point_words(point)
    found = [index.find(word) for word in words]
    hits = [occurrences for occurrences in found if occurrences]
    needed = max(min(2, len(words)), ceil(FALLBACK_SHARE * len(words)))
    spans = sorted({(f.start, f.end) for occurrences in hits for f in occurrences})
    score = len(hits) / len(words) if words else 0.0
    return PointMatch(bool(words) and len(hits) >= needed, round(score, 3), tuple(_merged(spans)))


def _match_cues(cues: list[str], index: AnswerIndex) -> PointMatch:
    matched: list[tuple[str, list[Found]]] = []
    best_share = 0.0
    for phrase in cues:
        cue = compile_cue(phrase)
        chain = find_cue(cue, index)
        if chain is not None:
            matched.append((phrase, chain))
        elif cue.parts:  # an unmatched point scores below 0.5: half the share of its best cue's words found
            best_share = max(best_share, sum(bool(index.find(part)) for part in cue.parts) / len(cue.parts) * 0.5)
    if not matched:
        return PointMatch(False, round(best_share, 3), ())
    score = max(sum(found.similarity for found in chain) / len(chain) for _, chain in matched)  # negations count 1
    # a cue's words with what stands between them ("gradient goes through P"): the phrase that made the point
    spans = sorted({(min(found.start for found in chain), max(found.end for found in chain)) for _, chain in matched})
    return PointMatch(True, round(score, 3), tuple(_merged(spans)), matched[0][0])


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def match_answer(answer: str, key_points: list[str], cues: list[list[str]], lang: str) -> list[PointMatch]:
    """For each key point, whether `answer` covers it: by its cues when it has some, else by its own content words.

    A cue matches when its content words appear in the answer in the cue's order, in one clause, within a few words
    of each other, and negated exactly when the cue is ("no gradient" needs a negation, "gradient through P" must
    not have one). Words match after casefolding and stemming, by abbreviation and with small typos; Chinese is
    segmented by jieba and found as written, and English terms inside it are read as English. Spans are positions
    in `answer`.
    """
    check_language(lang)
    if len(cues) != len(key_points):
        raise ValueError(f"cues ({len(cues)} lists) must have one list per key point ({len(key_points)})")
    if not answer.strip():
        return [PointMatch(False, 0.0, ()) for _ in key_points]
    text = tokenize(answer)
    index = AnswerIndex(text)
    matches = [_match_cues(point_cues, index) if point_cues else _match_point_words(point, index)
               for point, point_cues in zip(key_points, cues)]
    return [PointMatch(m.covered, m.score, tuple(text.original_span(span) for span in m.spans), m.cue)
            for m in matches]


def match_question(question: Question, answer: str, lang: str) -> list[PointMatch]:
    """match_answer for a bank question in one language."""
    return match_answer(answer, question.key_point_texts(lang), question.key_point_cues(lang), lang)


def highlight_segments(answer: str, matches: list[PointMatch]) -> list[tuple[str, tuple[int, ...]]]:
    """The answer cut into pieces, each with the key points (indices) whose matched words it is part of; a blank
    between two pieces of the same points joins them ("mean softmax probability" is one piece)."""
    cuts = {0, len(answer)}
    for match in matches:
        for start, end in match.spans:
            cuts.update((start, end))
    bounds = sorted(cuts)
    pieces = [(answer[start:end], tuple(number for number, match in enumerate(matches)
                                        if any(s <= start and end <= e for s, e in match.spans)))
              for start, end in zip(bounds, bounds[1:])]
    for number in range(1, len(pieces) - 1):
        text, points = pieces[number]
        if not points and text.strip(" ") == "" and pieces[number - 1][1] and \
                pieces[number - 1][1] == pieces[number + 1][1]:
            pieces[number] = (text, pieces[number - 1][1])
    segments: list[tuple[str, tuple[int, ...]]] = []
    for text, points in pieces:
        if segments and segments[-1][1] == points:
            segments[-1] = (segments[-1][0] + text, points)
        else:
            segments.append((text, points))
    return segments
