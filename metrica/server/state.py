"""What the running app holds: settings, the database, the token machinery, caches."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction
from starlette.requests import HTTPConnection

from metrica.domain.audits import ClipCounter
from metrica.domain.plates import UploadProcessor
from metrica.server.auth.mailer import Mailer
from metrica.server.auth.passwords import Passwords
from metrica.server.auth.rate_limits import Action, Limits, RateLimiter
from metrica.server.auth.tokens import (
    HttpJwksSource,
    JwksSource,
    JwtVerifier,
    LocalJwksSource,
    TokenSigner,
)
from metrica.server.blobs import BlobStore, blob_store
from metrica.server.db import create_engine, session_factory, utcnow
from metrica.server.jobs import BackgroundJobs
from metrica.server.ops.metrics import ServerGauges
from metrica.server.plates.queue import PlateQueue, plate_queue
from metrica.server.plates.runner import PlateRunner
from metrica.server.policies.loader import ActivePolicy, load_policies
from metrica.server.settings import Settings

log = logging.getLogger("metrica.server")


@dataclass(frozen=True, slots=True)
class WorkerCamera:
    """The camera a worker key belongs to, with what ingest needs to check events."""

    camera_id: uuid.UUID
    store_id: uuid.UUID
    timezone: ZoneInfo
    line_ids: frozenset[str]


WORKER_KEY_CACHE = "metrica.worker_key_cache"  # the app's sessions carry its cache in `info`
POLICY_INFO = "metrica.policy"  # ... and the privacy policy, so every ingest path applies it
_CLEAR_PENDING = "metrica.worker_key_cache.clear_pending"


@dataclass
class WorkerKeyCache:
    """key hash -> camera, for `ttl_s`; cleared when this process changes keys, lines,
    cameras or stores (see `cameras.service.invalidate_worker_keys`)."""

    ttl_s: float
    _entries: dict[str, tuple[float, WorkerCamera | None]] = field(default_factory=dict)

    def get(self, key_hash: str) -> tuple[bool, WorkerCamera | None]:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, key_hash: str, camera: WorkerCamera | None) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key_hash] = (time.monotonic() + self.ttl_s, camera)

    def clear(self) -> None:
        self._entries.clear()

    def clear_after(self, session: Session) -> None:
        """Clear when the session's transaction ends, committed or not; clearing earlier
        would let a concurrent request cache the old answer again for `ttl_s`."""
        session.info[_CLEAR_PENDING] = True
        if not event.contains(session, "after_transaction_end", self._transaction_ended):
            event.listen(session, "after_transaction_end", self._transaction_ended)

    def _transaction_ended(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.info.pop(_CLEAR_PENDING, False):
            self.clear()


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    signer: TokenSigner
    verifier: JwtVerifier
    mailer: Mailer
    passwords: Passwords
    rate_limits: RateLimiter
    jobs: BackgroundJobs
    worker_keys: WorkerKeyCache
    gauges: ServerGauges  # what /metrics reads at scrape time (pool, cameras, disks)
    blobs: BlobStore
    policy: ActivePolicy
    clock: Callable[[], datetime] = utcnow  # "now" of the KPI views (tests pin it)
    # Reads plates in uploads; passed in by the command that starts the server (the server
    # never imports the reader). None: plate jobs wait for a plate worker (Redis queue) or
    # fail with a clear reason (embedded queue).
    plate_processor: UploadProcessor | None = None
    _plate_queue: PlateQueue | None = None
    # Counts audit clips with a camera's lines (passed in like `plate_processor`); None:
    # an uploaded clip's audit fails with a reason. One clip is counted at a time.
    clip_counter: ClipCounter | None = None
    audit_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def plate_runner(self) -> PlateRunner:
        return PlateRunner(
            settings=self.settings,
            sessions=self.sessions,
            blobs=self.blobs,
            processor=self.plate_processor,
            mailer=self.mailer,
            alerts=self.jobs,
        )

    @property
    def plate_queue(self) -> PlateQueue:
        """Made on first use (tests drive the app without its lifespan)."""
        if self._plate_queue is None:
            self._plate_queue = plate_queue(self.settings, self.plate_runner())
        return self._plate_queue

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        """Raises `PolicyFileError` (line and reason) for a bad policy file."""
        policy = ActivePolicy.of(load_policies(settings.policy_file, settings.policy_dir))
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        signer = TokenSigner(
            settings.secret_key.get_secret_value(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl_s=settings.token_ttl_s,
        )
        source: JwksSource = (
            HttpJwksSource(settings.jwks_url, cache_s=settings.jwks_cache_s)
            if settings.jwks_url
            else LocalJwksSource(signer.jwks)
        )
        worker_keys = WorkerKeyCache(ttl_s=settings.worker_key_cache_s)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(
                engine, info={WORKER_KEY_CACHE: worker_keys, POLICY_INFO: policy}
            ),
            signer=signer,
            verifier=JwtVerifier(
                source, issuer=settings.jwt_issuer, audience=settings.jwt_audience
            ),
            mailer=Mailer(settings),
            passwords=Passwords(max_concurrent=settings.password_hash_concurrency),
            rate_limits=rate_limiter(settings),
            jobs=BackgroundJobs(),
            worker_keys=worker_keys,
            gauges=ServerGauges(engine, settings.var_dir),
            blobs=blob_store(settings),
            policy=policy,
        )

    async def close(self) -> None:
        """Stop plate jobs (they rerun on restart), let background jobs finish (mail in
        flight), then release connections."""
        if self._plate_queue is not None:
            await self._plate_queue.close()
        try:
            await self.jobs.drain()
        except TimeoutError:
            log.warning("background jobs still running at shutdown were abandoned")
        await self.rate_limits.close()
        await self.blobs.close()
        await self.engine.dispose()


def rate_limiter(settings: Settings) -> RateLimiter:
    """The rate limits of `settings` (sign-in, test alerts), counted in Redis when a URL is set."""
    s = settings
    redis_url = s.rate_limit_redis_url
    return RateLimiter(
        {
            Action.SIGN_IN: Limits.parse(
                s.rate_limit_sign_in_per_account, s.rate_limit_sign_in_per_address
            ),
            Action.CODE_REQUEST: Limits.parse(
                s.rate_limit_code_request_per_account, s.rate_limit_code_request_per_address
            ),
            Action.CODE_VERIFY: Limits.parse(
                s.rate_limit_code_verify_per_account, s.rate_limit_code_verify_per_address
            ),
            Action.TEST_ALERT: Limits.parse(
                s.rate_limit_test_alert_per_store, s.rate_limit_test_alert_per_address
            ),
        },
        secret=s.secret_key.get_secret_value(),
        redis_url=redis_url.get_secret_value() if redis_url else None,
        key_prefix=s.rate_limit_key_prefix,
    )


async def app_state(conn: HTTPConnection) -> AppState:
    """The app's state, as a dependency. `async` although it awaits nothing: FastAPI runs a
    plain `def` dependency on a worker thread, a thread hop on every request (3 % of the
    ingest route's CPU)."""
    state: AppState = conn.app.state.metrica
    return state
