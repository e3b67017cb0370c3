"""Caps the edge worker and the backend must agree on, defined once (pure: no I/O).

A worker that sends more than the backend accepts gets its uploads refused, so both sides
read these numbers from here.
"""

from __future__ import annotations

SNAPSHOT_MAX_BYTES = 2 * 1024 * 1024  # one calibration JPEG
