"""Protocol clients: they know registers and node ids, not alarms or reports."""
