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
- `FastSafeStr` / `IsoInstant`: the same checks without a Python function per value, for
  the hot path (1000 events a request), where those calls were a third of the validation's
  CPU. `FastSafeStr` refuses the same characters by a pattern pydantic-core checks in Rust
  (lone surrogates never get past its own UTF-8 check). `IsoInstant` is an ISO 8601
  string with an offset, parsed by `datetime.fromisoformat` (C) and range-checked in Rust:
  UTC comes out as `datetime.UTC` itself (pydantic's own parser gives an offset object
  of its own, which makes every later comparison and database encoding ten times dearer);
  another offset is kept as the instant it is.
- `PATTERN_RULES`: those patterns in words, for error messages.
- `BoundedDate`: a calendar date within `EARLIEST_DATE`..`LATEST_DATE`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import TzInfo, core_schema

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
_CONTROL_AND_BIDI = "\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN = re.compile(f"[{_CONTROL_AND_BIDI}\ud800-\udfff]")
# The same rule as a pattern pydantic-core checks in Rust (its strings cannot hold a lone
# surrogate: refused before any pattern runs). `errors.public_issues` names it in words.
SAFE_TEXT_PATTERN = f"^[^{_CONTROL_AND_BIDI}]*$"
SAFE_TEXT_RULE = "text must not contain control characters or bidirectional overrides"


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
FastSafeStr = Annotated[str, Field(pattern=SAFE_TEXT_PATTERN)]

# What `datetime.fromisoformat` is handed: a date, a time to the minute or finer, and a UTC
# offset (Z, ±hh:mm or ±hhmm). The pattern keeps its error messages from quoting the input.
ISO_INSTANT_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$"
)
ISO_INSTANT_RULE = "must be an ISO 8601 date and time with a UTC offset, e.g. 2026-11-18T10:00:00Z"
PATTERN_RULES = {SAFE_TEXT_PATTERN: SAFE_TEXT_RULE, ISO_INSTANT_PATTERN: ISO_INSTANT_RULE}


class _IsoInstantSchema:
    """str (pattern, Rust) -> `datetime.fromisoformat` (C) -> aware, in range (Rust); from
    Python, a datetime is range-checked as it is."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        instant = core_schema.datetime_schema(
            ge=EARLIEST_INSTANT, lt=LATEST_INSTANT, tz_constraint="aware", strict=True
        )
        parsed = core_schema.chain_schema(
            [
                core_schema.str_schema(pattern=ISO_INSTANT_PATTERN),
                core_schema.no_info_plain_validator_function(datetime.fromisoformat),
                instant,
            ]
        )
        from_python = core_schema.chain_schema(
            [core_schema.no_info_plain_validator_function(_parse_if_text), instant]
        )
        return core_schema.json_or_python_schema(json_schema=parsed, python_schema=from_python)


_ISO_INSTANT = re.compile(ISO_INSTANT_PATTERN)


def _parse_if_text(value: object) -> object:
    """A string parsed as `IsoInstant`'s JSON form; anything else as it is (a datetime is
    then range-checked). Python input only: objects built in code, and FastAPI's own
    second validation of a body the JSON path refused (one error per field there)."""
    if not isinstance(value, str):
        return value
    if _ISO_INSTANT.match(value) is None:
        raise ValueError(ISO_INSTANT_RULE)
    return datetime.fromisoformat(value)


IsoInstant = Annotated[
    datetime, _IsoInstantSchema, WithJsonSchema({"type": "string", "format": "date-time"})
]
BoundedDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE)]
