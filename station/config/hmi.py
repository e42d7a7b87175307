"""What the operator's page shows where: the tags bound to the places of the overview
schematic, the safety strip, the mini-trends, and the areas of level 2. The drawing is the
page's; which transmitter stands where is the station's."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SchematicPlace = Literal[
    "inlet_pressure", "inlet_temperature", "inlet_esd", "filter_dp_a", "filter_dp_b",
    "heater_temperature", "slam_a_open", "slam_b_open", "slam_a_tripped", "slam_b_tripped",
    "run_a_pressure", "run_b_pressure", "active_run", "after_regulator_temperature",
    "flow_standard", "flow_working", "total_standard", "odorant_dose", "odorant_level",
    "outlet_pressure", "outlet_temperature", "outlet_esd",
]  # fmt: skip


class HmiText(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str


class HmiArea(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
    name: HmiText
    tags: list[str] = Field(min_length=1, max_length=500)


class HmiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schematic: dict[SchematicPlace, str] = {}
    """A place of the overview drawing → the tag shown there (a place left out is not drawn)."""
    safety: list[str] = Field(default=[], max_length=12)
    """The safety strip under the drawing: gas detectors, fire panel, intrusion, power."""
    trends: list[str] = Field(default=[], max_length=6)
    """Mini-trends of the overview, drawn against their alarm limits."""
    areas: list[HmiArea] = []
    """Level 2: every tag of an area with its limits and alarm state."""
