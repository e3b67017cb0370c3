"""Caps and bounds the edge worker and the backend must agree on, defined once (pure: no I/O).

A worker that sends more than the backend accepts gets its uploads refused, so both sides
read these numbers from here. Every integer and date a client may send is bounded so that
both databases hold it (PostgreSQL `integer` is 32-bit, `bigint` and SQLite integers are
64-bit) and date arithmetic stays far from Python's year 1 and year 9999.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

SNAPSHOT_MAX_BYTES = 2 * 1024 * 1024  # one calibration JPEG

MAX_BATCH_EVENTS = 1000  # events in one `POST /events`
# The largest event the schema accepts (64-character ids, a 16-digit track id, an ISO
# timestamp with microseconds and offset), as JSON, is about 330 bytes; pretty-printed with
# a 2-space indent about 380. 512 per event leaves room for spacing without inviting abuse.
EVENT_MAX_JSON_BYTES = 512
EVENTS_MAX_BODY_BYTES = MAX_BATCH_EVENTS * EVENT_MAX_JSON_BYTES + 1024

MAX_INT32 = 2**31 - 1  # PostgreSQL `integer`
MAX_INT64 = 2**63 - 1  # PostgreSQL `bigint`, SQLite's integer
# The largest integer that every JSON parser (JavaScript's included) and a float-valued JSON
# Schema `maximum` hold exactly: the bound of the 64-bit columns (a frame counter at 30 fps
# reaches it after 9 million years).
MAX_JSON_INT = 2**53 - 1

# Instants and dates anyone may send. Nothing Metrica counts happened before 2000 (a clock
# that says so was never set), and no query needs to reach past 2099: far inside what
# Python's datetime (years 1..9999) and both databases hold, with room for the arithmetic
# around a date (the previous month, a timezone's offset).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)
EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)

MAX_LINES_PER_CAMERA = 32  # counting lines of one camera

RAW_EVENTS_MIN_DAYS = 35
"""Raw events younger than this are read by KPIs: the month view compares with the same
moment of the previous month (<= 31 days back) to the second, live occupancy reads
today's, and the day view's occupancy curve is drawn for days this recent. Older answers
come from the hourly rollup alone, so retention (which keeps at least this much) never
changes them."""
