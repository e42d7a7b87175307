"""Modbus driver: codec, request planning and an async polling client."""
