"""Field types every concern's schemas share."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field


def _says_something(v: str) -> str:
    if len(v.strip()) < 3:
        raise ValueError("a reason of blanks is not a reason")
    return v.strip()


Reason = Annotated[str, Field(min_length=3, max_length=500), AfterValidator(_says_something)]
"""Why a person acted (shelve, out of service, rule change, correction): words, not blanks."""
