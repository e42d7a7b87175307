"""OPC UA device driver: one session per device, supervised.

Subscriptions by default: each tag a monitored item with its own sampling interval, queue
size and deadband, so values arrive when they change. Polling (batched Read within the
server's MaxNodesPerRead) for servers that cannot subscribe. Any loss (server restart,
network drop, keep-alive failure) marks every tag comm-loss, then a fresh session and a
fresh subscription are built with backoff: a restarted server has forgotten the old
subscription, so nothing is resumed on trust. Nodes the server rejects (a wrong node id)
are retried every `node_retry_s` while the rest run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC
from typing import Any

import numpy as np
from asyncua import Client, Node, ua
from asyncua.common.subscription import DataChangeNotif, Subscription

from drivers.opcua.security import apply_security
from drivers.opcua.settings import OpcUaSettings
from drivers.opcua.status import point_status
from drivers.reading import PointChange, PointStatus, ReadResult

log = logging.getLogger(__name__)
_OFFSET_WINDOW = 200
"""Recent values over which the source clock's offset is taken (median)."""


def failure_text(exc: Exception) -> str:
    """The reason as an operator can act on it: a refused login or an untrusted certificate
    by its name, not only as communication loss."""
    if isinstance(exc, ua.UaStatusCodeError):
        return f"{ua.StatusCode(exc.code).name}: {exc}"
    return f"{type(exc).__name__}: {exc}"


def as_float(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return math.nan


class OpcUaPoller:
    def __init__(
        self,
        settings: OpcUaSettings,
        monotonic: Callable[[], float] = time.monotonic,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        """`now_ms` is the service's clock: received times and status changes the driver
        concludes itself (a lost session) are stamped with it."""
        self.settings = settings
        self._monotonic = monotonic
        self._now_ms = now_ms
        self._changes: list[PointChange] = []
        self._offsets: deque[int] = deque(maxlen=_OFFSET_WINDOW)
        self._started = False
        n = len(settings.nodes)
        self._values = np.full(n, np.nan)
        # until the first session attempt has ended (its timeout included) nothing is known,
        # and nothing is lost either: no comm-loss alarm at start-up
        self._status = np.full(n, PointStatus.INITIAL, dtype=np.uint8)
        self._client: Client | None = None
        self._nodes: list[Node] = []
        self._subscription: Subscription | None = None
        self._lost = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ready = False
        self._read_limit = settings.max_nodes_per_read or 1000
        self._unknown: set[int] = set()
        self.last_error: str | None = None
        self.notifications = 0
        self.item_notifications = np.zeros(n, dtype=np.int64)
        self.sessions = 0
        """Sessions opened so far: more than one means the driver has recovered."""
        self.last_source_ts: float | None = None

    @property
    def connected(self) -> bool:
        return self._ready

    @property
    def clock_offset_s(self) -> float | None:
        if not self._offsets:
            return None
        return float(np.median(np.fromiter(self._offsets, dtype=np.int64))) / 1000

    async def read(self) -> ReadResult:
        if self._task is None:
            self._task = asyncio.create_task(
                self._supervise(), name=f"opcua {self.settings.endpoint}"
            )
        if not self._started:
            self._started = True
            self._set_all(PointStatus.INITIAL)
        if self.settings.mode == "polling":
            if self._ready:
                await self._poll()
            return ReadResult(self._values.copy(), self._status.copy(), reached=self._ready)
        changes, self._changes = tuple(self._changes), []
        return ReadResult(
            self._values.copy(),
            self._status.copy(),
            reached=self._ready,
            changes=changes,
            clock_offset_s=self.clock_offset_s,
        )

    def _set(self, i: int, status: PointStatus, value: float, source_ms: int | None) -> None:
        """Every value and status the device goes through, kept for the next read."""
        received = self._now_ms()
        ts = received if source_ms is None else source_ms
        if source_ms is not None:
            self._offsets.append(source_ms - received)
        self._status[i] = status
        if status in (PointStatus.OK, PointStatus.SOURCE_UNCERTAIN):
            self._values[i] = value
        if self.settings.mode == "subscription":  # polling reads take the snapshot instead
            self._changes.append(PointChange(i, ts, value, status, received))

    def _set_all(self, status: PointStatus) -> None:
        for i in range(len(self._status)):
            self._set(i, status, math.nan, None)

    # -- session supervision ----------------------------------------------------------
    async def _supervise(self) -> None:
        backoff = self.settings.backoff_initial_s
        while True:
            try:
                await self._open()
                backoff = self.settings.backoff_initial_s
                await self._run_until_lost()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: the session is gone, rebuild it
                self.last_error = failure_text(exc)
                log.debug("%s: %s", self.settings.endpoint, self.last_error)  # logged once upstream
            self._ready = False
            self._set_all(PointStatus.NO_RESPONSE)
            await self._close_client()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.backoff_max_s)

    async def _open(self) -> None:
        s = self.settings
        client = Client(
            s.endpoint, timeout=s.timeout_s, watchdog_intervall=max(0.5, s.timeout_s / 2)
        )
        if s.username:
            client.set_user(s.username)
            client.set_password(s.password or "")
        await apply_security(client, s.security)
        self._lost = asyncio.Event()

        async def lost(exc: Exception) -> None:
            self.last_error = f"connection lost: {exc!r}"
            self._lost.set()

        client.connection_lost_callback = lost
        self._client = client
        await client.connect()
        self.sessions += 1
        self._nodes = [client.get_node(n.node_id) for n in s.nodes]
        if s.max_nodes_per_read is None:
            self._read_limit = await self._server_read_limit(client)
        if s.mode == "subscription":
            await self._subscribe(client, range(len(self._nodes)))
        else:
            self._unknown = set()
            await self._poll()
        self._ready = True
        self.last_error = None
        log.info("%s: session open (%s)", s.endpoint, s.mode)

    async def _run_until_lost(self) -> None:
        while True:
            retry = self.settings.node_retry_s if self._unknown else None
            try:
                await asyncio.wait_for(self._lost.wait(), timeout=retry)
            except TimeoutError:
                await self._retry_unknown()
                continue
            raise ConnectionError(self.last_error or "connection lost")

    async def _close_client(self) -> None:
        client, self._client, self._subscription = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.disconnect(), timeout=self.settings.timeout_s)

    @staticmethod
    async def _server_read_limit(client: Client) -> int:
        try:
            limit = await client.get_node(
                ua.NodeId(ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead)
            ).read_value()
        except Exception:
            return 1000
        return int(limit) if limit else 1000

    # -- subscription mode ------------------------------------------------------------
    def datachange_notification(self, node: Node, val: Any, data: DataChangeNotif) -> None:
        item = data.monitored_item
        i = item.ClientHandle - 1
        dv = item.Value
        status = point_status(dv.StatusCode or ua.StatusCode())
        stamp = dv.SourceTimestamp or dv.ServerTimestamp
        if stamp is not None and stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)  # OPC UA DateTime is UTC
        source_ms = round(stamp.timestamp() * 1000) if stamp is not None else None
        self._set(i, status, as_float(dv.Value.Value if dv.Value is not None else None), source_ms)
        self.notifications += 1
        self.item_notifications[i] += 1
        if dv.SourceTimestamp is not None:
            self.last_source_ts = dv.SourceTimestamp.timestamp()

    def status_change_notification(self, status: ua.StatusChangeNotification) -> None:
        self.last_error = f"subscription status {status.Status}"
        self._lost.set()

    async def _subscribe(self, client: Client, indices: range | list[int]) -> None:
        s = self.settings
        if self._subscription is None:
            self._subscription = await client.create_subscription(
                s.publishing_interval_s * 1000, self
            )
            self._unknown = set()
        requests = [self._item_request(i) for i in indices]
        for chunk in range(0, len(requests), 1000):
            batch = requests[chunk : chunk + 1000]
            results = await self._subscription.create_monitored_items(batch)
            for req, res in zip(batch, results, strict=True):
                i = req.RequestedParameters.ClientHandle - 1
                if isinstance(res, ua.StatusCode):
                    self._set(i, point_status(res), math.nan, None)
                    if self._status[i] == PointStatus.UNKNOWN_POINT:
                        self._unknown.add(i)
                    log.warning("%s: %s rejected: %s", s.endpoint, s.nodes[i].node_id, res.name)
                else:
                    self._unknown.discard(i)

    def _item_request(self, i: int) -> ua.MonitoredItemCreateRequest:
        spec = self.settings.nodes[i]
        params = ua.MonitoringParameters()
        params.ClientHandle = i + 1
        interval = spec.sampling_interval_s
        params.SamplingInterval = (
            interval if interval is not None else self.settings.sampling_interval_s
        ) * 1000
        params.QueueSize = spec.queue_size
        params.DiscardOldest = True
        if spec.deadband is not None:
            flt = ua.DataChangeFilter()
            flt.Trigger = ua.DataChangeTrigger.StatusValue
            flt.DeadbandType = 1 if spec.deadband[0] == "absolute" else 2
            flt.DeadbandValue = spec.deadband[1]
            params.Filter = flt
        req = ua.MonitoredItemCreateRequest()
        req.ItemToMonitor = ua.ReadValueId(
            NodeId=self._nodes[i].nodeid, AttributeId=ua.AttributeIds.Value
        )
        req.MonitoringMode = ua.MonitoringMode.Reporting
        req.RequestedParameters = params
        return req

    async def _retry_unknown(self) -> None:
        if self._client is None:
            return
        if self.settings.mode == "subscription":
            await self._subscribe(self._client, sorted(self._unknown))
        else:
            await self._poll()

    # -- polling mode -----------------------------------------------------------------
    async def _poll(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            for start in range(0, len(self._nodes), self._read_limit):
                chunk = self._nodes[start : start + self._read_limit]
                values = await client.read_attributes(chunk, ua.AttributeIds.Value)
                for j, dv in enumerate(values):
                    i = start + j
                    self._status[i] = point_status(dv.StatusCode or ua.StatusCode())
                    self._values[i] = as_float(dv.Value.Value if dv.Value is not None else None)
                    if self._status[i] == PointStatus.UNKNOWN_POINT:
                        self._unknown.add(i)
                    else:
                        self._unknown.discard(i)
        except (ua.UaError, OSError, TimeoutError) as exc:
            self.last_error = f"read: {exc!r}"
            self._lost.set()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_client()
        self._ready = False
