"""HTTP interface: FastAPI app built by a factory from the running station."""

from station.api.app import create_app

__all__ = ["create_app"]
