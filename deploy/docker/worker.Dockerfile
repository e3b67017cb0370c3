# syntax=docker/dockerfile:1
# The Metrica edge worker (one camera, or a supervisor of several with --config).
#   docker build -f deploy/docker/worker.Dockerfile -t metrica-worker .
# Models are mounted at /models (read-only) and never baked into the image; the outbox
# lives on the /data volume. Base images pinned by tag; pin by digest in your mirror.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.12.8-slim-bookworm AS python-build
COPY --from=uv /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_NO_CACHE=1
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
# The edge extra brings opencv-python-headless (no X11/GUI libraries) and onnxruntime.
RUN uv sync --locked --no-dev --extra edge --no-install-project
COPY metrica ./metrica
RUN uv sync --locked --no-dev --extra edge

FROM python:3.12.8-slim-bookworm AS runtime
RUN groupadd --system --gid 10001 metrica \
    && useradd --system --uid 10001 --gid metrica --home-dir /data --shell /usr/sbin/nologin metrica \
    && mkdir -p /data /models \
    && chown metrica:metrica /data
COPY --from=python-build --chown=root:root /app /app
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    METRICA_MODEL_DIR=/models
WORKDIR /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 9108
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/metrics', timeout=4)"]
ENTRYPOINT ["metrica", "worker"]
CMD ["--metrics-port", "9108", "--metrics-addr", "0.0.0.0"]
