"""One controller per resource of the Open API (SPEC §4.3)."""
