"""Running an evaluation's plan: the rows of every group, collected and written in order.

Every finished group is written to the output CSV and the result store atomically before the next one is waited
for; on Ctrl-C, every job already finished (in whatever order) is written too, so a re-run resumes from there.
"""

from __future__ import annotations

import pandas as pd

from srbench.evaluate.collect import collect_in_order, write_group
from srbench.evaluate.plan import Job, Run, plan_jobs


def run_jobs(run: Run) -> tuple[list[pd.DataFrame], int, int]:
    """Plan every group, then collect their rows in order: ``(frames, reused groups, computed groups)``."""
    slots: list[pd.DataFrame | Job] = []  # reused rows, or a job whose rows come when it finishes (in order)
    try:
        for slot in plan_jobs(run):
            slots.append(slot)
        return _collect(run, slots)
    except KeyboardInterrupt:
        for slot in slots:  # keep every job that finished before Ctrl-C, in whatever order they finished
            if isinstance(slot, Job) and slot.scoring.finished():
                write_group(slot.key, slot.rows(run.specs, run.device), run.table, run.request.store)
        raise


def _collect(run: Run, slots: list[pd.DataFrame | Job]) -> tuple[list[pd.DataFrame], int, int]:
    def finish(job: Job) -> pd.DataFrame:
        rows = job.rows(run.specs, run.device)
        run.table.replace(job.key, rows)
        if job.saver is not None:
            job.saver.finish()
        if run.request.store is not None:
            run.request.store.replace(job.key, rows)
        return rows

    return collect_in_order(slots, finish)
