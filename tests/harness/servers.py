"""Real servers from Debian packages, started by the tests on loopback: Prometheus,
VictoriaMetrics, InfluxDB 1.x. scripts/bootstrap.sh installs them."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.harness.config import free_port


def need(binary: str, package: str) -> str:
    path = shutil.which(binary)
    assert path, f"{binary} is installed by scripts/bootstrap.sh (Debian package {package})"
    return path


class Server:
    def __init__(self, argv: list[str], port: int, ready: Callable[[str], bool], log: Path) -> None:
        self.argv, self.port, self._ready, self.log = argv, port, ready, log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                if self._ready(self.base):
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.argv[0]} not ready: {self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _ok(path: str) -> Callable[[str], bool]:
    return lambda base: httpx.get(base + path, timeout=1).status_code < 300


def prometheus(folder: Path, scrape_target: str, interval_s: float = 1.0) -> Server:
    binary = need("prometheus", "prometheus")
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "prometheus.yml"
    cfg.write_text(
        f"global: {{scrape_interval: {interval_s}s, evaluation_interval: {interval_s}s}}\n"
        f"scrape_configs:\n  - job_name: gate-station\n    static_configs:\n"
        f"      - targets: ['{scrape_target}']\n"
    )
    return Server(
        [
            binary,
            f"--config.file={cfg}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        port,
        _ok("/-/ready"),
        folder / "prometheus.log",
    )


def victoria_metrics(folder: Path, port: int | None = None) -> Server:
    binary = need("victoria-metrics", "victoria-metrics")
    port = port or free_port()
    folder.mkdir(parents=True, exist_ok=True)
    return Server(
        [
            binary,
            f"-storageDataPath={folder / 'data'}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-search.latencyOffset=0s",
            "-retentionPeriod=100y",
        ],
        port,
        _ok("/health"),
        folder / "vm.log",
    )


def influxdb(folder: Path) -> Server:
    binary = need("influxd", "influxdb")
    port, rpc = free_port(), free_port()
    folder.mkdir(parents=True, exist_ok=True)
    cfg = folder / "influxdb.conf"
    cfg.write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc}"\n'
        f'[meta]\n  dir = "{folder}/meta"\n'
        f'[data]\n  dir = "{folder}/data"\n  wal-dir = "{folder}/wal"\n'
        f'[http]\n  bind-address = "127.0.0.1:{port}"\n  log-enabled = false\n'
    )
    return Server([binary, "-config", str(cfg)], port, _ok("/ping"), folder / "influxd.log")
