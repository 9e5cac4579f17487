from __future__ import annotations

from litestar import Controller, post

from ocrdesk.server.auth import issue_token, unauthorized
from ocrdesk.server.context import AppContext
from ocrdesk.server.schemas import LoginRequest, LoginResponse, TokenInfo


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/login", status_code=200, summary="Exchange an API key for a JWT")
    async def login(self, data: LoginRequest, ctx: AppContext) -> LoginResponse:
        key = await ctx.api_keys.authenticate(data.token)
        if key is None:
            raise unauthorized()
        token, expires_in = issue_token(ctx, key)
        return LoginResponse(
            access_token=token,
            expires_in=expires_in,
            token_info=TokenInfo(
                id=key.id,
                name=key.name,
                type=key.type,
                organization_id=key.organization_id,
                project_id=key.project_id,
                expires_at=key.expires_at,
            ),
        )
