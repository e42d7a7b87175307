"""Real HTTP servers on loopback for the tests: an app served, a webhook receiver."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request

from tests.harness.config import free_port


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():  # it could not bind or start: say so instead of waiting for ever
            raise AssertionError(f"HTTP server on port {port} did not start: {task!r}")
        await asyncio.sleep(0.01)
    return server, task


async def webhook_receiver() -> tuple[
    list[dict[str, Any]], int, uvicorn.Server, asyncio.Task[None]
]:
    """A real HTTP receiver on loopback: what it was sent, its port, and its server to stop."""
    received: list[dict[str, Any]] = []
    hook = FastAPI()

    @hook.post("/hook")
    async def on_hook(request: Request) -> dict[str, bool]:
        received.append(await request.json())
        return {"ok": True}

    port = free_port()
    server, task = await serve(hook, port)
    return received, port, server, task


def account_password(user: str) -> str:
    """The password the tests give the accounts they make."""
    return f"{user}-pass-1"


def demo_password(user: str) -> str:
    """The password `station demo` gives its accounts (operator, leader, master)."""
    return f"{user}-demo"


def bearer(response: httpx.Response) -> dict[str, str]:
    """The Authorization header of a successful login."""
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def login(
    http: httpx.AsyncClient,
    user: str,
    password: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """Logs `user` in (the tests' password unless given): the header to act as them."""
    body = {"username": user, "password": password or account_password(user)}
    return bearer(await http.post("/api/login", json=body, headers=headers))


def login_sync(base: str, user: str, password: str | None = None) -> dict[str, str]:
    """The same, for a service run as a process (the demo's passwords by default)."""
    body = {"username": user, "password": password or demo_password(user)}
    return bearer(httpx.post(f"{base}/api/login", json=body, timeout=10))
