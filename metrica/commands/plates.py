"""`metrica plates read|scan`: read licence plates in photos, or one per vehicle in a video."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from metrica.commands.common import Subparsers, fail
from metrica.plates.loading import PlateSettings, PlateSetupError, load_reader
from metrica.plates.ocr_models import OcrModelFiles
from metrica.plates.processor import normalized, read_image
from metrica.plates.reader import PlateReader
from metrica.plates.scan import PlateScanner, ScanConfig
from metrica.vision.sources import SourceError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "plates",
        description="Read licence plates. The OCR models are the PP-OCRv6 files inside the "
        "rapidocr package, checked against pinned sha256 digests; nothing is downloaded.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    read = actions.add_parser("read", help="read the plates in photos")
    read.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="images or folders")
    read.add_argument("--json", action="store_true", help="one JSON object per image per line")
    _add_model_options(read)
    read.set_defaults(func=run_read)
    scan = actions.add_parser("scan", help="one plate event per vehicle in a video")
    scan.add_argument("video", type=Path, help="a video file")
    scan.add_argument("--events", type=Path, help="write events here as JSON lines")
    scan.add_argument("--crops", type=Path, help="save each vehicle's best crop in this folder")
    scan.add_argument(
        "--sample-fps", type=float, default=5.0, help="frames read per second (default 5)"
    )
    _add_model_options(scan)
    scan.set_defaults(func=run_scan)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="vehicle detector name or .onnx path (yolox-nano)")
    parser.add_argument("--templates", type=Path, help="YAML/JSON file of extra region templates")
    parser.add_argument(
        "--region", action="append", help="use only this region's templates (repeatable)"
    )
    parser.add_argument("--ocr-det", type=Path, help="your own PaddleOCR-format detector .onnx")
    parser.add_argument("--ocr-rec", type=Path, help="your own PaddleOCR-format recogniser .onnx")
    parser.add_argument("--ocr-keys", type=Path, help="the recogniser's character list file")


def _reader(args: argparse.Namespace) -> PlateReader:
    files = None
    if args.ocr_det or args.ocr_rec:
        if not (args.ocr_det and args.ocr_rec):
            raise PlateSetupError("--ocr-det and --ocr-rec go together")
        files = OcrModelFiles(args.ocr_det, args.ocr_rec, args.ocr_keys)
    return load_reader(
        PlateSettings(
            vehicle_model=args.model,
            ocr_files=files,
            templates_file=args.templates,
            regions=args.region,
        )
    )


def image_paths(paths: list[Path]) -> Iterator[Path]:
    """Files as given; folders expanded to their images (recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
            )
        else:
            yield path


def run_read(args: argparse.Namespace) -> int:
    try:
        reader = _reader(args)
    except PlateSetupError as exc:
        return fail("plates", str(exc))
    failed = False
    if not args.json:
        print(f"{'IMAGE':40}  {'PLATE':10}  {'CONF':>5}  BOX (x, y, w, h)")
    for path in image_paths(args.paths):
        try:
            plates = reader.read(read_image(path))
        except ValueError as exc:
            print(f"metrica plates: {exc}", file=sys.stderr)
            failed = True
            continue
        if args.json:
            found = [
                {"text": p.text, "confidence": round(p.confidence, 3), "box": list(p.box)}
                for p in plates
            ]
            print(json.dumps({"image": str(path), "plates": found}), flush=True)
            continue
        if not plates:
            print(f"{path!s:40}  {'-':10}")
        for p in plates:
            print(f"{path!s:40}  {p.text:10}  {p.confidence:5.2f}  {p.box}", flush=True)
    return 1 if failed else 0


def run_scan(args: argparse.Namespace) -> int:
    try:
        scanner = PlateScanner(_reader(args), ScanConfig(sample_fps=args.sample_fps))
    except (PlateSetupError, ValueError) as exc:
        return fail("plates", str(exc))
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
    last_report = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last_report[0] >= 2.0 or done == total:
            last_report[0] = now
            print(f"\rframes {done}/{total}", end="", file=sys.stderr, flush=True)

    out = args.events.open("w", encoding="utf-8") if args.events else None
    count = 0
    try:
        for event in scanner.scan(args.video, progress):
            count += 1
            crop = None
            if args.crops:
                crop = args.crops / f"track{event.track_key:05d}_{event.text}.jpg"
                crop.write_bytes(event.best_crop_jpeg)
            record = {
                "track": event.track_key,
                "text": event.text,
                "normalized": normalized(event.text),
                "confidence": event.confidence,
                "box": list(event.box),
                "vehicle_class": event.vehicle_class,
                "first_seen_s": round(event.first_seen_s, 3),
                "last_seen_s": round(event.last_seen_s, 3),
                "reads": event.reads,
                "crop": str(crop) if crop else None,
            }
            line = json.dumps(record)
            if out:
                out.write(line + "\n")
                out.flush()
            else:
                print(line, flush=True)
    except SourceError as exc:
        print(file=sys.stderr)
        return fail("plates", str(exc))
    finally:
        if out:
            out.close()
    print(f"\n{count} vehicle(s) with a plate", file=sys.stderr)
    return 0
