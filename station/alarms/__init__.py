"""Alarms: rules from config, the ISA-18.2 life cycle, the journal, KPIs and notification."""
