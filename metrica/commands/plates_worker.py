"""`metrica plates-worker`: run plate jobs from the Redis queue (scale out: start one per
machine or core; each reads uploads from the shared blob store and writes to the shared
database)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging

from metrica.commands.common import CliError, Subparsers, fail, server_settings
from metrica.domain.plates import UploadProcessor

DEFAULT_PROCESSOR = "metrica.plates.processor:PlateUploadProcessor"


def add_parser(subparsers: Subparsers) -> None:
    worker = subparsers.add_parser(
        "plates-worker",
        description="Takes plate jobs (uploaded videos and photos) from the Redis queue and "
        "reads every plate in them. Needs METRICA_QUEUE_REDIS_URL (or --redis-url), the "
        "server's database and blob store settings. A job whose worker dies is run again "
        "by another worker, without duplicate plate reads.",
    )
    worker.add_argument("--redis-url", default=None, help="overrides METRICA_QUEUE_REDIS_URL")
    worker.add_argument("--db-url", default=None, help="overrides METRICA_DATABASE_URL")
    worker.add_argument(
        "--concurrency", type=int, default=1, help="jobs at once (default %(default)s)"
    )
    worker.add_argument(
        "--processor",
        default=DEFAULT_PROCESSOR,
        help="MODULE:CLASS of the plate reader, made without arguments (default %(default)s)",
    )
    worker.set_defaults(func=run_plates_worker)


def load_processor(spec: str) -> UploadProcessor:
    """The `module:Class` reader, instantiated."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise CliError(f"--processor {spec!r}: expected MODULE:CLASS")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise CliError(
            f"cannot load the plate reader {spec!r} ({exc}); install the plates extra"
        ) from None
    processor: UploadProcessor = factory()
    return processor


def installed_processor() -> UploadProcessor | None:
    """The plate reader when the plates extra is installed, else None (the server then
    accepts uploads and leaves reading to plate workers, or fails the jobs with a reason)."""
    try:
        module = importlib.import_module(DEFAULT_PROCESSOR.partition(":")[0])
    except ImportError:
        return None
    processor: UploadProcessor = getattr(module, DEFAULT_PROCESSOR.partition(":")[2])()
    return processor


def run_plates_worker(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except CliError as exc:
        return fail("plates-worker", str(exc))


def _run(args: argparse.Namespace) -> int:
    from pydantic import SecretStr

    from metrica.server.plates.worker import build_worker

    if args.concurrency < 1 or args.concurrency > 64:
        raise CliError("--concurrency must be 1..64")
    settings = server_settings(args.db_url)
    if args.redis_url:
        settings = settings.model_copy(update={"queue_redis_url": SecretStr(args.redis_url)})
    if settings.queue_redis_url is None:
        raise CliError("no Redis queue: set METRICA_QUEUE_REDIS_URL or pass --redis-url")
    processor = load_processor(args.processor)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    worker = build_worker(settings, processor, concurrency=args.concurrency)
    asyncio.run(worker.start())
    return 0
