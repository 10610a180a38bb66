"""What the loader and the warehouse can store, checked on every record before it is accepted.

An accepted record is loaded by dlt into Postgres; a value that fails that load fails every later
load too (the package is retried before new segments are read), so it is rejected here, with the
field named, and nothing that passes can stop loading:

- no NUL character in any string, key or value, at any depth (Postgres text cannot hold one), and no
  lone surrogate (it is not Unicode: no encoder writes it as UTF-8);
- no integer outside Postgres' bigint (-2^63 .. 2^63-1), no NaN and no infinity, at any depth;
- values nested at most MAX_DEPTH levels (every parser and encoder on the way recurses over them);
- at most MAX_EXTRA_FIELDS extra fields (fields the contract does not name; dlt adds a column for each,
  and Postgres stops at 1,600 columns a table);
- extra field names as dlt stores them: each is renamed to dlt's own normalization (snake_case,
  shortened to Postgres' 63 characters), and rejected when that name is a core column's, a dlt
  column's (`_dlt_*`) or another extra field's of the same record, or when it normalizes to nothing.
  Since every spooled name is already normalized, two records can no longer carry two spellings of one
  column (`userTier`, `user_tier`), which dlt refuses to load together;
- nested extra values (objects, lists) stored as canonical JSON text, as `config` is: Arrow reads them
  as struct or list columns, which dlt's Postgres loader cannot write.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from dlt.common.normalizers.naming.snake_case import NamingConvention

MAX_EXTRA_FIELDS = 64
MAX_DEPTH = 32
BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1

# The loader's dlt schema uses dlt's default naming, snake_case, with Postgres' identifier length.
_NAMING = NamingConvention(max_length=63)
_UNSTORABLE_CHARACTERS = re.compile("[\x00\ud800-\udfff]")


class Unstorable(ValueError):
    """A value the warehouse cannot take; `field` is its path in the record (`tags.1.note`)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = printable(field)
        self.reason = printable(reason)


def printable(text: str) -> str:
    """The text with NUL characters and lone surrogates written as escapes, so a rejection that
    names them can itself be stored and shown."""
    return _UNSTORABLE_CHARACTERS.sub(lambda match: f"\\x{ord(match[0]):02x}" if match[0] == "\x00"
                                      else f"\\u{ord(match[0]):04x}", text)


def _path(path: tuple) -> str:
    return ".".join(str(part) for part in path)


def _check_text(text: str, path: tuple) -> None:
    found = _UNSTORABLE_CHARACTERS.search(text)
    if found is None:
        return
    if found[0] == "\x00":
        raise Unstorable(_path(path), "contains a NUL character (\\u0000), which Postgres text cannot store")
    raise Unstorable(_path(path), f"contains a lone surrogate (\\u{ord(found[0]):04x}), which is not Unicode")


def check_value(value: Any, path: tuple, depth: int = 0) -> None:
    """Raise Unstorable, naming where, for the first part of `value` the warehouse cannot take."""
    if is_storable(value, depth):
        return
    kind = type(value)
    if kind is str:
        _check_text(value, path)
    elif kind is int:
        raise Unstorable(_path(path), "integer outside Postgres' bigint range (-2^63 .. 2^63-1)")
    elif kind is float:
        raise Unstorable(_path(path), "not a finite number (NaN or infinity)")
    elif depth >= MAX_DEPTH:  # named by its field: the path down would be as long as the nesting
        raise Unstorable(_path(path[:1]), f"nested deeper than {MAX_DEPTH} levels")
    for key, item in value.items() if kind is dict else enumerate(value):
        if type(key) is str:
            _check_text(key, (*path, key))
        check_value(item, (*path, key), depth + 1)


def is_storable(value: Any, depth: int = 0) -> bool:
    """Whether the warehouse can take `value`: check_value's test without the paths, fast enough for
    every record (exact types: parsed JSON holds nothing else; scalars of a container checked inline)."""
    kind = type(value)
    if kind is str:
        return _UNSTORABLE_CHARACTERS.search(value) is None
    if kind is int:
        return BIGINT_MIN <= value <= BIGINT_MAX
    if kind is float:
        return value - value == 0.0  # false for NaN and the infinities
    if kind is not dict and kind is not list:
        return True
    if depth >= MAX_DEPTH:
        return False
    if kind is dict:
        try:
            if _UNSTORABLE_CHARACTERS.search("".join(value)):  # every key at once
                return False
        except TypeError:  # a key that is not text (not from JSON): check_value looks closer
            return False
        value = value.values()
    for item in value:
        item_kind = type(item)
        if item_kind is str:
            if _UNSTORABLE_CHARACTERS.search(item):
                return False
        elif item_kind is float:
            if item - item != 0.0:
                return False
        elif item_kind is int or item_kind is dict or item_kind is list:
            if not is_storable(item, depth + 1):
                return False
    return True


def checked_extras(record: dict, core_columns: frozenset[str], untyped: Iterable[str] = ()) -> list[str]:
    """The names of the record's extra fields, once they and the `untyped` core fields (those the
    record model takes as any JSON) are checked; the typed core fields the record model checks."""
    for name in untyped:
        value = record.get(name)
        if value is not None and not is_storable(value):
            check_value(value, (name,))
    if record.keys() <= core_columns:  # the common case, tested in C
        return []
    extras = [name for name in record if name not in core_columns]
    if len(extras) > MAX_EXTRA_FIELDS:
        raise Unstorable("(record)", f"{len(extras)} extra fields; at most {MAX_EXTRA_FIELDS} a record")
    for name in extras:
        _check_text(name, (name,))
        check_value(record[name], (name,))
    return extras


def normalized_name(name: str) -> str:
    """The column dlt makes of a field name; Unstorable when it makes none."""
    try:
        return _NAMING.normalize_identifier(name)
    except ValueError:
        raise Unstorable(name, "a field name needs a letter or a digit") from None


def storable_extras(record: dict, extras: list[str], core_columns: frozenset[str], to_json_text) -> dict:
    """The record with its extra fields renamed as dlt stores them and nested values as JSON text;
    Unstorable for the first extra name that cannot be stored. `to_json_text` writes a nested value."""
    if not extras:
        return record
    claimed: dict[str, str] = {}
    for name in extras:
        column = normalized_name(name)
        if column in core_columns:
            raise Unstorable(name, f"dlt stores it as {column!r}, a core column (send it as {column!r})")
        if column.startswith("_dlt"):
            raise Unstorable(name, f"dlt stores it as {column!r}, a name reserved for dlt's own columns")
        if column in claimed:
            raise Unstorable(name, f"dlt stores it as {column!r}, as it does the field {claimed[column]!r}")
        claimed[column] = name
    stored = {key: value for key, value in record.items() if key in core_columns}
    for column, name in claimed.items():
        value = record[name]
        stored[column] = to_json_text(value) if isinstance(value, (dict, list)) else value
    return stored
