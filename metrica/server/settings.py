"""One typed settings object, read from the environment (prefix `METRICA_`)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "insecure-development-secret-change-me"
DEFAULT_DB_URL = "sqlite+aiosqlite:///./var/metrica.db"


class Settings(BaseSettings):
    """Backend configuration. Secrets come from the environment, never from the repo."""

    model_config = SettingsConfigDict(env_prefix="METRICA_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="`production` logs JSON and refuses default secrets."
    )
    database_url: str = Field(default=DEFAULT_DB_URL, description="SQLAlchemy async URL.")
    db_pool_size: int = Field(default=10, ge=1)
    secret_key: SecretStr = Field(
        default=SecretStr(DEFAULT_SECRET),
        description="Seeds the ES256 signing key and one-time-code hashes.",
    )
    public_url: str = Field(default="http://127.0.0.1:8000", description="For email links.")

    jwks_url: str | None = Field(
        default=None, description="External IdP JWKS; unset = the server is its own IdP."
    )
    jwt_issuer: str = "metrica"
    jwt_audience: str = "metrica"
    jwks_cache_s: float = Field(default=300.0, gt=0)
    token_ttl_s: int = Field(default=12 * 3600, gt=0)
    cookie_secure: bool = False

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "metrica@localhost"

    worker_key_cache_s: float = Field(default=5.0, ge=0, description="Key lookup cache TTL.")
    max_future_skew_s: float = Field(default=300.0, ge=0)
    snapshot_max_bytes: int = Field(default=2 * 1024 * 1024, gt=0)
    live_after_s: float = 120.0
    stale_after_s: float = 900.0

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key.get_secret_value() in (
            DEFAULT_SECRET,
            "",
        ):
            raise ValueError("METRICA_SECRET_KEY must be set outside development")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
