"""City-gate station monitoring service."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gate-station")
    """The one version source is pyproject.toml; the installed metadata carries it."""
except PackageNotFoundError:  # run from a tree that was never installed
    __version__ = "0+unknown"
