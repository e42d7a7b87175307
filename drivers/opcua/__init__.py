"""OPC UA driver: subscriptions (data change) by default, polling as fallback."""
