"""The field types every input schema is built from, so that no input reaches a database or
date arithmetic it cannot survive (pure: no I/O).

- `SafeStr`: text without control characters (NUL breaks PostgreSQL, the others make no
  sense in a name, an email or a version), lone surrogates (not encodable as UTF-8) or
  bidirectional overrides (they make a name read differently from what it is). Give it a
  `max_length` where it is used: `name: SafeStr = Field(max_length=200)`. An alias with
  its own constraints puts them first and the check last,
  `Annotated[str, Field(pattern=...), NoControlChars]`: a pattern after the check would
  still be enforced but would vanish from the JSON schema.
- `FiniteFloat`: no NaN, no infinity.
- `Int32` / `Int64`: non-negative integers that a PostgreSQL `integer` / `bigint` holds
  (`Int64` up to `MAX_JSON_INT`, which any JSON reader holds exactly).
- `UtcDatetime`: an aware instant within `EARLIEST_INSTANT`..`LATEST_INSTANT`, in UTC.
- `BoundedDate`: a calendar date within `EARLIEST_DATE`..`LATEST_DATE`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import TzInfo

from metrica.domain.limits import (
    EARLIEST_DATE,
    EARLIEST_INSTANT,
    LATEST_DATE,
    LATEST_INSTANT,
    MAX_INT32,
    MAX_JSON_INT,
)

# Unicode's control characters (category Cc: C0, DEL, C1), lone surrogates (Cs) and the
# bidirectional embeddings, overrides and isolates (Cf, but unlike the zero-width joiner in
# an emoji they have no business in a name).
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def check_text(value: str) -> str:
    """`value` unchanged, or ValueError naming the first forbidden character by position."""
    found = _FORBIDDEN.search(value)
    if found is not None:
        what = "lone surrogate" if "\ud800" <= found.group() <= "\udfff" else "control character"
        raise ValueError(f"{what} U+{ord(found.group()):04X} at position {found.start()}")
    return value


NoControlChars = AfterValidator(check_text)
SafeStr = Annotated[str, NoControlChars]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Int32 = Annotated[int, Field(ge=0, le=MAX_INT32)]
Int64 = Annotated[int, Field(ge=0, le=MAX_JSON_INT)]


def check_instant(value: datetime) -> datetime:
    """An aware datetime within the accepted range, converted to UTC; else ValueError.

    An offset parsed by pydantic (`TzInfo`) always has a `utcoffset()`: not asked again
    (this runs for every event of every batch)."""
    tz = value.tzinfo
    if tz is None or (type(tz) is not TzInfo and value.utcoffset() is None):
        raise ValueError("timestamp must carry a timezone (UTC)")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # year 1 at a positive offset, year 9999 at a negative one
        utc = None
    if utc is None or not EARLIEST_INSTANT <= utc < LATEST_INSTANT:
        raise ValueError(
            f"timestamp must be within {EARLIEST_INSTANT.isoformat()} and "
            f"{LATEST_INSTANT.isoformat()} (exclusive)"
        )
    return utc


UtcDatetime = Annotated[datetime, AfterValidator(check_instant)]
BoundedDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
