"""Result rows on disk, below :mod:`srbench.evaluate` and :mod:`srbench.report`: the per-image result table
(:mod:`srbench.results.table`, the ``--output`` CSV) and the result store (:mod:`srbench.results.store`).

Neither imports the evaluation (torch, methods, metrics are not loaded), so reading results stays cheap.
"""

from srbench.results.store import ResultStore, default_store_root
from srbench.results.table import GroupKey, ResultTable, read_results

__all__ = ["GroupKey", "ResultStore", "ResultTable", "default_store_root", "read_results"]
