"""API keys: ``ocr_`` + 40 url-safe characters; only a sha256 hash is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import sqlite3
import string

from ocrdesk.store.cache import EpochCache
from ocrdesk.store.db import Database
from ocrdesk.store.ids import new_id, now_iso, to_iso
from ocrdesk.store.models import ApiKey

__all__ = ["ApiKeys", "hash_key", "new_raw_key", "KEY_PREFIX", "looks_like_key"]

KEY_PREFIX = "ocr_"
_ALPHABET = string.ascii_letters + string.digits + "-_"

INSERT = """
INSERT INTO api_keys (id, key_hash, key_prefix, name, type, organization_id, project_id, expires_at, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
BY_HASH = "SELECT * FROM api_keys WHERE key_hash = ?"
BY_ID = "SELECT * FROM api_keys WHERE id = ?"
REVOKE = "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
COUNT = "SELECT count(*) FROM api_keys"


def new_raw_key() -> str:
    return KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(40))


def looks_like_key(value: str) -> bool:
    return value.startswith(KEY_PREFIX) and len(value) == len(KEY_PREFIX) + 40


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _row(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        type=row["type"],
        organization_id=row["organization_id"],
        project_id=row["project_id"],
        key_prefix=row["key_prefix"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        created_at=row["created_at"],
    )


def is_usable(key: ApiKey, now: str | None = None) -> bool:
    """Not revoked and not expired (times compare as text: same ISO format)."""
    if key.revoked_at is not None:
        return False
    return key.expires_at is None or key.expires_at > (now or now_iso())


class ApiKeys:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._by_hash: EpochCache[ApiKey] = EpochCache(db)

    async def create(
        self,
        *,
        name: str,
        organization_id: str,
        project_id: str | None = None,
        expires_days: float | None = None,
        expires_at: str | None = None,
    ) -> tuple[str, ApiKey]:
        """Returns (raw key, stored key). The raw key is shown once and never stored."""
        raw = new_raw_key()
        now = now_iso()
        if expires_days is not None:
            expires_at = to_iso(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=expires_days))
        key_type = "project" if project_id else "organization"
        key_id = new_id()
        await self.db.execute(
            INSERT,
            (key_id, hash_key(raw), raw[:8], name, key_type, organization_id, project_id, expires_at, now),
        )
        key = await self.get(key_id)
        assert key is not None
        return raw, key

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self.db.lookup(BY_ID, (key_id,))
        return _row(row) if row else None

    async def authenticate(self, raw: str) -> ApiKey | None:
        """The usable key whose hash matches ``raw``, else None (unknown, expired or revoked)."""
        if not looks_like_key(raw):
            return None
        digest = hash_key(raw)
        key, epoch = self._by_hash.get(digest)
        if key is None:
            row = await self.db.lookup(BY_HASH, (digest,))
            # The index lookup finds the candidate; the constant-time compare is the check.
            if row is None or not hmac.compare_digest(row["key_hash"], digest):
                return None
            key = _row(row)
            self._by_hash.put(digest, key, epoch)
        # Expiry is checked on every use, cached or not.
        return key if is_usable(key) else None

    async def revoke(self, key_id: str) -> bool:
        revoked = await self.db.execute(REVOKE, (now_iso(), key_id)) > 0
        self.db.bump_credentials_epoch()  # every process forgets the keys it keeps
        return revoked

    async def count(self) -> int:
        return int(await self.db.fetchval(COUNT))
