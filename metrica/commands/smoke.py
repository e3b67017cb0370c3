"""`metrica smoke --url URL`: the post-deploy smoke test, through the public API only.

It walks what a new site does on day one: the docs load, an admin signs in (the web app's
own `/auth/login`), provisions a store and a camera with a line and a worker key, the
camera's "worker" posts a batch of events and a heartbeat with that key, and the store's
live view shows the camera live with the events counted. Then it deletes the store (its
camera and events go with it) and signs out, whatever happened before. Each step is
printed with ✓ or ✗ and its time; the exit code is 0, or 1 naming the step that failed.

Secrets never go on the command line: the password comes from METRICA_SMOKE_PASSWORD or
a prompt, or a ready token from METRICA_SMOKE_TOKEN.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from metrica.commands.common import CliError, Subparsers, fail

EMAIL_ENV = "METRICA_SMOKE_EMAIL"
PASSWORD_ENV = "METRICA_SMOKE_PASSWORD"
TOKEN_ENV = "METRICA_SMOKE_TOKEN"
LINE_ID = "smoke"
EVENTS_IN, EVENTS_OUT = 3, 1
ALL_DAY = {d: ["00:00", "24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def add_parser(subparsers: Subparsers) -> None:
    smoke = subparsers.add_parser(
        "smoke",
        description="Post-deploy smoke test against a running backend: docs, sign-in, "
        "provisioning, a worker's events and heartbeat, the live view, then clean-up. "
        f"The admin password comes from {PASSWORD_ENV} (or a prompt on a terminal); "
        f"{TOKEN_ENV} may hold a superadmin token instead. Exit 0, or 1 naming the "
        "failing step.",
    )
    smoke.add_argument("--url", required=True, help="the backend's base URL")
    smoke.add_argument(
        "--admin-email",
        default=os.environ.get(EMAIL_ENV),
        help=f"the superadmin to sign in as (default ${EMAIL_ENV})",
    )
    smoke.add_argument(
        "--timeout-s", type=float, default=10.0, help="per request (default %(default)s)"
    )
    smoke.add_argument(
        "--live-within-s",
        type=float,
        default=15.0,
        help="how long the events and heartbeat may take to show (default %(default)s)",
    )
    smoke.set_defaults(func=run_smoke)


class StepFailed(Exception):
    """A step found a fault; the message says what (never a secret)."""


@dataclass
class Smoke:
    """What the steps share: the client, and what earlier steps made."""

    client: Any  # httpx.Client, imported when the command runs
    email: str | None
    password: str | None
    token: str | None
    live_within_s: float
    store_id: str | None = None
    camera_id: str | None = None
    key: str | None = None
    signed_in: bool = False
    notes: list[str] = field(default_factory=list)

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def run_smoke(args: argparse.Namespace) -> int:
    import httpx

    token = os.environ.get(TOKEN_ENV) or None
    password = None
    if token is None:
        if not args.admin_email:
            return fail("smoke", f"--admin-email (or {EMAIL_ENV}) is required without {TOKEN_ENV}")
        try:
            password = os.environ.get(PASSWORD_ENV) or _prompt(args.admin_email)
        except CliError as exc:
            return fail("smoke", str(exc))
    with httpx.Client(base_url=args.url.rstrip("/"), timeout=args.timeout_s) as client:
        smoke = Smoke(client, args.admin_email, password, token, args.live_within_s)
        return run_steps(smoke)


def _prompt(email: str) -> str:
    if not sys.stdin.isatty():
        raise CliError(f"set {PASSWORD_ENV} (no terminal to ask for {email}'s password)")
    return getpass.getpass(f"password for {email}: ")


def run_steps(smoke: Smoke) -> int:
    """Every step in order until one fails; clean-up always. 0, or 1 naming the step."""
    failed: str | None = None
    for name, step in STEPS:
        if not _run(name, step, smoke):
            failed = name
            break
    for name, step in CLEANUP:
        if not _run(name, step, smoke) and failed is None:
            failed = name
    if failed is not None:
        print(f"smoke: FAILED at step '{failed}'", flush=True)
        return 1
    print("smoke: all steps passed", flush=True)
    return 0


def _run(name: str, step: Callable[[Smoke], str], smoke: Smoke) -> bool:
    import httpx

    started = time.perf_counter()
    try:
        detail, ok = step(smoke), True
    except StepFailed as exc:
        detail, ok = str(exc), False
    except httpx.HTTPError as exc:
        detail, ok = f"{type(exc).__name__} talking to the server", False
    ms = (time.perf_counter() - started) * 1000
    mark = "✓" if ok else "✗"
    print(f"{mark} {name:<18} {ms:8.1f} ms  {detail}", flush=True)
    return ok


def _expect(response: Any, status: int, what: str) -> Any:
    """The response's JSON when it has `status`, else StepFailed with the server's detail."""
    if response.status_code != status:
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = str(body.get("detail", ""))[:200] if isinstance(body, dict) else ""
        raise StepFailed(f"{what}: HTTP {response.status_code} {detail}".rstrip())
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def docs_load(smoke: Smoke) -> str:
    page = smoke.client.get("/docs")
    if page.status_code != 200 or "<html" not in page.text.lower():
        raise StepFailed(f"/docs: HTTP {page.status_code}")
    document = _expect(smoke.client.get("/openapi.json"), 200, "/openapi.json")
    if not isinstance(document, dict) or "/events" not in document.get("paths", {}):
        raise StepFailed("/openapi.json has no /events")
    return f"/docs and /openapi.json ({len(document['paths'])} paths)"


def sign_in(smoke: Smoke) -> str:
    if smoke.token is not None:
        me = _expect(smoke.client.get("/auth/me", headers=smoke.admin()), 200, "/auth/me")
        return f"token of {me.get('email', '?')}"
    body = {"email": smoke.email, "password": smoke.password}
    session = _expect(smoke.client.post("/auth/login", json=body), 200, "/auth/login")
    smoke.token, smoke.signed_in = session["access_token"], True
    if session["user"]["role"] != "superadmin":
        raise StepFailed(f"{smoke.email} is not a superadmin")
    return f"as {smoke.email}"


def provision(smoke: Smoke) -> str:
    c, admin = smoke.client, smoke.admin()
    name = f"metrica smoke {uuid.uuid4().hex[:8]}"
    body = {"name": name, "timezone": "UTC", "opening_hours": ALL_DAY}
    store = _expect(c.post("/admin/stores", json=body, headers=admin), 201, "create store")
    smoke.store_id = store["id"]
    body = {"store_id": smoke.store_id, "name": "smoke camera"}
    camera = _expect(c.post("/admin/cameras", json=body, headers=admin), 201, "create camera")
    smoke.camera_id = camera["id"]
    line = {"line_id": LINE_ID, "x1": 0.1, "y1": 0.5, "x2": 0.9, "y2": 0.5}
    lines_url = f"/admin/cameras/{smoke.camera_id}/lines"
    _expect(c.put(lines_url, json=[line], headers=admin), 200, "set lines")
    key_url = f"/admin/cameras/{smoke.camera_id}/key"
    smoke.key = _expect(c.post(key_url, headers=admin), 201, "issue key")["key"]
    return f"store '{name}', a camera, a line and a worker key"


def worker_posts(smoke: Smoke) -> str:
    now = datetime.now(UTC).isoformat()
    directions = ["in"] * EVENTS_IN + ["out"] * EVENTS_OUT
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "camera_id": smoke.camera_id,
            "line_id": LINE_ID,
            "direction": direction,
            "occurred_at": now,
            "track_id": track,
        }
        for track, direction in enumerate(directions, start=1)
    ]
    worker = {"X-Worker-Key": smoke.key or ""}
    answer = _expect(
        smoke.client.post("/events", json={"events": events}, headers=worker), 200, "/events"
    )
    if answer.get("accepted") != len(events):
        raise StepFailed(f"/events accepted {answer.get('accepted')} of {len(events)}")
    beat = {"fps": 10.0, "frames_processed": 1, "uptime_s": 1.0, "version": "smoke"}
    heartbeat_url = f"/cameras/{smoke.camera_id}/heartbeat"
    _expect(smoke.client.post(heartbeat_url, json=beat, headers=worker), 204, "heartbeat")
    return f"{len(events)} events and a heartbeat with the camera's key"


def camera_live(smoke: Smoke) -> str:
    """The live view shows the camera live and the events counted (within a deadline:
    a cache in front of the server may answer from a few seconds ago)."""
    deadline = time.monotonic() + smoke.live_within_s
    while True:
        live = _expect(
            smoke.client.get(f"/live/{smoke.store_id}", headers=smoke.admin()), 200, "/live"
        )
        states = [cam["status"] for cam in live["cameras"] if cam["id"] == smoke.camera_id]
        counted = (live["in_today"], live["out_today"]) == (EVENTS_IN, EVENTS_OUT)
        if states == ["live"] and counted:
            return f"camera live, {EVENTS_IN} in / {EVENTS_OUT} out counted"
        if time.monotonic() > deadline:
            raise StepFailed(
                f"camera {states[0] if states else 'missing'}, counted "
                f"{live['in_today']} in / {live['out_today']} out "
                f"(expected live, {EVENTS_IN} / {EVENTS_OUT})"
            )
        time.sleep(0.5)


def clean_up(smoke: Smoke) -> str:
    if smoke.store_id is None:
        return "nothing to delete"
    url = f"/admin/stores/{smoke.store_id}"
    _expect(smoke.client.delete(url, headers=smoke.admin()), 204, "delete store")
    smoke.store_id = None
    return "store deleted (camera and events with it)"


def sign_out(smoke: Smoke) -> str:
    if not smoke.signed_in:
        return "no session of ours to end"
    _expect(smoke.client.post("/auth/logout", headers=smoke.admin()), 204, "/auth/logout")
    return "session revoked"


STEPS: list[tuple[str, Callable[[Smoke], str]]] = [
    ("docs load", docs_load),
    ("sign in", sign_in),
    ("provision", provision),
    ("worker posts", worker_posts),
    ("camera live", camera_live),
]
CLEANUP: list[tuple[str, Callable[[Smoke], str]]] = [
    ("clean up", clean_up),
    ("sign out", sign_out),
]
