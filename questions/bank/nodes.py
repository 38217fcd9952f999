"""YAML nodes of a bank file: a safe loader tuned for the bank, nodes -> Python values, and the line of a field."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import yaml

# The C parser is ~10x faster than the pure-Python one; fall back when PyYAML was built without libyaml.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class BankYAMLLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader tuned for composing: the bank repeats the same plain scalars (keys, tags, type names) thousands
    of times, so implicit tag resolution (a regex per plain scalar) is memoised per file. The bank uses no path
    resolvers, so the per-node resolver path bookkeeping is skipped."""

    def __init__(self, stream):
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = self._plain_tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


def compose(text: str) -> Optional[yaml.Node]:
    """The root node of a YAML text (None for an empty one); raises yaml.YAMLError for bad YAML."""
    loader = BankYAMLLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


# ---- YAML nodes -> Python values, keeping the nodes for line look-ups ------------------------------------------------
class DuplicateKey(Exception):
    """A key written twice in one mapping: where, and where it first was."""

    def __init__(self, key: str, line: int, first_line: int):
        super().__init__(key)
        self.key, self.line, self.first_line = key, line, first_line


_BOOLS = {"true": True, "false": False, "True": True, "False": False}


def construct(node: yaml.Node, loader: Any) -> Any:
    """Build the Python value of a composed node. Strings (almost every scalar of the bank) take a fast path;
    other scalars go through PyYAML's safe constructor so ints, bools and nulls mean what YAML says."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        if tag == _INT_TAG and node.value.isdigit():
            return int(node.value)
        if tag == _BOOL_TAG and node.value in _BOOLS:
            return _BOOLS[node.value]
        return loader.construct_object(node, deep=True)
    if kind is yaml.SequenceNode:
        return [construct(item, loader) for item in node.value]
    if kind is yaml.MappingNode:
        mapping: dict[Any, Any] = {}
        key_lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = construct(key_node, loader)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark)
            if key in mapping:
                raise DuplicateKey(str(key), key_node.start_mark.line + 1, key_lines[key])
            key_lines[key] = key_node.start_mark.line + 1
            mapping[key] = construct(value_node, loader)
        return mapping
    raise TypeError(f"unexpected YAML node {node!r}")


def line_of(node: yaml.Node, loc: Sequence[Any]) -> int:
    """1-based line of the deepest node along a pydantic error location (a missing field points at its parent)."""
    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    child, line = value_node, key_node.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
