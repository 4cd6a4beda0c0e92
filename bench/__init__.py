"""Benchmarks of the mimamori cloud; `python -m bench.ingest` runs the ingest benchmark."""
