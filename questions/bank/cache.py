"""Cache of parsed bank files as JSON, keyed by the file's bytes and the code that validated it (never stale).

Parsing YAML is most of the load time (libyaml's events become Python objects one by one). A file that loaded without
problems is cached under a key made of its bytes, its name and the code that validated it, so an edited file, schema
or loader gets a new key. Entries are validated again on reading, and any unreadable entry is ignored (parsed anew).
Disable with MOE_LAB_CACHE=off or load_bank(cache_dir=None).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Optional

import pydantic
import yaml
from pydantic import TypeAdapter

from .schema import Question

CACHE_FORMAT = 1
_DIGEST_SIZE = 16
_QUESTION_LIST = TypeAdapter(list[Question])
_CODE_FILES = ("cache.py", "loader.py", "nodes.py", "schema.py")  # the code whose output an entry holds


def default_cache_dir() -> Optional[Path]:
    """$MOE_LAB_CACHE (a directory, or "off"), else $XDG_CACHE_HOME or ~/.cache, then moe-interview-lab/bank."""
    configured = os.environ.get("MOE_LAB_CACHE")
    if configured is not None:
        return None if configured.strip().lower() in ("", "0", "off", "no", "false") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "moe-interview-lab" / "bank"


def code_fingerprint() -> bytes:
    """A digest of the cache format, the library versions and the bank's code: part of every entry's key."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{CACHE_FORMAT} {pydantic.VERSION} {yaml.__version__}".encode())
    for name in _CODE_FILES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.digest()


def cache_entry(cache_dir: Path, path: Path, raw: bytes, fingerprint: bytes) -> Path:
    """The entry of one file version: <stem>-<digest of bytes, name and code>.json."""
    digest = hashlib.blake2b(raw, digest_size=_DIGEST_SIZE, key=fingerprint)
    digest.update(path.name.encode())
    return cache_dir / f"{path.stem}-{digest.hexdigest()}.json"


def read_entry(entry: Path) -> Optional[list[tuple[Question, int]]]:
    """(question, line of its `id`) pairs, or None for a missing or damaged entry.

    An entry is two JSON lines: the `id` line of each question, then the questions (validated again in Rust straight
    from the JSON bytes: that is cheaper than building dicts first, and a damaged entry is just a miss)."""
    try:
        id_lines_json, questions_json = entry.read_bytes().split(b"\n", 1)
        id_lines = json.loads(id_lines_json)
        questions = _QUESTION_LIST.validate_json(questions_json)
        if len(id_lines) != len(questions) or not all(isinstance(line, int) for line in id_lines):
            return None
    except (OSError, ValueError, TypeError):  # ValidationError is a ValueError
        return None
    return list(zip(questions, id_lines))


def _versions_of(entry: Path) -> list[Path]:
    """The entries of every version of `entry`'s file: <its stem>-<a digest>.json exactly, so writing routing.yaml's
    entry leaves routing-extra.yaml's alone."""
    stem = entry.name.rsplit("-", 1)[0]
    name = re.compile(rf"{re.escape(stem)}-[0-9a-f]{{{2 * _DIGEST_SIZE}}}\.json")
    return [path for path in entry.parent.iterdir() if name.fullmatch(path.name)]


def write_entry(entry: Path, id_lines: list[int], data: list[dict[str, Any]]) -> None:
    """Store one file's questions (their raw mappings) and `id` lines, replacing entries of older versions."""
    payload = json.dumps(id_lines) + "\n" + json.dumps(data, ensure_ascii=False)  # no raw newline inside
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        for old in _versions_of(entry):
            old.unlink(missing_ok=True)
        temporary = entry.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(payload, encoding="utf-8")
        os.replace(temporary, entry)
    except OSError:
        pass  # a cache that cannot be written only costs time
