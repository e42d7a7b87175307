"""Production reports: the station's calendar, hourly quantity records, and the reports on them."""
