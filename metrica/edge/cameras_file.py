"""`cameras.yaml`: the cameras one edge box counts, validated with line-numbered errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from metrica.edge.settings import checked_api_url, checked_camera_id


class CameraEntry(BaseModel):
    """One camera: where its video comes from and how its worker reaches the backend."""

    model_config = ConfigDict(extra="forbid")

    camera_id: str = Field(description="The camera's UUID from the admin app.")
    source: str = Field(min_length=1, description="Video file, stream URL or webcam index.")
    name: str | None = Field(default=None, description="Label for log lines.")
    api_url: str | None = Field(default=None, description="Overrides the file's api_url.")
    key: str | None = Field(default=None, description="Worker key (prefer key_file).")
    key_file: Path | None = Field(default=None, description="File holding the worker key.")
    key_env: str | None = Field(default=None, description="Environment variable with the key.")
    model: str | None = Field(default=None, description="Overrides the file's model.")
    lines: list[str] = Field(default_factory=list, description="Local default --line specs.")
    outbox: Path | None = Field(default=None, description="Outbox file for this camera.")
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    args: list[str] = Field(default_factory=list, description="More `metrica worker` flags.")

    @field_validator("camera_id")
    @classmethod
    def _camera_uuid(cls, value: str) -> str:
        return checked_camera_id(value)

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else checked_api_url(value)

    @model_validator(mode="after")
    def _one_key(self) -> CameraEntry:
        given = [k for k in (self.key, self.key_file, self.key_env) if k]
        if len(given) != 1:
            raise ValueError("give exactly one of key, key_file, key_env")
        if self.key_env and not os.environ.get(self.key_env):
            raise ValueError(f"environment variable {self.key_env} is not set")
        return self


class RestartPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_s: float = Field(default=1.0, gt=0, description="Delay after a first crash.")
    cap_s: float = Field(default=60.0, gt=0, description="Longest delay between restarts.")
    window_s: float = Field(
        default=600.0, gt=0, description="Crashes older than this count no more."
    )


class CamerasFile(BaseModel):
    """The whole `cameras.yaml`: defaults for every camera, then the cameras."""

    model_config = ConfigDict(extra="forbid")

    api_url: str | None = Field(default=None, description="Backend URL for every camera.")
    model: str | None = Field(default=None, description="Model for every camera.")
    args: list[str] = Field(default_factory=list, description="Flags for every worker.")
    restart: RestartPolicy = Field(default_factory=RestartPolicy)
    stop_timeout_s: float = Field(default=30.0, gt=0, description="Flush time on stop.")
    cameras: list[CameraEntry] = Field(min_length=1)

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else checked_api_url(value)

    @model_validator(mode="after")
    def _consistent(self) -> CamerasFile:
        ids = [c.camera_id for c in self.cameras]
        if len(set(ids)) != len(ids):
            raise ValueError("camera_id values must be unique")
        for camera in self.cameras:
            if not (camera.api_url or self.api_url):
                raise ValueError(f"camera {camera.camera_id}: no api_url (set one at the top)")
        return self


class ConfigError(ValueError):
    """A cameras file that cannot be used; the message names the line."""


def load_cameras(path: Path) -> CamerasFile:
    """Parse and validate `cameras.yaml`; errors point at the line of the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        return CamerasFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if p != "__root__"]
        where = ".".join(str(p) for p in loc) or "file"
        line = line_of(root, loc)
        at = f"{path}:{line}" if line else str(path)
        raise ConfigError(f"{at}: {where}: {first['msg']}") from None


def line_of(node: Any, loc: list[Any]) -> int | None:
    """1-based line of the YAML node at `loc` (or of its nearest existing parent)."""
    if node is None:
        return None
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        node = child
    return int(node.start_mark.line) + 1
