"""`seed-json`: the seed dataset's track_dataset.json, a JSON array of track objects.

Origins are the line where each array element starts. Invalid JSON yields one Rejection at the line of
the syntax error and stops reading that file (the elements before it are yielded as usual); a file
whose top level is not an array raises ImportFileError.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ingestion.importers.formats import jsonstream
from ingestion.importers.formats.seed import seed_track
from ingestion.importers.formats.textfiles import ImportFileError, read_text
from ingestion.importers.formats.values import BadValue
from ingestion.importers.records import Origin, Rejection, TrackRecord


def looks_like(head: str) -> bool:
    return jsonstream.first_char(head) == "[" and '"track_name"' in head and '"artist_name"' in head


def read(path: Path) -> Iterator[TrackRecord | Rejection]:
    text = read_text(path)
    if jsonstream.first_char(text) != "[":
        raise ImportFileError(f"{path}: expected a JSON array of track objects ([{{...}}, ...]).")
    lines = jsonstream.LineCounter(text)
    try:
        for offset, element in jsonstream.array_elements(text):
            yield _record(element, Origin(str(path), lines.line_at(offset)))
    except json.JSONDecodeError as error:
        yield jsonstream.invalid_json(path, error)


def _record(element: object, origin: Origin) -> TrackRecord | Rejection:
    if not isinstance(element, dict):
        return Rejection(origin, f"expected a track object, found {type(element).__name__} {element!r:.60}")
    try:
        return seed_track(element, origin)
    except BadValue as problem:
        return Rejection(origin, str(problem))
