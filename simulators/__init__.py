"""A simulated gate station: a process model served over Modbus (and later OPC UA)."""
