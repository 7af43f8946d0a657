"""Walking a JSON document element by element, to know the line each array element starts on.

json.loads would give the values but not where they were. Here the C decoder still parses each element
(JSONDecoder.raw_decode), and only the punctuation between elements is read in Python, so this is about
as fast as json.loads. Syntax errors surface as json.JSONDecodeError, whose lineno is a line of the file.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from ingestion.importers.records import Origin, Rejection

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class LineCounter:
    """Line numbers of increasing offsets in one text, each newline counted once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1

    def line_at(self, offset: int) -> int:
        self._line += self._text.count("\n", self._offset, offset)
        self._offset = offset
        return self._line


def first_char(text: str) -> str:
    """The first character that is not JSON whitespace ("" for a blank text)."""
    start = _WHITESPACE.match(text).end()
    return text[start : start + 1]


def array_elements(text: str, pos: int = 0) -> Iterator[tuple[int, object]]:
    """Each element of the array at `pos` (whitespace allowed before it) with the offset it starts at."""
    pos = _skip(text, _expect(text, _skip(text, pos), "["))
    if text.startswith("]", pos):
        return
    while True:
        value, end = _decode(text, pos)
        yield pos, value
        pos = _skip(text, end)
        if text.startswith("]", pos):
            return
        pos = _skip(text, _expect(text, pos, ","))


def member_offset(text: str, key: str) -> int | None:
    """Offset of the value of `key` in the top-level object, or None if the object has no such key.

    Values of the other keys are decoded and skipped.
    """
    pos = _skip(text, _expect(text, _skip(text, 0), "{"))
    if text.startswith("}", pos):
        return None
    while True:
        if not text.startswith('"', pos):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
        name, pos = _decode(text, pos)
        pos = _skip(text, _expect(text, _skip(text, pos), ":"))
        if name == key:
            return pos
        _, pos = _decode(text, pos)
        pos = _skip(text, pos)
        if text.startswith("}", pos):
            return None
        pos = _skip(text, _expect(text, pos, ","))


def invalid_json(path: Path, error: json.JSONDecodeError) -> Rejection:
    """The one rejection for a syntax error: nothing after it can be read reliably."""
    return Rejection(
        Origin(str(path), error.lineno),
        f"invalid JSON: {error.msg} (column {error.colno}); the rest of the file was not read",
    )


def _decode(text: str, pos: int) -> tuple[object, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except RecursionError:  # the C scanner's answer to absurdly deep nesting: bad input, not a crash
        raise json.JSONDecodeError("Nested too deeply", text, pos) from None


def _skip(text: str, pos: int) -> int:
    return _WHITESPACE.match(text, pos).end()


def _expect(text: str, pos: int, char: str) -> int:
    if not text.startswith(char, pos):
        raise json.JSONDecodeError(f"Expecting '{char}'", text, pos)
    return pos + 1
