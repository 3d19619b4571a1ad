"""Independent reference implementations for tests and benchmarks (not used by the evaluation path)."""
