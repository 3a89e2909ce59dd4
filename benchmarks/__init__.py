"""Load tests and benchmarks of the hot paths, outside the test suite.

Run from the repository root as `.venv/bin/python -m benchmarks.<name>`; what they share
lives in `benchmarks.harness`, and benchmarks/README.md says how to run each.
"""
