"""The operator page in Debian's Chromium, driven by Playwright, with screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.harness.config import free_port
from tests.harness.http import login_sync
from tests.harness.processes import spawn, wait_until

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


def serve(data: Path, *extra: str) -> tuple[Any, str]:
    port = free_port()
    proc = spawn("demo", "--port", str(port), "--data-dir", str(data), *extra)
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{base}/healthz", timeout=2).json()["status"] == "ok", 30,
               "demo healthy")  # fmt: skip
    return proc, base


def token(base: str, who: str) -> dict[str, str]:
    return login_sync(base, who)


def open_page(browser: Browser, base: str, who: str | None, size: tuple[int, int] = (1920, 1080),
              view: str = "") -> tuple[Page, list[str]]:  # fmt: skip
    """The page loaded (and logged in as `who`), with the errors it reports collected."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/")
    page.wait_for_selector("body[data-ready]")
    if who:
        page.click("#login")
        page.fill("input[name=username]", who)
        page.fill("input[name=password]", f"{who}-demo")
        page.click("dialog button.primary")
        expect(page.locator("#who")).to_contain_text(who)
    if view:
        page.goto(f"{base}/#{view}")
        page.wait_for_selector(f"main[data-view='{view.split('/')[0]}']")
    return page, errors


def shoot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
