"""The API's models by concern (the edge where internal dataclasses become JSON): live and
health, auth, alarms, audit, duty, safety. The OpenAPI is made from them."""
