"""Each driver stands alone: it imports the shared vocabulary (drivers/reading.py), never
another driver, never the service, and its modules import each other without a cycle."""

import ast
from pathlib import Path

DRIVERS = Path(__file__).parents[3] / "drivers"


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def modules() -> dict[str, set[str]]:
    return {
        ".".join(p.relative_to(DRIVERS.parent).with_suffix("").parts): imports_of(p)
        for p in DRIVERS.rglob("*.py")
    }


def test_drivers_never_import_each_other_nor_the_service() -> None:
    for name, deps in modules().items():
        assert not any(d == "station" or d.startswith("station.") for d in deps), name
        if name.startswith("drivers.modbus"):
            assert not any(d.startswith("drivers.opcua") for d in deps), name
        if name.startswith("drivers.opcua"):
            assert not any(d.startswith("drivers.modbus") for d in deps), name


def test_no_import_cycle_inside_the_drivers() -> None:
    graph = {m: {d for d in deps if d.startswith("drivers.")} for m, deps in modules().items()}

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cycles = [m for m in graph if reaches(m, m, {m})]
    assert cycles == []
