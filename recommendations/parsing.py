"""Reading ids from query strings: only what a database id can be, so odd input is "not an id", never a 500."""
from __future__ import annotations

import re

# ASCII digits only (str.isdigit also accepts "²", which int() refuses) and at most 18 of them, so the number fits
# a signed 64-bit column on every database (SQLite raises OverflowError past 2**63 - 1).
_ID = re.compile(r"[0-9]{1,18}")


def catalog_id(text: str) -> int | None:
    """The id written in `text` (surrounding spaces allowed), or None when it is not a plausible database id."""
    text = text.strip()
    return int(text) if _ID.fullmatch(text) else None
