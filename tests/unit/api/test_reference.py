"""docs/api.md is the API as the code has it: every route, its access rule, body and answer."""

from __future__ import annotations

from pathlib import Path

from station.api.reference import api_reference
from tests.harness.config import example_station

DOC = Path(__file__).parents[3] / "docs" / "api.md"


def test_the_api_reference_is_current() -> None:
    made = api_reference(example_station())
    assert DOC.read_text(encoding="utf-8") == made, "run: station api-reference > docs/api.md"


def test_the_reference_lists_every_route_with_its_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "| `POST /api/alarms/ack` | operator |" in text
    assert "| `POST /api/duty/hazards/{hazard}/close` | station_master |" in text
    assert "| `POST /api/login` | public |" in text
    assert "| `GET /api/live` | read |" in text
    assert "`HandoverOut`" in text and "`IncidentOut`" in text
