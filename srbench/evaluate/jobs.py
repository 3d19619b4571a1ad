"""Running an evaluation's plan: the rows of every group, collected and written in order.

Every finished group is written to the output CSV and the result store atomically before the next one is waited
for; on Ctrl-C, every job already finished (in whatever order) is written too, so a re-run resumes from there.
"""

from __future__ import annotations

import pandas as pd

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
                rows = slot.rows(run.specs, run.device)
                run.table.replace(slot.key, rows)
                if run.request.store is not None:
                    run.request.store.replace(slot.key, rows)
        raise


def _collect(run: Run, slots: list[pd.DataFrame | Job]) -> tuple[list[pd.DataFrame], int, int]:
    reused = sum(isinstance(slot, pd.DataFrame) for slot in slots)
    frames: list[pd.DataFrame] = []
    computed = 0
    for i, slot in enumerate(slots):
        if isinstance(slot, pd.DataFrame):
            frames.append(slot)
            continue
        rows = slot.rows(run.specs, run.device)
        run.table.replace(slot.key, rows)
        if slot.saver is not None:
            slot.saver.finish()
        if run.request.store is not None:
            run.request.store.replace(slot.key, rows)
        frames.append(rows)
        computed += 1
        slots[i] = rows  # the job's images (and, with its dataset's last job, the decoded arrays) can be freed
    return frames, reused, computed
