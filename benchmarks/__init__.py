"""Benchmarks: ``python -m benchmarks`` (``make bench``) times the hot paths on big databases.

Each benchmark builds its own throwaway database, fills it with bulk inserts,
prints its figures and cleans up; docs/benchmarks.md records the results.
"""
