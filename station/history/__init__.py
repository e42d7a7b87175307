"""History: the embedded single-file store with rollups, and its background writer."""

from station.history.store import Aggregate, HistoryStore, SeriesPoint
from station.history.writer import HistoryWriter

__all__ = ["Aggregate", "HistoryStore", "HistoryWriter", "SeriesPoint"]
