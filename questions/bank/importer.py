"""Turn Markdown interview notes (like the seeds) into bank YAML skeletons; detect and repair mojibake on the way."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import yaml

from .schema import REPLACEMENT_CHAR, SEED_FILES, TOPICS

TODO_TRANSLATE = "TODO: translate"
EXCERPT_CHARS = 60


# ---- mojibake: UTF-8 bytes that were shown as cp1252 (or its Turkish sibling cp1254) and saved again as UTF-8 -------
def _single_byte_table() -> dict[str, int]:
    """Character -> the byte it displays in cp1252 / cp1254 / latin-1. The codecs agree where they overlap, so one
    table undoes all three. Bytes a code page leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d, and 0x8e, 0x9e in
    cp1254) have no character: a converter drops them, and the UTF-8 characters they belonged to are damaged."""
    table: dict[str, int] = {}
    for byte in range(256):
        for codec in ("cp1252", "cp1254", "latin-1"):
            try:
                table.setdefault(bytes([byte]).decode(codec), byte)
            except UnicodeDecodeError:
                pass
    return table


_DISPLAYED_BYTE = _single_byte_table()


def _continuations_needed(lead: int) -> int:
    """How many continuation bytes a UTF-8 lead byte announces; -1 when the byte cannot start a character."""
    if lead < 0x80:
        return 0
    if 0xC2 <= lead <= 0xDF:
        return 1
    if 0xE0 <= lead <= 0xEF:
        return 2
    if 0xF0 <= lead <= 0xF4:
        return 3
    return -1


def decode_utf8_tolerant(data: bytes) -> tuple[str, int, int]:
    """Decode UTF-8 where some continuation bytes may be missing. Returns (text, multi-byte characters decoded,
    characters damaged); each damaged character becomes U+FFFD so it is visible, never guessed."""
    out: list[str] = []
    decoded = damaged = 0
    i, size = 0, len(data)
    while i < size:
        byte = data[i]
        if byte < 0x80:
            out.append(chr(byte))
            i += 1
            continue
        need = _continuations_needed(byte)
        j = i + 1
        if need > 0:
            while j < size and j - i - 1 < need and 0x80 <= data[j] <= 0xBF:
                j += 1
            if j - i - 1 == need:
                try:
                    out.append(data[i:j].decode("utf-8"))
                    decoded += 1
                    i = j
                    continue
                except UnicodeDecodeError:
                    pass
        else:  # a stray continuation byte (or an impossible lead): swallow the run as one damaged character
            while j < size and 0x80 <= data[j] <= 0xBF:
                j += 1
        out.append(REPLACEMENT_CHAR)
        damaged += 1
        i = j
    return "".join(out), decoded, damaged


@dataclass
class DamagedLine:
    """A source line with characters that could not be recovered (shown as U+FFFD in `excerpt`)."""
    line: int
    damaged_chars: int
    excerpt: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.damaged_chars} character(s) lost: {self.excerpt}"


@dataclass
class Repair:
    """The outcome of the mojibake check: the (repaired) text, whether mojibake was found, and which lines changed."""
    text: str
    mojibake: bool
    repaired_lines: list[int] = field(default_factory=list)
    damaged: list[DamagedLine] = field(default_factory=list)


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "..."


def repair_mojibake(text: str) -> Repair:
    """Detect UTF-8 shown as cp1252 and undo it line by line. A line is a candidate when every character is one a
    single-byte code page displays; the document counts as mojibake when its candidates decode to far more valid
    multi-byte UTF-8 characters than broken ones (genuine Latin-1 text, e.g. "café", decodes to broken ones)."""
    lines = text.split("\n")
    candidates: dict[int, tuple[str, int, int]] = {}
    total_decoded = total_damaged = 0
    for index, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            raw = bytes(_DISPLAYED_BYTE[char] for char in line)
        except KeyError:  # a character no code page displays (real CJK, emoji): this line is not mojibake
            continue
        repaired, decoded, damaged = decode_utf8_tolerant(raw)
        candidates[index] = (repaired, decoded, damaged)
        total_decoded += decoded
        total_damaged += damaged
    if total_decoded < 2 or total_decoded < 2 * total_damaged:
        return Repair(text=text, mojibake=False)
    result = Repair(text="", mojibake=True)
    for index, (repaired, _decoded, damaged) in candidates.items():
        lines[index] = repaired
        result.repaired_lines.append(index + 1)
        if damaged:
            result.damaged.append(DamagedLine(index + 1, damaged, _excerpt(repaired)))
    result.text = "\n".join(lines)
    return result


# ---- Markdown notes -> questions ----------------------------------------------------------------------------------
_SEPARATOR = r"\s*[:：.．、]\s*"
_Q_HEADING = re.compile(r"^(#{1,6})\s*Q(\d+)" + _SEPARATOR + r"(.*?)\s*¶?\s*$")
_Q_BOLD = re.compile(r"^\*\*\s*Q(\d+)" + _SEPARATOR + r"(.*?)\s*\*\*\s*¶?\s*$")
_Q_PLAIN = re.compile(r"^Q(\d+)" + _SEPARATOR + r"(.*?)\s*¶?\s*$")
_HEADING = re.compile(r"^(#{1,6})\s")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ANSWER_MARK = re.compile(r"^\s*(?:\*\*)?\s*(?:答案|参考答案|回答|Answer|A\d+)\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*")


@dataclass
class NoteQuestion:
    """One question found in the notes: its number, title (the prompt), answer Markdown and source lines."""
    number: int
    title: str
    answer: str
    line: int       # 1-based line of the question title
    end_line: int   # last line of its answer
    damaged_lines: list[int] = field(default_factory=list)


def _question_start(line: str) -> Optional[tuple[int, str, int]]:
    """(number, title, heading level or 0) when the line starts a question."""
    match = _Q_HEADING.match(line)
    if match:
        return int(match.group(2)), match.group(3), len(match.group(1))
    match = _Q_BOLD.match(line) or _Q_PLAIN.match(line)
    if match:
        return int(match.group(1)), match.group(2), 0
    return None


def _ends_answer(line: str, question_level: int, pilcrow_headings: bool) -> bool:
    """Whether a line outside code fences closes the current answer (a heading at the question's level or above)."""
    heading = _HEADING.match(line)
    if heading:
        return question_level == 0 or len(heading.group(1)) <= question_level
    return pilcrow_headings and line.rstrip().endswith("¶")


def parse_notes(text: str) -> list[NoteQuestion]:
    """Find the questions of Markdown interview notes: `### Q1: ...` headings, bold `**Q1: ...**` lines or plain
    `Q1: ...¶` lines (notes copied from a web page, where ¶ ends every heading). The answer runs to the next question
    or heading; a leading `**答案：**` / `A1:` marker is dropped; code fences are kept intact."""
    lines = text.split("\n")
    pilcrow_headings = sum(line.rstrip().endswith("¶") for line in lines) >= 3
    questions: list[NoteQuestion] = []
    current: Optional[NoteQuestion] = None
    level = 0
    body: list[str] = []
    in_fence = False

    def close(end_index: int) -> None:
        nonlocal current, body
        if current is None:
            return
        while body and not body[-1].strip():
            body.pop()
        while body and not body[0].strip():
            body.pop(0)
        if body:
            body[0] = _ANSWER_MARK.sub("", body[0], count=1)
        current.answer = "\n".join(part.rstrip() for part in body).strip("\n")
        current.end_line = end_index
        questions.append(current)
        current, body = None, []

    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            start = _question_start(line)
            if start is not None:
                close(index)
                number, title, level = start
                current = NoteQuestion(number, title.strip(), "", index + 1, index + 1)
                continue
            if current is not None and _ends_answer(line, level, pilcrow_headings):
                close(index)
                continue
        if current is not None:
            body.append(line)
    close(len(lines))
    return questions


# ---- the whole import ---------------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    """What `import` found: questions, mojibake repair, damaged lines and other warnings."""
    source: str
    text: str
    questions: list[NoteQuestion]
    repair: Repair
    decoding: str = "utf-8"
    warnings: list[str] = field(default_factory=list)

    @property
    def damaged(self) -> list[DamagedLine]:
        return self.repair.damaged

    def summary_lines(self) -> list[str]:
        lines = [f"{self.source}: {len(self.questions)} question(s) found"
                 + (f" (Q{self.questions[0].number}-Q{self.questions[-1].number})" if self.questions else "")]
        if self.decoding != "utf-8":
            lines.append(f"{self.source}: not UTF-8; decoded as {self.decoding}")
        if self.repair.mojibake:
            lines.append(f"{self.source}: mojibake detected (UTF-8 shown as cp1252): {len(self.repair.repaired_lines)} "
                         f"line(s) repaired, {len(self.damaged)} line(s) could not be fully repaired")
        for damaged in self.damaged:
            lines.append(f"{self.source}:{damaged.line}: {damaged.damaged_chars} character(s) lost: {damaged.excerpt}")
        lines.extend(f"{self.source}: warning: {warning}" for warning in self.warnings)
        return lines


def _decode_file(raw: bytes) -> tuple[str, str]:
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:  # Chinese notes saved by Windows tools
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        line = raw.count(b"\n", 0, utf8_error.start) + 1
        raise ValueError(f"not UTF-8 (nor GB18030): byte 0x{raw[utf8_error.start]:02x} at offset "
                         f"{utf8_error.start} (line {line})") from None


MAX_QUESTION_NUMBER = 1000  # the "missing numbers" check lists 1..max: bounded, so a stray "Q99999..." cannot exhaust memory


def import_notes(source: Union[str, Path], text: Optional[str] = None) -> ImportReport:
    """Read notes (from the file, or from `text` with `source` as its name), repair mojibake, find the questions."""
    name = Path(source).name
    decoding = "utf-8"
    if text is None:
        text, decoding = _decode_file(Path(source).read_bytes())
    text = text.replace("\r\n", "\n")
    repair = repair_mojibake(text)
    questions = parse_notes(repair.text)
    damaged_by_line = {damaged.line for damaged in repair.damaged}
    for question in questions:
        question.damaged_lines = sorted(line for line in damaged_by_line if question.line <= line <= question.end_line)
    report = ImportReport(source=name, text=repair.text, questions=questions, repair=repair, decoding=decoding)
    numbers = [question.number for question in questions]
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    if repeated:
        report.warnings.append("question numbers repeat: " + ", ".join(f"Q{number}" for number in repeated)
                               + " (ids get a suffix)")
    if numbers and max(numbers) > MAX_QUESTION_NUMBER:  # a heading such as "Q2026" is no question number
        report.warnings.append(f"question number Q{max(numbers)} is implausible (over {MAX_QUESTION_NUMBER}); "
                               "check the headings")
    elif numbers:
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            report.warnings.append("question numbers missing: " + ", ".join(f"Q{number}" for number in missing))
    for question in questions:
        if not question.answer.strip():
            report.warnings.append(f"Q{question.number} (line {question.line}) has no answer text")
    return report


def _slug(name: str) -> str:
    stem = Path(name).stem
    seed_number = re.match(r"^(\d{3})_[0-9a-f]+$", stem)
    if seed_number:
        return "seed" + seed_number.group(1)
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "notes"


class BlockDumper(yaml.SafeDumper):
    """Multi-line text as literal blocks (`|`), the way the bank files are written: answers and code stay readable."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


BlockDumper.add_representer(str, _represent_str)


def to_skeleton_yaml(report: ImportReport, topic: Optional[str] = None, seed: Optional[str] = None) -> str:
    """Bank YAML for the user to finish. English fields, key points, tags and (without `topic`) the topic are TODO
    placeholders, so the file deliberately fails `python -m questions validate` until it is finished."""
    if topic is not None and topic not in TOPICS:
        raise ValueError(f"topic ({topic!r}) must be one of {', '.join(TOPICS)}")
    seed = seed or (report.source if report.source in SEED_FILES else None)
    slug = _slug(report.source)
    header = [
        f"# Imported from {report.source} by `python -m questions import`: {len(report.questions)} question(s).",
        "# NOT FINISHED: this file fails `python -m questions validate` on purpose until you",
        "#   - set `topic` (one of: " + ", ".join(TOPICS) + ") and make `id` start with it,",
        "#   - write every `en` text (marked TODO) and check the Chinese,",
        "#   - write 3-6 key_points, set tags and difficulty, add papers to `sources`,",
        "#   - move the questions into questions/bank/<topic>.yaml.",
    ]
    if report.repair.mojibake:
        header.append(f"# The source was mojibake (UTF-8 shown as cp1252) and was repaired; {len(report.damaged)} "
                      "line(s) had characters that could not be recovered: they are marked \ufffd (U+FFFD), "
                      "which validate rejects.")
    parts = ["\n".join(header), ""]
    seen_ids: dict[str, int] = {}
    for question in report.questions:
        question_id = f"{topic or 'todo'}-{slug}-q{question.number}"
        seen_ids[question_id] = seen_ids.get(question_id, 0) + 1
        if seen_ids[question_id] > 1:
            question_id += f"-{seen_ids[question_id]}"
        source = {"seed": seed, "ref": f"Q{question.number}"} if seed else {
            "paper": f"TODO: cite the source of {report.source}", "ref": f"Q{question.number}"}
        skeleton = {
            "id": question_id,
            "type": "open",
            "topic": topic or "TODO",
            "tags": ["imported"],
            "difficulty": 2,
            "prompt": {"zh": question.title, "en": TODO_TRANSLATE},
            "answer": {"zh": question.answer or "TODO: no answer found in the notes", "en": TODO_TRANSLATE},
            "key_points": [{"zh": f"TODO: key point {n}", "en": TODO_TRANSLATE} for n in (1, 2, 3)],
            "sources": [source],
        }
        comment = f"# Q{question.number}: source lines {question.line}-{question.end_line}"
        if question.damaged_lines:
            comment += ("\n# WARNING: lines " + ", ".join(map(str, question.damaged_lines))
                        + " could not be repaired; restore the characters marked \ufffd by hand")
        body = yaml.dump([skeleton], Dumper=BlockDumper, allow_unicode=True, sort_keys=False, width=100)
        parts.append(comment + "\n" + body)
    return "\n".join(parts)
