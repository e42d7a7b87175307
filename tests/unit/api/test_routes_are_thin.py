"""Routes take narrow dependencies (station/api/deps.py) and never the runtime itself: only
the dependency providers reach it, so what a route can touch is what its signature says."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).parents[3] / "station" / "api"


def test_no_route_module_reaches_the_runtime() -> None:
    offenders = []
    for module in sorted(API.glob("routes_*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "station.runtime":
                offenders.append(f"{module.name}: imports station.runtime")
            if isinstance(node, ast.Name) and node.id == "runtime_of":
                offenders.append(f"{module.name}:{node.lineno}: runtime_of")
            if isinstance(node, ast.Attribute) and node.attr == "runtime":
                offenders.append(f"{module.name}:{node.lineno}: .runtime")
    assert offenders == []
