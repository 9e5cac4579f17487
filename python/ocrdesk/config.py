"""Server settings: one object, read from ``OCRDESK_*`` environment variables; flags override.

Only the server, the queue and the ``serve``/``worker``/``admin`` commands read this; the OCR
library itself takes its options as arguments.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path
from typing import Any, Mapping

__all__ = ["Settings", "MiB"]

MiB = 1024 * 1024


def _default_workers() -> int:
    return os.cpu_count() or 1


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./ocrdesk-data")
    host: str = "127.0.0.1"
    port: int = 8000
    #: OCR jobs processed at once in this process; 0 = API only.
    workers: int = dataclasses.field(default_factory=_default_workers)
    max_upload_bytes: int = 50 * MiB
    max_pages: int = 2000
    max_megapixels: float = 100.0
    #: Requests per minute per API key (per client address when there is no valid key); 0 = off.
    rate_limit_per_minute: int = 60
    #: Lifetime of the JWT issued by ``POST /auth/login``.
    jwt_ttl_seconds: int = 3600
    #: Files per ``POST /batch/upload``.
    batch_max_files: int = 50
    #: Attempts before a job becomes ``failed``.
    max_attempts: int = 3
    #: OCR defaults for jobs.
    ocr_lang: str = "eng"
    ocr_mode: str = "auto"
    ocr_dpi: int = 300
    #: Absolute base URL for ``fileUrl`` (e.g. behind a proxy); default: the request's own URL.
    public_url: str | None = None
    #: How long an idle worker sleeps before looking for jobs written by another process.
    poll_interval: float = 1.0
    #: A worker that has not written a heartbeat for this long is presumed dead and its jobs re-queued.
    worker_stale_seconds: float = 30.0
    #: Webhooks: seconds per delivery attempt, attempts before a delivery is given up, and the first
    #: retry delay (doubled per attempt, with jitter, at most ``webhook_backoff_max``).
    webhook_timeout: float = 10.0
    webhook_max_attempts: int = 8
    webhook_backoff_base: float = 5.0
    webhook_backoff_max: float = 3600.0
    #: Comma-separated hosts or networks (CIDR) webhooks may reach despite the link-local/metadata ban.
    webhook_allow: str = ""
    #: How often background tasks look for new events and due deliveries (other processes write them too).
    events_poll_interval: float = 0.5
    #: Seconds between SSE heartbeat comments.
    sse_heartbeat_seconds: float = 15.0
    #: Events and delivery logs are kept this long; SSE ``Last-Event-ID`` resumes within it.
    event_retention_days: float = 30.0
    #: How often the file retention job runs, and how recently a stored file must not have been
    #: (re-)uploaded for the job to delete it.
    retention_interval_seconds: float = 3600.0
    retention_grace_seconds: float = 3600.0

    # --- derived paths -------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.data_dir / "ocrdesk.db"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir.mkdir(parents=True, exist_ok=True)

    @property
    def jwt_secret(self) -> bytes:
        """A random secret kept in the data dir (mode 0600), created on first use.

        Persisting it means tokens survive a restart; ``OCRDESK_JWT_SECRET`` overrides it.
        """
        env = os.environ.get("OCRDESK_JWT_SECRET")
        if env:
            return env.encode()
        path = self.data_dir / "jwt_secret"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            pass
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process won the race
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret)
        return secret

    # --- construction --------------------------------------------------------------------
    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Defaults, then ``OCRDESK_<FIELD>`` environment variables, then non-None ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = env.get("OCRDESK_" + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = _convert(field, raw)
        for name, value in (overrides or {}).items():
            if value is not None:
                values[name] = value
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])
        settings = cls(**values)
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def validate(self) -> None:
        problems = []
        if not (0 <= self.port <= 65535):
            problems.append("port must be between 0 and 65535")
        if self.workers < 0:
            problems.append("workers must be 0 or more")
        if self.max_upload_bytes <= 0:
            problems.append("max_upload_bytes must be positive")
        if self.rate_limit_per_minute < 0:
            problems.append("rate_limit_per_minute must be 0 (off) or more")
        if self.max_attempts < 1:
            problems.append("max_attempts must be at least 1")
        if self.webhook_max_attempts < 1 or self.webhook_timeout <= 0 or self.webhook_backoff_base < 0:
            problems.append("webhook_max_attempts must be at least 1, webhook_timeout positive, webhook_backoff_base 0 or more")
        if problems:
            raise ValueError("; ".join(problems))


def _convert(field: dataclasses.Field[Any], raw: str) -> Any:
    kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", str(field.type))
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError:
        raise ValueError(f"OCRDESK_{field.name.upper()}: {raw!r} is not a valid {kind}") from None
    return raw
