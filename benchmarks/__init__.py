"""Performance scripts of the portal; each module runs with ``python -m benchmarks.<name>``."""
