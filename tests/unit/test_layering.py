"""The house's layering (pyproject's [tool.importlinter] contracts) holds, and a forbidden
import really breaks it: the contracts are checked against a copy of the tree with one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_tree(tmp: Path) -> Path:
    for name in ("station", "drivers", "simulators"):
        shutil.copytree(ROOT / name, tmp / name, ignore=shutil.ignore_patterns("node_modules"))
    shutil.copy(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    return tmp


def test_the_contracts_hold() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" not in done.stdout.lower().replace("0 broken", "")


def test_a_driver_importing_the_service_breaks_them(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    bus = tree / "drivers" / "modbus" / "bus.py"
    bus.write_text(bus.read_text() + "\nfrom station import clock as _clock  # noqa\n")
    done = lint(tree)
    assert done.returncode == 1, done.stdout
    assert "drivers.modbus.bus -> station.clock" in done.stdout


def test_the_config_reading_a_domain_breaks_them(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    models = tree / "station" / "config" / "models.py"
    models.write_text(models.read_text() + "\nfrom .. import duty as _duty  # noqa\n")
    done = lint(tree)
    assert done.returncode == 1, done.stdout
    assert "Config is a leaf" in done.stdout and "BROKEN" in done.stdout
