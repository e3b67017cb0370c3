"""The test Redis (shared rate-limit counts): `METRICA_TEST_REDIS_URL`, default the local
server that scripts/ensure-redis.sh starts. Tests keep their keys under a prefix of their
own and delete them."""

from __future__ import annotations

import os

REDIS_URL = os.environ.get("METRICA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
