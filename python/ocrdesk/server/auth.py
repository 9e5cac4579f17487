"""Who is calling: API keys (X-API-Key or Bearer), JWTs from /auth/login, and project scope.

Rules (SPEC §4.1): a missing, unknown, expired or revoked credential is 401. An organization
key must name a ``projectId`` of its organization; a project key may omit it but may not name
another. A ``projectId`` outside the key's scope is 401; a record of another project is 404.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import jwt
import msgspec

from ocrdesk.server.context import AppContext
from ocrdesk.server.errors import ApiError
from ocrdesk.store.ids import is_id, parse_iso
from ocrdesk.store.models import ApiKey, Project
from ocrdesk.store.repositories.api_keys import is_usable, looks_like_key

__all__ = ["Principal", "authenticate", "issue_token", "resolve_project", "unauthorized"]

JWT_ALGORITHM = "HS256"
JWT_AUDIENCE = "ocrdesk-openapi"


class Principal(msgspec.Struct, frozen=True):
    key: ApiKey
    via: str  # "api-key" or "jwt"

    @property
    def key_id(self) -> str:
        return self.key.id


def unauthorized(message: str = "Invalid or missing API key") -> ApiError:
    return ApiError(401, message)


def credential_from_headers(headers: Any) -> str | None:
    """The raw credential of a request: X-API-Key wins over Authorization: Bearer."""
    value = headers.get("x-api-key")
    if value:
        return value.strip()
    auth = headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


async def authenticate(ctx: AppContext, credential: str | None) -> Principal | None:
    """The principal for a raw key or a JWT; None when it is missing or not valid now."""
    if not credential:
        return None
    if looks_like_key(credential):
        key = await ctx.api_keys.authenticate(credential)
        return None if key is None else Principal(key=key, via="api-key")
    if credential.count(".") == 2:
        try:
            claims = jwt.decode(
                credential,
                ctx.settings.jwt_secret,
                algorithms=[JWT_ALGORITHM],
                audience=JWT_AUDIENCE,
                options={"require": ["exp", "sub", "iat"]},
            )
        except jwt.PyJWTError:
            return None
        key_id = claims.get("sub")
        if not is_id(key_id):
            return None
        key = await ctx.api_keys.get(key_id)
        # A token dies with its key: revoked or expired keys make their tokens useless too.
        if key is None or not is_usable(key):
            return None
        return Principal(key=key, via="jwt")
    return None


def issue_token(ctx: AppContext, key: ApiKey) -> tuple[str, int]:
    """(JWT, seconds until it expires); never outlives the key itself."""
    now = int(time.time())
    expires = now + ctx.settings.jwt_ttl_seconds
    if key.expires_at is not None:
        expires = min(expires, int(parse_iso(key.expires_at).timestamp()))
    claims = {"sub": key.id, "iat": now, "exp": expires, "aud": JWT_AUDIENCE, "typ": key.type}
    return jwt.encode(claims, ctx.settings.jwt_secret, algorithm=JWT_ALGORITHM), max(0, expires - now)


def expires_at_iso(seconds: int) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def resolve_project(ctx: AppContext, principal: Principal, project_id: str | None) -> Project:
    """The project a request acts in, checked against the key's scope."""
    key = principal.key
    if project_id is not None and project_id != "" and not is_id(project_id):
        raise ApiError(400, ["projectId must be a 24-character hex id"])
    if key.type == "project":
        assert key.project_id is not None
        if project_id and project_id != key.project_id:
            raise unauthorized("This key is not allowed to access that project")
        project = await ctx.projects.get(key.project_id)
    else:
        if not project_id:
            raise ApiError(400, ["projectId is required for organization keys"])
        project = await ctx.projects.get(project_id)
        if project is None or project.organization_id != key.organization_id:
            raise unauthorized("This key is not allowed to access that project")
    if project is None or not project.is_active:
        raise unauthorized("This key is not allowed to access that project")
    return project
