"""SR networks: the Johnson et al. 2016 image transformation network and SRCNN (Dong et al.).

This package fills the architecture registry: it imports every module that registers an architecture, so
``ARCHITECTURES`` lists them all whichever submodule is imported first.
"""

from srbench.models import johnson as _johnson  # noqa: F401  (registers johnson)
from srbench.models import srcnn as _srcnn  # noqa: F401  (registers srcnn)
from srbench.models.registry import ARCHITECTURES, build_model

__all__ = ["ARCHITECTURES", "build_model"]
