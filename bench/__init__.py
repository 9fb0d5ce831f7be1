"""Benchmarks in Home Assistant's test harness (``scripts/bench``; not the suite)."""
