"""Rate limits on guessing: sign-in, code requests and code checks, per account and per
client address.

Counting is the `limits` library's moving window (at most N hits in any window of the
given length). The counts live in this process by default; with a Redis URL they live in
Redis, so several server processes share one budget. When Redis cannot be reached the
process falls back to its own counts (logged) for `REDIS_RETRY_S`, so sign-in stays both
possible and limited.

Keys are HMACs of the account's email or the client's address under the server secret:
the store never holds emails or addresses in clear. IPv6 clients are counted per /64,
the block one host usually holds.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

log = logging.getLogger("metrica.rate_limits")
REDIS_RETRY_S = 30  # after Redis fails, count in process this long before trying it again


class Action(StrEnum):
    SIGN_IN = "sign-in"  # password sign-in and password change
    CODE_REQUEST = "code-request"
    CODE_VERIFY = "code-verify"
    TEST_ALERT = "test-alert"  # the "account" is the store: one test notice a minute


@dataclass(frozen=True, slots=True)
class Limits:
    """One action's budgets: per account (its email) and per client address."""

    per_account: tuple[RateLimitItem, ...]
    per_address: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, per_account: str, per_address: str) -> Limits:
        return cls(tuple(parse_many(per_account)), tuple(parse_many(per_address)))


class RateLimited(Exception):
    """Over a budget; try again in `retry_after_s` seconds (the message names no key)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many attempts, retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def address_key(host: str | None) -> str:
    """The client as counted: an IPv4 address, an IPv6 /64, or the raw host name."""
    if host is None:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class RateLimiter:
    """Counts hits per (action, account) and (action, address); refuses over budget."""

    def __init__(
        self,
        limits: dict[Action, Limits],
        *,
        secret: str,
        redis_url: str | None = None,
        key_prefix: str = "metrica",
    ) -> None:
        self._limits, self._secret = limits, secret.encode()
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._pool: ConnectionPool | None = None
        self._shared: MovingWindowRateLimiter | None = None
        self._shared_down_until = 0.0
        if redis_url is not None:
            self._pool = ConnectionPool.from_url(
                redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
            storage: Storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                # documented option of RedisStorage; its stub types **options narrower
                connection_pool=self._pool,  # type: ignore[arg-type]
                key_prefix=f"{key_prefix}:rate",
                wrap_exceptions=True,
            )
            self._shared = MovingWindowRateLimiter(storage)

    @property
    def shared(self) -> bool:
        """Whether the counts live in Redis (shared by every process that uses it)."""
        return self._shared is not None

    async def hit(self, action: Action, *, email: str, address: str | None) -> None:
        """Count one attempt; raise `RateLimited` when the address or account is over
        budget. The address is checked first, so that a client already refused for its
        address does not also use up the budgets of the accounts it tries."""
        budgets = self._limits[action]
        await self._hit(budgets.per_address, action, "address", address_key(address))
        await self._hit(budgets.per_account, action, "account", email.strip().lower())

    async def _hit(
        self, items: tuple[RateLimitItem, ...], action: Action, kind: str, subject: str
    ) -> None:
        key = hmac.new(self._secret, f"{kind}:{subject}".encode(), hashlib.sha256).hexdigest()
        identifiers = (str(action), kind, key[:32])
        for item in items:
            reset_at = await self._reset_if_over(item, identifiers)
            if reset_at is not None:
                raise RateLimited(max(1, math.ceil(reset_at - time.time())))

    async def _reset_if_over(
        self, item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> float | None:
        """Count a hit; None when within budget, else when the window frees a slot.
        Redis when configured and answering, else this process's counts."""
        if self._shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                return await self._count(self._shared, item, identifiers)
            except (StorageError, RedisError, OSError) as exc:
                # Not again for a while: each try could wait out the connect timeout.
                self._shared_down_until = time.monotonic() + REDIS_RETRY_S
                log.warning(
                    "rate-limit store unreachable (%s); counting in process for %d s",
                    type(exc).__name__,
                    REDIS_RETRY_S,
                )
        return await self._count(self._local, item, identifiers)

    @staticmethod
    async def _count(
        limiter: MovingWindowRateLimiter, item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> float | None:
        if await limiter.hit(item, *identifiers):
            return None
        reset_at, _ = await limiter.get_window_stats(item, *identifiers)
        return reset_at

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
