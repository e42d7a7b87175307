"""Real HTTP servers on loopback for the tests: an app served, a webhook receiver."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from fastapi import FastAPI, Request

from tests.harness.config import free_port


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    while not server.started:
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
