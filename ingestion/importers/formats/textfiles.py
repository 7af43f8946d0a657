"""Reading files as text: UTF-8 checks, line counts, and CSV rows that know the line they start on.

Whole-file problems (missing, unreadable, not UTF-8, missing columns) raise ImportFileError before the
first row is yielded; a bad row becomes a Rejection and reading goes on.
"""
from __future__ import annotations

import codecs
import csv
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from ingestion.importers.records import Origin, Rejection

CHUNK_BYTES = 1 << 20
# Utf-8-sig drops a leading byte-order mark (Excel and the spotify-api-2021 crawl write one) and reads plain UTF-8.
ENCODING = "utf-8-sig"


class ImportFileError(Exception):
    """A whole file cannot be read (missing, unreadable, not UTF-8, unknown format).

    str() is a user-facing message that names the file and says what to do.
    """


def count_lines(path: Path) -> int:
    """Lines in the file, counting a last line without a final newline; cheap (binary chunks)."""
    lines, last_byte = 0, b"\n"
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                lines += chunk.count(b"\n")
                last_byte = chunk[-1:]
    except OSError as error:
        raise unreadable(path, error) from error
    return lines if last_byte == b"\n" else lines + 1


def unreadable(path: Path, error: OSError) -> ImportFileError:
    reason = error.strerror or str(error)
    return ImportFileError(f"{path}: cannot read this file ({reason}). Check the path and its permissions.")


def check_utf8(path: Path) -> None:
    """Raise ImportFileError naming the first line that is not UTF-8, before any row is parsed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    # error.object: this chunk, after any character cut at the previous chunk's end
                    bad = error.object
                    raise not_utf8(path, line + bad.count(b"\n", 0, error.start), bad[error.start]) from error
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except OSError as error:
        raise unreadable(path, error) from error
    except UnicodeDecodeError as error:  # the file ends inside a multi-byte character
        raise not_utf8(path, line, None) from error


def not_utf8(path: Path, line: int, byte: int | None) -> ImportFileError:
    what = f"byte 0x{byte:02x}" if byte is not None else "an incomplete character"
    return ImportFileError(
        f"{path}: line {line} has {what} that is not UTF-8. Save the file as UTF-8 (e.g. 'CSV UTF-8') and try again."
    )


def read_text(path: Path) -> str:
    """The whole file as text, for formats (JSON) that are parsed at once."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise unreadable(path, error) from error
    try:
        return data.decode(ENCODING)
    except UnicodeDecodeError as error:
        raise not_utf8(path, 1 + data.count(b"\n", 0, error.start), data[error.start]) from error


def first_text(path: Path, size: int = 64 * 1024) -> str:
    """The start of a file, for sniffing its format; a character cut at the end is dropped."""
    try:
        with path.open("rb") as handle:
            data = handle.read(size)
    except OSError as error:
        raise unreadable(path, error) from error
    return data.decode(ENCODING, errors="ignore")


def header_columns(head: str) -> frozenset[str]:
    """The column names of a CSV header line (empty if the text does not look like CSV)."""
    first_line = head.lstrip().partition("\n")[0]
    try:
        return frozenset(name.strip() for name in next(csv.reader([first_line]), []))
    except csv.Error:
        return frozenset()


@dataclass(frozen=True, slots=True)
class CsvRow:
    origin: Origin
    values: dict[str, str]


def csv_rows(path: Path, *, required: Collection[str]) -> Iterator[CsvRow | Rejection]:
    """Rows as {column: text}, each with the line it starts on; rows with the wrong field count are rejected.

    Blank lines are skipped. The header must hold every `required` column (else ImportFileError).
    """
    check_utf8(path)
    try:
        handle = path.open(encoding=ENCODING, newline="")
    except OSError as error:
        raise unreadable(path, error) from error
    with handle:
        reader = csv.reader(handle)
        columns = _header(path, reader, required)
        start = reader.line_num + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:  # e.g. a field over the csv module's size limit; the reader moves on
                yield Rejection(Origin(str(path), start), f"unreadable CSV row: {error}")
            else:
                if fields:
                    yield _row(Origin(str(path), start), columns, fields)
            start = reader.line_num + 1


def _header(path: Path, reader: csv.reader, required: Collection[str]) -> list[str]:
    try:
        columns = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        raise ImportFileError(f"{path}: the header line is not valid CSV ({error}).") from error
    missing = [name for name in required if name not in columns]
    if missing:
        raise ImportFileError(
            f"{path}: the header lacks the column(s) {', '.join(missing)}; is this file in the format you chose?"
        )
    return columns


def _row(origin: Origin, columns: list[str], fields: list[str]) -> CsvRow | Rejection:
    if len(fields) < len(columns):
        return Rejection(origin, f"truncated row: expected {len(columns)} fields, found {len(fields)}")
    if len(fields) > len(columns):
        return Rejection(origin, f"too many fields: expected {len(columns)}, found {len(fields)}")
    return CsvRow(origin, dict(zip(columns, fields, strict=True)))
