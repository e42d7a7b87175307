"""The HTTP server of the service: uvicorn, but a stop signal ends it and no more.

uvicorn restores the previous signal handlers and raises SIGTERM/SIGINT again once `serve()`
returns, so with its default handling the process dies there and the code after it (rollup
flush, forwarder buffer, journal) never runs. Here a signal only asks the server to stop; the
caller then shuts the station down in order and the process exits 0.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Generator, Sequence
from typing import Any

import uvicorn

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_S = 3


class StationServer(uvicorn.Server):
    def __init__(self, app: Any, host: str, port: int, trusted_proxies: Sequence[str] = ()) -> None:
        super().__init__(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="warning",
                # uvicorn believes X-Forwarded-For from loopback by default, so any local
                # process could name the address the audit trail records: only from the
                # proxies the config names
                proxy_headers=bool(trusted_proxies),
                forwarded_allow_ips=list(trusted_proxies),
                # a client that keeps its connection (a live page, a stream) must not hold the
                # station's shutdown: after this, its request is cancelled
                timeout_graceful_shutdown=GRACE_S,
            )
        )

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
