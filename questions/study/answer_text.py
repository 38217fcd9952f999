"""Typed answers and cue phrases as tokens: jieba for Chinese, light English stemming, numbers, negation, clauses."""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

# ---- vocabularies ------------------------------------------------------------------------------------------------
# Function words carry no point on their own: a cue's content is what is left without them.
STOP_WORDS = frozenset("""
a an the is are was were be been being am of to in on at by for with as it its it's this that these those and or
from into onto than then there their they them which who whom what when where how why i we you he she our your my me
us do does did done has have had can could will would shall should may might must also just very really quite
about if else any some such another get gets got getting make makes made gives give given giving
""".split())
ZH_STOP_WORDS = frozenset("""
的 了 是 在 和 与 及 或 也 就 都 把 被 对 从 将 会 这 那 个 之 其 所 为 以 中 上 等 使 让 用 时 里 即 着 过 地 得
一个 这个 那个 有 还 又 并 再 它 它们 我们 你 他 她 则 呢 吗 吧 啊 要 能 可以 可 来 去 到 给 于 由 向 跟 同 时为 就是
""".split())
NEGATORS = frozenset("""
not no never without cannot cant nor neither none nothing non lack lacks lacking
""".split())
ZH_NEGATION_CHARS = "不没无未非别勿"
# Words that hold a negation character but do not negate what follows ("very", "different", "future", ...).
ZH_NOT_NEGATING = frozenset("""
非常 不同 不断 不仅 无论 不少 不过 未来 差不多 无关 不久 不管 无穷 非线性
""".split())
# Words that end a clause: what follows is another claim, so a cue's words must not be gathered across them.
CLAUSE_WORDS = frozenset("but while whereas although though however so because since therefore hence thus".split())
ZH_CLAUSE_WORDS = frozenset("但 但是 而 而是 所以 因此 因为 然而 于是 从而 可是 不过".split())
# Abbreviations, spellings, irregular forms and domain synonyms a candidate types (casefolded), each mapped to the
# word it stands for here; both sides are stemmed the same way, so "seq" and "sequences" read alike.
SYNONYMS = {
    "grad": "gradient", "grads": "gradient", "prob": "probability", "probs": "probability",
    "seq": "sequence", "seqs": "sequence",
    "bwd": "backward", "fwd": "forward", "tok": "token", "toks": "token", "param": "parameter",
    "params": "parameter",
    "a2a": "alltoall", "all2all": "alltoall", "alltoalls": "alltoall",
    "float32": "fp32", "bfloat16": "bf16", "auxiliary": "aux",
    "backpropagation": "backprop", "backpropagate": "backprop", "renorm": "renormalize",
    "via": "through", "chosen": "choose", "chose": "choose", "picked": "pick",
    "zero": "0", "one": "1", "two": "2", "three": "3", "twice": "2x", "double": "2x",
    "half": "half", "halves": "half", "halved": "half", "halving": "half",
    "bias": "bias", "biases": "bias", "biased": "bias",
    "init": "initialize", "initialization": "initialize", "initialisation": "initialize",
    "average": "mean", "averages": "mean", "averaged": "mean", "averaging": "mean", "avg": "mean",
    "proportion": "fraction", "proportions": "fraction",
    "regardless": "independent", "irrespective": "independent", "independently": "independent",
    "tighter": "stricter", "flop": "compute", "flops": "compute", "computation": "compute",
    "computations": "compute", "computing": "compute",
    "discard": "drop", "discarded": "drop", "discards": "drop", "generation": "decoding",
    "testtime": "inference", "pciexpress": "pcie", "host": "cpu", "vram": "gpu", "ram": "memory",
    "α": "alpha", "γ": "gamma", "ε": "epsilon", "σ": "sum",
}
# Chinese words that say the same here: a cue word is also found as any other word of its group.
ZH_SYNONYM_GROUPS = (
    ("平均", "均值"), ("比例", "占比", "份额"), ("丢弃", "丢掉", "扔掉"), ("推理", "推断"), ("样本", "序列"),
    ("计算量", "算力", "计算"), ("参数量", "参数"), ("均匀", "均衡", "平衡"), ("专门化", "专业化", "特化", "分工"),
    ("约束", "限制"), ("更强", "更严", "更紧"), ("填充", "补零"), ("可微", "可导"), ("拷贝", "复制", "搬运"),
)
ZH_SYNONYMS = {word: group for group in ZH_SYNONYM_GROUPS for word in group}
_BRITISH = re.compile(r"(al|it|im|ar|il|ur)is(e|ed|es|ing|ation|ations)$")
_DOUBLE_END = re.compile(r"([b-df-hj-np-tv-z])\1$")

# ---- patterns ----------------------------------------------------------------------------------------------------
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(  # a number is cut from a unit typed after it ("10ms", "352MB"), in cues and answers alike
    rf"(?P<cjk>[{_CJK}]+)"
    r"|(?P<pow>10\^\{?(?P<exp>[-−]?\d+)\}?)"
    r"|(?P<num>\d+(?:\.\d+)?(?:e[-−+]?\d+)?)"
    rf"|(?P<word>[^\W_{_CJK}]+(?:['’][a-z]+)?)",
    re.IGNORECASE)
# A line break inside a paragraph is wrapping; a blank line or a new list item ends a sentence.
_SENTENCE_END = re.compile(r"[.;:!?。；：！？]|\n\s*\n|\n\s*[-*•]")
_PAUSE = re.compile(r"[,，、()（）\[\]]")
_JOINABLE_GAP = re.compile(r"[-_ /]?")  # what may separate the parts of "top-k", "all to all", "max/mean"
JOIN_MAX = 3  # "all-to-all" has three parts


@dataclass(slots=True)
class Token:
    """One word of a text: its normal form, its characters [start, end) in the text, its clause and its kind."""
    norm: str
    start: int
    end: int
    kind: str  # "cjk" (a jieba word), "word" (Latin letters/digits), "num" (a number)
    clause: int
    pause: int  # a counter bumped at every comma or bracket: negation does not reach back over one
    negation: bool = False


@dataclass(slots=True)
class Joined:
    """A word written in parts ("top-k", "all-to-all", "z loss") read as one: tokens [first, last] of the text."""
    norm: str
    first: int
    last: int


@dataclass(slots=True)
class Text:
    """A tokenised text: tokens in order, their joined forms, the casefolded text and each character's token."""
    folded: str
    tokens: list[Token]
    joined: list[Joined] = field(default_factory=list)
    token_at: list[int] = field(default_factory=list)  # per character of `folded`: the token index, or -1
    origin: list[int] | None = None  # per character of `folded`: its character in the text (when casefolding grew it)

    def original_span(self, span: tuple[int, int]) -> tuple[int, int]:
        """A [start, end) span of `folded` as a span of the original text."""
        if self.origin is None:
            return span
        start, end = span
        return self.origin[start], self.origin[end - 1] + 1


# ---- the Chinese segmenter ---------------------------------------------------------------------------------------
_jieba_lock = threading.Lock()
_jieba_seconds: list[float] = []


def segmenter():
    """jieba with its dictionary loaded (once per process; it announces itself on stderr, so its log is silenced)."""
    import jieba  # a large import with a dictionary to build: only when Chinese is first segmented

    with _jieba_lock:
        if not _jieba_seconds:
            jieba.setLogLevel(logging.ERROR)
            started = time.perf_counter()
            jieba.initialize()
            _jieba_seconds.append(time.perf_counter() - started)
    return jieba


def segmenter_load_seconds() -> float | None:
    """How long loading jieba's dictionary took in this process (None before Chinese was first segmented)."""
    return _jieba_seconds[0] if _jieba_seconds else None


# ---- words -------------------------------------------------------------------------------------------------------
def _stem(word: str) -> str:
    """A casefolded English word without its plural, -ing or -ed ending, British -ise spelt -ize, final e dropped."""
    if word.endswith("'s"):
        word = word[:-2]
    word = _BRITISH.sub(r"\1iz\2", word)
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith(("ies", "ied")) and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes", "oes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for ending in ("ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = _DOUBLE_END.sub(r"\1", word[:-len(ending)])
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


_STEMMED_SYNONYMS = {_stem(word): _stem(meaning) for word, meaning in SYNONYMS.items()}


@lru_cache(maxsize=65536)
def normal_word(word: str) -> str:
    """The normal form of an English word: casefolded, stemmed, abbreviations and synonyms read as what they mean."""
    word = word.casefold().replace("’", "'")
    if word in SYNONYMS:
        return _stem(SYNONYMS[word])
    stem = _stem(word)
    return _STEMMED_SYNONYMS.get(stem, stem)


def normal_number(text: str) -> str:
    """One spelling per value: "0.01", "1e-2" and "10^{-2}" all read "0.01"."""
    return f"{float(text.replace('−', '-')):g}"


def is_negation(token_text: str, kind: str) -> bool:
    """Whether a word negates the claim it stands in ("not", "no", "doesn't", "不", "没有", "无法", "不可")."""
    if kind == "cjk":
        return token_text not in ZH_NOT_NEGATING and any(char in ZH_NEGATION_CHARS for char in token_text)
    return token_text in NEGATORS or token_text.endswith(("n't", "n’t"))


def split_negation(token_text: str) -> list[str]:
    """A Chinese word cut at its negation characters ("不可微" -> ["可微"], "时不加" -> ["时", "加"])."""
    if token_text in ZH_NOT_NEGATING:
        return [token_text]
    return [piece for piece in re.split(f"[{ZH_NEGATION_CHARS}]", token_text) if piece]


def _cjk_words(run: str, offset: int):
    """jieba's words of a run of Chinese characters, as (word, start, end) in the whole text."""
    for word, start, end in segmenter().tokenize(run):
        yield word, offset + start, offset + end


def tokenize(text: str) -> Text:
    """The tokens of a text (Chinese through jieba), with clauses, negations and joined multi-part words."""
    folded, origin = _casefold(text)
    tokens: list[Token] = []
    clause = pause = 0
    position = 0
    for match in _TOKEN.finditer(folded):
        gap = folded[position:match.start()]
        clause += len(_SENTENCE_END.findall(gap))
        pause += len(_PAUSE.findall(gap))
        position = match.end()
        if match.group("cjk"):
            for word, start, end in _cjk_words(match.group("cjk"), match.start()):
                if word in ZH_CLAUSE_WORDS:
                    clause += 1
                tokens.append(Token(word, start, end, "cjk", clause, pause, is_negation(word, "cjk")))
            continue
        if match.group("pow"):
            norm, kind = normal_number("1e" + match.group("exp")), "num"
        elif match.group("num"):
            norm, kind = normal_number(match.group("num")), "num"
        else:
            raw = match.group("word")
            if raw in CLAUSE_WORDS:
                clause += 1
            norm, kind = normal_word(raw), "word"
            if raw.startswith("non") and len(raw) > 6 and raw != "nonetheless":  # "nondifferentiable": not + word
                tokens.append(Token("non", match.start(), match.start() + 3, kind, clause, pause, True))
                norm = normal_word(raw[3:])
            elif is_negation(raw, kind):
                tokens.append(Token(raw, match.start(), match.end(), kind, clause, pause, True))
                continue
        tokens.append(Token(norm, match.start(), match.end(), kind, clause, pause))
    return Text(folded, tokens, _joined_words(folded, tokens), _token_at(len(folded), tokens), origin)


def _casefold(text: str) -> tuple[str, list[int] | None]:
    """The casefolded text and, where casefolding changed its length ("ß" -> "ss"), each character's origin."""
    folded = text.casefold()
    if len(folded) == len(text):
        return folded, None
    pieces = [char.casefold() for char in text]
    return "".join(pieces), [number for number, piece in enumerate(pieces) for _ in piece]


def _joined_words(folded: str, tokens: list[Token]) -> list[Joined]:
    """Every run of 2-3 Latin tokens in one clause, separated by at most one of - _ / or a space, read as one word."""
    joined = []
    for first in range(len(tokens)):
        raw = folded[tokens[first].start:tokens[first].end]
        for last in range(first + 1, min(first + JOIN_MAX, len(tokens))):
            before, token = tokens[last - 1], tokens[last]
            if token.kind == "cjk" or before.kind == "cjk" or token.clause != before.clause or \
                    not _JOINABLE_GAP.fullmatch(folded[before.end:token.start]):
                break
            raw += folded[token.start:token.end]
            joined.append(Joined(normal_word(raw), first, last))
    return joined


def _token_at(length: int, tokens: list[Token]) -> list[int]:
    token_at = [-1] * length
    for index, token in enumerate(tokens):
        token_at[token.start:token.end] = [index] * (token.end - token.start)
    return token_at
