"""Datasets: the registry of benchmark sets, image I/O, verification and download."""
