"""The operators' duties as records: roster, duty log, standing orders, handover, inspection
rounds and hazards. Pure rules (who is on duty, what a handover holds, when a round is due)
apart from the store that keeps them and the desk that applies them."""
