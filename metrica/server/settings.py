"""One typed settings object, read from the environment (prefix `METRICA_`)."""

from __future__ import annotations

import base64
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from limits import parse_many
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from metrica.domain.limits import EVENTS_MAX_BODY_BYTES, RAW_EVENTS_MIN_DAYS, SNAPSHOT_MAX_BYTES

DEFAULT_SECRET = "insecure-development-secret-change-me"
DEFAULT_DB_URL = "sqlite+aiosqlite:///./var/metrica.db"


class Settings(BaseSettings):
    """Backend configuration. Secrets come from the environment, never from the repo."""

    model_config = SettingsConfigDict(env_prefix="METRICA_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="`production` logs JSON and refuses default secrets."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="INFO logs every request; WARNING only problems."
    )
    database_url: str = Field(default=DEFAULT_DB_URL, description="SQLAlchemy async URL.")
    clock_start: datetime | None = Field(
        default=None,
        description="Test only (refused in production): the server's clock reads this "
        "(ISO 8601 with an offset) at `clock_started_at`, then advances with the wall "
        "clock. The end-to-end tests pin the date and hour with it.",
    )
    clock_started_at: float | None = Field(
        default=None,
        ge=0,
        description="Unix seconds at which the clock read `clock_start` (default: when the "
        "process started), so that every process of a test run shares one clock.",
    )
    db_pool_size: int = Field(default=10, ge=1)
    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET),
        description="Seeds the ES256 signing key and one-time-code hashes.",
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="The API's own URL.")
    web_url: str | None = Field(
        default=None,
        description="Where the web app lives, for links in emails; unset = `{public_url}/app`.",
    )

    jwks_url: str | None = Field(
        default=None, description="External IdP JWKS; unset = the server is its own IdP."
    )
    jwt_issuer: str = "metrica"
    jwt_audience: str = "metrica"
    jwks_cache_s: float = Field(default=300.0, gt=0)
    token_ttl_s: int = Field(default=12 * 3600, gt=0)
    idp_link_verified_email: bool = Field(
        default=True,
        description="External IdP: the first sign-in of an IdP account whose token says "
        "`email_verified: true` binds it to the Metrica user with that email, if that user "
        "has no IdP account yet. Off: only accounts bound already sign in.",
    )
    cookie_secure: bool = False
    cookie_samesite: Literal["lax", "strict", "none"] = Field(
        default="lax",
        description="`none` lets a web app on another site send the cookie (implies Secure).",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins (scheme://host[:port]) allowed to call the API with credentials; "
        "comma-separated in the environment; empty = no CORS.",
    )

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "metrica@localhost"

    password_hash_concurrency: int = Field(
        default=2, ge=1, le=64, description="Password hashes computed at once (threads)."
    )
    rate_limit_redis_url: SecretStr | None = Field(
        default=None,
        description="redis://host:port/db shared by every server process for sign-in rate "
        "limits; unset = each process counts on its own.",
    )
    rate_limit_key_prefix: str = Field(default="metrica", min_length=1, max_length=64)
    rate_limit_sign_in_per_account: str = "10/minute;50/hour"
    rate_limit_sign_in_per_address: str = "30/minute;300/hour"
    rate_limit_code_request_per_account: str = "3/10 minutes;10/day"
    rate_limit_code_request_per_address: str = "10/10 minutes;50/day"
    rate_limit_code_verify_per_account: str = "10/hour;30/day"
    rate_limit_code_verify_per_address: str = "30/hour;100/day"
    rate_limit_test_alert_per_store: str = Field(
        default="1/minute;20/day",
        description="`POST /stores/{id}/alerts/test`: test notices a store may send.",
    )
    rate_limit_test_alert_per_address: str = "5/minute;50/day"

    worker_key_cache_s: float = Field(default=5.0, ge=0, description="Key lookup cache TTL.")
    max_future_skew_s: float = Field(default=300.0, ge=0)
    snapshot_max_bytes: int = Field(default=SNAPSHOT_MAX_BYTES, gt=0)
    events_max_body_bytes: int = Field(
        default=EVENTS_MAX_BODY_BYTES, gt=0, description="`POST /events` body cap (413 over)."
    )
    auth_max_body_bytes: int = Field(
        default=8 * 1024, gt=0, description="Body cap of the /auth/ routes (413 over)."
    )
    max_body_bytes: int = Field(
        default=64 * 1024, gt=0, description="Body cap of every other route (413 over)."
    )
    hsts_max_age_s: int = Field(
        default=0,
        ge=0,
        description="> 0: answers over HTTPS carry Strict-Transport-Security with this max-age.",
    )
    live_after_s: float = 120.0
    fleet_secrets_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys for camera sources at rest; the first "
        "encrypts, all decrypt (rotation). Unset = one key derived from secret_key.",
    )
    fleet_enrolment_ttl_s: int = Field(
        default=3600, ge=60, le=7 * 86400, description="Default lifetime of enrolment tokens."
    )
    fleet_offline_after_s: float = Field(
        default=120.0, gt=0, description="A box is offline this long after its last heartbeat."
    )
    stale_after_s: float = 900.0

    # Data lifecycle (docs/backup-and-retention.md). 0 days = keep forever.
    retention_enabled: bool = Field(
        default=True, description="Run retention inside the server every `retention_interval_s`."
    )
    retention_interval_s: float = Field(default=6 * 3600.0, ge=60)
    retention_batch_size: int = Field(
        default=5000, ge=1, le=100_000, description="Rows per delete (one transaction each)."
    )
    retention_raw_events_days: int = Field(
        default=90,
        ge=0,
        description="Raw events are kept this long; the hourly rollup keeps the history. "
        f"At least {RAW_EVENTS_MIN_DAYS} (the month view's same-time comparison and live "
        "occupancy read raw events), or 0.",
    )
    retention_heartbeats_days: int = Field(
        default=90, ge=0, description="A camera's last heartbeat, once older than this."
    )
    retention_snapshots_days: int = Field(
        default=30, ge=0, description="A camera's last snapshot (an image of people), once older."
    )
    retention_expired_auth_days: int = Field(
        default=7,
        ge=0,
        description="Revoked tokens, login codes and invitations this long past their expiry.",
    )
    retention_backup_runs_days: int = Field(default=400, ge=0, description="The backup log.")
    retention_alert_log_days: int = Field(
        default=400, ge=0, description="Ended alerts and the record of weekly reports sent."
    )

    var_dir: Path = Field(
        default=Path("./var"),
        description="The server's own files (the default SQLite database lives here); "
        "/health/deep checks its disk and /metrics reports its free space.",
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="redis://host:port/db the server uses; /health/deep pings it (or "
        "`rate_limit_redis_url` when only that is set).",
    )
    mqtt_url: str | None = Field(
        default=None,
        max_length=300,
        description="mqtt(s)://host[:port] of the broker boxes ship to; set = `metrica serve` "
        "runs the MQTT consumer (events and heartbeats in, retained config out).",
    )
    mqtt_username: str = Field(default="metrica-server", max_length=100)
    mqtt_password: SecretStr | None = Field(
        default=None, description="The backend's broker password (see `metrica mqtt acl`)."
    )
    mqtt_client_id: str = Field(
        default="metrica-ingest",
        max_length=100,
        description="Fixed, so the broker keeps this consumer's session (and queues for it "
        "while it is down); give each backend replica its own.",
    )
    mqtt_config_push_s: float = Field(
        default=5.0, gt=0, le=3600, description="How often box configs are compared and pushed."
    )
    ops_token: SecretStr | None = Field(
        default=None,
        min_length=24,
        description="A bearer token (`Authorization: Bearer ...`) that may call /health/deep "
        "besides a superadmin, for monitoring; unset = superadmins only.",
    )
    health_check_timeout_s: float = Field(
        default=3.0, gt=0, le=60, description="Each /health/deep check's own time limit."
    )
    health_disk_min_free_percent: float = Field(
        default=10.0,
        ge=0,
        le=100,
        description="/health/deep fails the disk check below this share of free space.",
    )
    metrics_refresh_s: float = Field(
        default=15.0,
        ge=0,
        description="/metrics recounts camera states at most this often (a database query).",
    )
    shutdown_timeout_s: int = Field(
        default=30,
        gt=0,
        le=600,
        description="On SIGTERM, how long requests in flight may still run before the "
        "server closes their connections.",
    )

    policy_file: Path | None = Field(
        default=None,
        description="The global privacy policy (YAML, docs/policies.md); a bad file stops "
        "the start with its line and the reason.",
    )
    policy_dir: Path | None = Field(
        default=None,
        description="Per-store privacy policies: `<store id>.yaml` files, each `rules:` "
        "applied after the global ones.",
    )
    blob_dir: Path = Field(
        default=Path("./var/blobs"), description="Local blob storage (uploads, plate crops)."
    )
    blob_s3_bucket: str | None = Field(
        default=None, max_length=63, description="Set: blobs go to this S3-compatible bucket."
    )
    blob_s3_endpoint: str | None = Field(
        default=None, description="S3-compatible endpoint URL (MinIO...); unset = AWS."
    )
    blob_s3_region: str = "us-east-1"
    blob_s3_prefix: str = Field(default="", max_length=200, description="Key prefix in the bucket.")
    blob_s3_access_key_id: SecretStr | None = None
    blob_s3_secret_access_key: SecretStr | None = None

    recording_max_bytes: int = Field(
        default=300 * 1024**2,
        gt=0,
        description="Cap of one audit clip, from a worker or uploaded by hand (413 over).",
    )
    retention_recordings_days: int = Field(
        default=14, ge=1, le=365, description="Audit clips (images of people) are deleted after."
    )
    recordings_retention_interval_s: float = Field(
        default=3600.0, gt=0, description="How often expired audit clips are deleted."
    )
    plates_upload_max_bytes: int = Field(
        default=2 * 1024**3, gt=0, description="`POST /plates/uploads` cap (413 over)."
    )
    queue_redis_url: SecretStr | None = Field(
        default=None,
        description="redis://host:port/db of the plate job queue (SAQ); plate workers "
        "(`metrica plates-worker`) run the jobs. Unset = jobs run inside the server.",
    )
    queue_name: str = Field(default="metrica-plates", min_length=1, max_length=64)
    plates_embedded_concurrency: int = Field(
        default=1, ge=1, le=16, description="Plate jobs run at once inside the server."
    )
    plates_job_attempts: int = Field(
        default=3, ge=1, le=20, description="Tries per plate job before it is `failed`."
    )
    plates_retry_delay_s: float = Field(
        default=5.0, ge=0, le=3600, description="First retry delay; doubles every try."
    )
    plates_job_heartbeat_s: int = Field(
        default=30, ge=1, description="A queued job whose worker is silent this long reruns."
    )
    plates_queue_sweep_s: int = Field(
        default=10, ge=1, description="How often workers look for jobs of dead workers."
    )
    plates_retention_interval_s: float = Field(
        default=3600.0, gt=0, description="How often expired plate reads and crops are purged."
    )
    plates_webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    plates_webhook_allow_private: bool = Field(
        default=False,
        description="Let watchlist webhooks reach loopback and private addresses (a receiver "
        "on the same network); off, such webhooks are not called (no SSRF into the LAN).",
    )

    alerts_enabled: bool = Field(
        default=True, description="Evaluate store alerts inside the server (docs/alerts.md)."
    )
    alerts_interval_s: float = Field(
        default=60.0, ge=5, le=3600, description="How often store alerts are evaluated."
    )
    alerts_webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    alerts_webhook_tries: int = Field(default=3, ge=1, le=10)
    alerts_webhook_backoff_s: float = Field(
        default=1.0, ge=0, le=60, description="Wait before the 2nd webhook try; doubles after."
    )
    alerts_webhook_allow_private: bool = Field(
        default=False,
        description="Let alert webhooks reach loopback and private addresses; off, such "
        "webhooks are not called (no SSRF into the LAN).",
    )
    reports_enabled: bool = Field(
        default=True, description="Send the weekly report (Monday 08:00 store time)."
    )
    reports_interval_s: float = Field(
        default=900.0, ge=5, le=86400, description="How often due weekly reports are looked for."
    )
    smtp_ssl: bool = Field(default=False, description="Implicit TLS (SMTPS, port 465).")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: list[str]) -> list[str]:
        checked = []
        for origin in origins:
            parts = urlsplit(origin)
            if origin == "*":
                raise ValueError("'*' is not allowed: credentials need explicit origins")
            extra = parts.path not in ("", "/") or parts.query or parts.fragment
            if parts.scheme not in ("http", "https") or not parts.netloc or extra:
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com")
            checked.append(f"{parts.scheme}://{parts.netloc}".lower())
        return checked

    @field_validator(
        "rate_limit_sign_in_per_account",
        "rate_limit_sign_in_per_address",
        "rate_limit_code_request_per_account",
        "rate_limit_code_request_per_address",
        "rate_limit_code_verify_per_account",
        "rate_limit_code_verify_per_address",
        "rate_limit_test_alert_per_store",
        "rate_limit_test_alert_per_address",
    )
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        """`limits` notation: `N/period` or `N per M periods`, several joined by `;`."""
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate limit like '10/minute;50/hour'") from None
        return value

    @field_validator("retention_raw_events_days")
    @classmethod
    def _check_raw_events_days(cls, days: int) -> int:
        if 0 < days < RAW_EVENTS_MIN_DAYS:
            raise ValueError(
                f"raw events must be kept at least {RAW_EVENTS_MIN_DAYS} days (0 = forever): "
                "dashboards read them that far back"
            )
        return days

    @field_validator("fleet_secrets_keys")
    @classmethod
    def _check_fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        """Each key is 32 bytes in URL-safe base64 (`Fernet.generate_key()`)."""
        if value is None:
            return None
        keys = [k.strip() for k in value.get_secret_value().split(",") if k.strip()]
        for i, key in enumerate(keys):
            try:
                ok = len(base64.urlsafe_b64decode(key.encode())) == 32
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"key {i + 1} is not a Fernet key (32 bytes, URL-safe base64)")
        return value if keys else None

    @field_validator("clock_start")
    @classmethod
    def _aware_clock(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the clock start with its UTC offset (…+00:00)")
        return value

    @model_validator(mode="after")
    def _refuse_pinned_clock_in_production(self) -> Settings:
        if self.environment == "production" and self.clock_start is not None:
            raise ValueError("METRICA_CLOCK_START is for tests; production runs on real time")
        return self

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key.get_secret_value() in (
            DEFAULT_SECRET,
            "",
        ):
            raise ValueError("METRICA_SECRET_KEY must be set outside development")
        return self

    @property
    def body_limits(self) -> list[tuple[str, int]]:
        """(path pattern, body cap) per route family; `max_body_bytes` covers the rest."""
        return [
            (r"/events$", self.events_max_body_bytes),
            (r"/auth/", self.auth_max_body_bytes),
            (r"/cameras/[^/]+/snapshot$", self.snapshot_max_bytes),
            (r"/plates/uploads$", self.plates_upload_max_bytes),
            (r"(/admin)?/cameras/[^/]+/recordings/([^/]+/clip|upload)$", self.recording_max_bytes),
        ]

    @property
    def web_app_url(self) -> str:
        """Base URL of the web app, without a trailing slash (invitation links start here)."""
        return (self.web_url or f"{self.public_url.rstrip('/')}/app").rstrip("/")

    @property
    def external_idp(self) -> bool:
        """Whether an external identity provider signs the tokens (no local sign-in)."""
        return self.jwks_url is not None

    @property
    def session_cookie_secure(self) -> bool:
        """Browsers drop a SameSite=None cookie that is not Secure."""
        return self.cookie_secure or self.cookie_samesite == "none"


@lru_cache
def get_settings() -> Settings:
    return Settings()
