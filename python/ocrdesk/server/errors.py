"""One exception-handler table: every error body is ``{statusCode, message, error}`` (SPEC §4.2)."""

from __future__ import annotations

import http
import logging
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

__all__ = ["ApiError", "error_body", "exception_handlers", "bad_request", "field_error"]

log = logging.getLogger("ocrdesk.server")


class ApiError(HTTPException):
    """An HTTP error whose ``detail`` is the message (a string or a list of field messages)."""

    def __init__(self, status_code: int, message: str | list[str], headers: dict[str, str] | None = None) -> None:
        super().__init__(detail="", status_code=status_code, headers=headers)
        self.message = message


def bad_request(*messages: str) -> ApiError:
    return ApiError(400, list(messages))


def field_error(field: str, problem: str) -> ApiError:
    return ApiError(400, [f"{field} {problem}"])


def phrase(status_code: int) -> str:
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def error_body(status_code: int, message: str | list[str]) -> dict[str, Any]:
    return {"statusCode": status_code, "message": message, "error": phrase(status_code)}


def _validation_messages(exc: ValidationException) -> list[str]:
    messages: list[str] = []
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    for item in extra:
        if isinstance(item, dict):
            key = item.get("key")
            text = str(item.get("message", "is invalid"))
            messages.append(f"{key} {_lower_first(text)}" if key else text)
        else:
            messages.append(str(item))
    if not messages:
        messages.append(_clean_detail(exc.detail) or "invalid request")
    return messages


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _clean_detail(detail: str) -> str:
    # Litestar puts the method and path in some details; the client knows those already.
    return detail.split(" for ", 1)[0] if detail.startswith("Validation failed") else detail


def _http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ApiError):
        message: str | list[str] = exc.message
    elif isinstance(exc, ValidationException):
        message = _validation_messages(exc)
    elif status >= 500:
        message = "Internal server error"
    else:
        message = exc.detail or phrase(status)
    headers = dict(exc.headers or {})
    return Response(content=error_body(status, message), status_code=status, media_type=MediaType.JSON, headers=headers)


def _internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        content=error_body(500, "Internal server error"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


exception_handlers = {
    HTTPException: _http_exception_handler,
    Exception: _internal_error_handler,
}
