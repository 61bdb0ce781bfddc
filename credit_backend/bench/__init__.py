"""Benchmarks (``make bench-backend``); they print figures and never assert."""
