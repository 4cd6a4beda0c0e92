"""The mimamori cloud server: ingest, stores, rules wiring, API and CLI."""
