"""Optional post-processing of SR outputs (histogram matching)."""
