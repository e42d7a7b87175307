"""City-gate station monitoring service."""
