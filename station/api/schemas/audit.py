"""The audit trail's check as the API answers it."""

from __future__ import annotations

from pydantic import BaseModel


class AuditVerifyOut(BaseModel):
    intact: bool
    entries: int
    detail: str
    findings: list[str]
    """edited, deleted, truncated, rehashed."""
    anchors: int
    """Anchors of the chain's head (from the history file) it was checked against."""
