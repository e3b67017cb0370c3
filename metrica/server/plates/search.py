"""Plate search: exact on the normalised text, or fuzzy (edit distance ≤ 1–2 after folding
the usual OCR confusions).

Fuzzy search pre-filters candidates in the database, then checks the exact edit distance
here. On PostgreSQL the pre-filter is the pg_trgm GIN index on `folded` with a similarity
threshold low enough that no string within the distance can fall below it (each edit
changes at most 3 of a string's n+1 padded trigrams); on SQLite, and for queries too short
for trigrams to bound, it is the store's reads of a compatible length.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz.distance import Levenshtein
from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from metrica.domain.plate_text import fold_plate, fuzzy_limit, normalize_plate
from metrica.server.plates.models import PlateReadRow

MAX_CANDIDATES = 50_000  # rows a fuzzy search checks at most (bounded memory)
MAX_EXPORT_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class PlateQuery:
    store_id: uuid.UUID
    q: str = ""
    fuzzy: bool = False
    start: datetime | None = None
    end: datetime | None = None
    camera_id: uuid.UUID | None = None

    def describe(self) -> str:
        """The query as the audit log records it."""
        parts = [f"q={normalize_plate(self.q)}", f"fuzzy={str(self.fuzzy).lower()}"]
        if self.start:
            parts.append(f"from={self.start.isoformat()}")
        if self.end:
            parts.append(f"to={self.end.isoformat()}")
        if self.camera_id:
            parts.append(f"camera_id={self.camera_id}")
        return " ".join(parts)


def _filtered(query: PlateQuery) -> Select[PlateReadRow]:
    stmt = select(PlateReadRow).where(PlateReadRow.store_id == query.store_id)
    if query.start is not None:
        stmt = stmt.where(PlateReadRow.occurred_at >= query.start)
    if query.end is not None:
        stmt = stmt.where(PlateReadRow.occurred_at < query.end)
    if query.camera_id is not None:
        stmt = stmt.where(PlateReadRow.camera_id == query.camera_id)
    return stmt


def trigram_threshold(length: int, edits: int) -> float | None:
    """The lowest pg_trgm similarity a string within `edits` of a `length`-char query can
    have, a little lower for rounding; None when trigrams cannot bound it."""
    grams = length + 1
    common = grams - 3 * edits
    if common <= 0:
        return None
    union = grams + (grams + edits) - common
    return 0.9 * common / union


async def search(
    *, session: AsyncSession, query: PlateQuery, limit: int, offset: int
) -> tuple[list[PlateReadRow], int]:
    """A page of matching reads, newest first, and how many match in all."""
    wanted = normalize_plate(query.q)
    order = (PlateReadRow.occurred_at.desc(), PlateReadRow.id)
    if not query.fuzzy or len(wanted) < 3:
        stmt = _filtered(query)
        if wanted:
            stmt = stmt.where(PlateReadRow.normalized == wanted)
        total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await session.scalars(stmt.order_by(*order).limit(limit).offset(offset))
        return list(rows.all()), int(total or 0)
    matches = await _fuzzy_matches(session, query, fold_plate(wanted))
    matches.sort(key=lambda r: (r.occurred_at, r.id.hex), reverse=True)
    return matches[offset : offset + limit], len(matches)


async def _fuzzy_matches(
    session: AsyncSession, query: PlateQuery, folded: str
) -> list[PlateReadRow]:
    edits = fuzzy_limit(folded)
    stmt = _filtered(query).where(
        func.length(PlateReadRow.folded).between(len(folded) - edits, len(folded) + edits)
    )
    threshold = trigram_threshold(len(folded), edits)
    if session.get_bind().dialect.name == "postgresql" and threshold is not None:
        await session.execute(
            text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
            {"t": f"{threshold:.4f}"},
        )
        stmt = stmt.where(PlateReadRow.folded.op("%")(folded))
    rows = (await session.scalars(stmt.limit(MAX_CANDIDATES))).all()
    return [r for r in rows if Levenshtein.distance(folded, r.folded, score_cutoff=edits) <= edits]
