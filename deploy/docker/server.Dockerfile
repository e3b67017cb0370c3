# syntax=docker/dockerfile:1
# The Metrica backend with the web app built in.
#   docker build -f deploy/docker/server.Dockerfile -t metrica-server .
# Base images are pinned by tag; pin by digest (tag@sha256:…) in your registry mirror.
# No secret is read at build time: the database URL, secret key and Redis URL come from the
# environment at run time (see deploy/.env.example and the k8s Secret references).

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

# 1. Python environment with the server extra (no dev tools), from the lock file.
FROM python:3.12.8-slim-bookworm AS python-build
COPY --from=uv /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_NO_CACHE=1
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --extra server --no-install-project
COPY alembic.ini ./
COPY metrica ./metrica
COPY scripts/export-openapi.py ./scripts/export-openapi.py
RUN uv sync --locked --no-dev --extra server \
    && .venv/bin/python scripts/export-openapi.py /app/openapi.json

# 2. The web app, its API client generated from the backend's OpenAPI document.
FROM node:22.12.0-bookworm-slim AS web-build
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
COPY --from=python-build /app/openapi.json ./openapi.json
RUN npx openapi-ts && npx vite build

# 3. Runtime: the environment, the code, the built web app; runs as an unprivileged user.
FROM python:3.12.8-slim-bookworm AS runtime
# pg_dump/pg_restore for `metrica backup` (Debian's client is PostgreSQL 15's: it dumps
# servers up to 15; the compose pilot runs 15). Versions follow the pinned base release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 metrica \
    && useradd --system --uid 10001 --gid metrica --home-dir /app --shell /usr/sbin/nologin metrica \
    && install -d -o 10001 -g 10001 /var/lib/metrica/blobs
WORKDIR /app
COPY --from=python-build --chown=root:root /app /app
COPY --from=web-build --chown=root:root /web/dist /app/web/dist
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    METRICA_ENVIRONMENT=production \
    METRICA_BLOB_DIR=/var/lib/metrica/blobs
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["metrica", "serve", "--host", "0.0.0.0", "--port", "8000"]
