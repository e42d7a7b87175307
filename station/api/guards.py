"""Guards every endpoint inherits, so a route added later cannot forget them: a cap on the
size of a request body, validation errors that never echo what was sent (a password, a 20 MB
field) back to the client, and times outside what the station can hold answered 400."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from station.api.timefmt import TimeOutOfRange
from station.refusals import Refused

MAX_BODY_BYTES = 1 << 20
"""No request of this API needs more than a megabyte."""

EVERY_ROUTE: dict[int | str, dict[str, Any]] = {
    400: {"description": "a body that is not JSON, or a time the station cannot hold"},
    413: {"description": "a request body over 1 MiB"},
}
"""What any route may answer, whatever it does: documented once, for every route."""


class BodySizeLimit:
    """413 for a body over the cap, whether it announces its length or streams it."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0
        over = False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # the app sees the body end here; whatever it answers becomes the 413
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        answered = False

        async def reply(message: Message) -> None:
            nonlocal answered
            if not over:
                await send(message)
            elif not answered:
                answered = True
                await self._too_large(send)

        await self.app(scope, counted, reply)

    async def _too_large(self, send: Send) -> None:
        body = b'{"detail":"request body over %d bytes"}' % self.max_bytes
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _without_input(error: Any) -> dict[str, Any]:
    """Where and why, never what: the submitted value may be a password."""
    return {k: v for k, v in dict(error).items() if k in ("type", "loc", "msg")}


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        status_code=422, content={"detail": [_without_input(e) for e in exc.errors()]}
    )


async def time_out_of_range(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=400, content={"detail": str(exc)})


REFUSAL_STATUS = {"unknown": 404, "forbidden": 403, "conflict": 409}


async def refused(request: Request, exc: Exception) -> JSONResponse:
    """A domain refusal (already audited where it was made) as its HTTP status."""
    assert isinstance(exc, Refused)
    return JSONResponse(status_code=REFUSAL_STATUS[exc.kind], content={"detail": exc.why})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(TimeOutOfRange, time_out_of_range)
    app.add_middleware(BodySizeLimit)
