"""SR networks: the Johnson et al. 2016 image transformation network and SRCNN (Dong et al.)."""

from srbench.models.registry import ARCHITECTURES, build_model

__all__ = ["ARCHITECTURES", "build_model"]
