"""Station configuration: YAML in, validated models out, errors with file, line and field."""

from station.config.loader import ConfigError, ConfigIssue, load_config
from station.config.models import DeviceConfig, StationConfig, TagConfig

__all__ = [
    "ConfigError",
    "ConfigIssue",
    "DeviceConfig",
    "StationConfig",
    "TagConfig",
    "load_config",
]
