"""Crowdsourced pairwise preference studies (``srbench study``).

One job per module: :mod:`.design` (the researcher's study design file: texts, platforms, slots), :mod:`.display`
(the display policy), :mod:`.qc` (the quality-control policy), :mod:`.spec` (the versioned study record),
:mod:`.plan` (seeded trial plan), :mod:`.create` (images and the study folder), :mod:`.db` (SQLite store of
responses), :mod:`.server` (the web app workers use), :mod:`.export` (MTurk / Prolific files), :mod:`.ingest`
(votes table), :mod:`.analyze` (QC and statistics), :mod:`.simulate` (synthetic workers and power), :mod:`.cli`
(the Typer sub-app).
"""
