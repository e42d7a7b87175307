"""Logging in."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class LoginOut(BaseModel):
    token: str
    username: str
    role: str
    expires: datetime
