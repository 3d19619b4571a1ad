"""Which MTurk HITs and Prolific studies are this study's, so the server gives slots only to links of its own.

A link's IDs can have their platform's format (:mod:`srbench.study.identity`) and still belong to another study:
copied from another HIT, or forged. Each study folder can name its own:

* MTurk: ``<study>/mturk_hits.json``, written by ``srbench study publish --mturk``
  (``{"environment", "url", "hits": {group: {"HITId", ...}}}``). When it exists, only its HITIds are accepted.
  It is re-read when it changes (its mtime, size or inode; ``publish`` replaces it atomically), so HITs published
  while the server runs are accepted without a restart. A record holds one environment (``publish`` refuses to
  mix sandbox and live), so a HIT of the other environment is never in it. Without the file (HITs made outside
  srbench, e.g. from ``export``'s batch CSV) any well-formed ``hitId`` is accepted and ``serve`` warns; so is
  it while the file is moved away (as ``publish`` asks before switching between sandbox and live).
* Prolific: ``<study>/prolific_study.json`` (``{"study_ids": [...]}``), written by ``srbench study link-prolific
  FOLDER STUDY_ID`` once Prolific has given the study its id (it does so only after the study URL is pasted, so the
  server usually runs already; the file is re-read like the HIT record), plus any ``serve --prolific-study-id``.
  When neither names an id, any well-formed ``STUDY_ID`` is accepted and ``serve`` warns.

Both files live beside ``study.json``, outside the spec, so naming them never changes the study's identity.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from srbench.atomic import atomic_path
from srbench.errors import ConfigError, DataError
from srbench.study.identity import PROLIFIC_ID, Identity
from srbench.study.spec import load_spec

HITS_FILE = "mturk_hits.json"
PROLIFIC_FILE = "prolific_study.json"
OTHER_HIT = "this link belongs to another HIT, not to this study; please return this task"
OTHER_GROUP = "this link's group is not the one its HIT was made for; open the study from the HIT's own link"
OTHER_STUDY = "this link belongs to another Prolific study, not to this one; please return this submission"


def _hit_ids(data: Any) -> tuple[dict[str, int | None], str]:
    """HITId -> the plan group it was made for (``None`` if unrecorded), and the environment, of a
    ``mturk_hits.json`` record (``ValueError`` when malformed)."""
    hits = data.get("hits") if isinstance(data, dict) else None
    if not isinstance(hits, dict) or not all(
        isinstance(h, dict) and isinstance(h.get("HITId"), str) for h in hits.values()
    ):
        raise ValueError('expected {"environment", "url", "hits": {group: {"HITId", ...}}}')
    groups: dict[str, int | None] = {}
    for key, h in hits.items():
        g = h.get("group", key)
        groups[h["HITId"]] = int(g) if isinstance(g, int) or (isinstance(g, str) and g.isdigit()) else None
    return groups, str(data.get("environment", "?"))


def _study_ids(data: Any) -> tuple[frozenset[str], str]:
    """The Prolific study ids of a ``prolific_study.json`` record (``ValueError`` when malformed)."""
    ids = data.get("study_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) and PROLIFIC_ID.fullmatch(i) for i in ids):
        raise ValueError('expected {"study_ids": [24-hex-digit Prolific study ids]}')
    return frozenset(ids), ""


class _Watched:
    """A small JSON file read again only when its (mtime, size, inode) changes; ``None`` while it does not exist.

    A file that turns unreadable or malformed while serving keeps the last good ids (never fewer checks); one that
    is bad when the server starts stops it with :class:`DataError`.
    """

    def __init__(self, path: Path, parse: Any) -> None:
        self.path = path
        self.parse = parse
        self.stamp: tuple[int, int, int] | None = None
        self.ids: Any = None  # what parse returns: HITId -> group, or a set of study ids
        self.note = ""
        self.refresh(strict=True)

    def refresh(self, strict: bool = False) -> Any:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self.stamp, self.ids, self.note = None, None, ""
            return None
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self.stamp:
            return self.ids
        try:
            self.ids, self.note = self.parse(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            if strict:
                raise DataError(f"{self.path}: {exc}; fix or move the file away") from None
            return self.ids  # keep the last good ids; read it again on the next start
        self.stamp = stamp
        return self.ids


class OwnedIds:
    """The HITs and Prolific studies of the study in ``folder`` (module docstring); ``check`` refuses others."""

    def __init__(self, folder: str | Path, prolific_study_ids: tuple[str, ...] = ()) -> None:
        self.folder = Path(folder)
        for sid in prolific_study_ids:
            check_prolific_study_id(sid, "--prolific-study-id")
        self.given = frozenset(prolific_study_ids)
        self.hits = _Watched(self.folder / HITS_FILE, _hit_ids)
        self.studies = _Watched(self.folder / PROLIFIC_FILE, _study_ids)

    def prolific_ids(self) -> frozenset[str] | None:
        linked = self.studies.refresh()
        if linked is None and not self.given:
            return None
        return self.given | (linked or frozenset())

    def check(self, ident: Identity, group: int | None = None) -> str | None:
        """Why a start with these (well-formed) IDs is refused, or ``None`` when they are this study's or unchecked.

        ``group``: the plan group the link asks for; a recorded HIT was made for one group (``publish`` writes it
        into the HIT's URL), and a link that names another (edited by hand) is refused.
        """
        if ident.platform == "mturk":
            hits = self.hits.refresh()
            if hits is not None and ident.hit_id not in hits:
                return OTHER_HIT
            made_for = None if hits is None else hits.get(ident.hit_id)
            if group is not None and made_for is not None and group != made_for:
                return OTHER_GROUP
        elif ident.platform == "prolific":
            studies = self.prolific_ids()
            if studies is not None and ident.study_id not in studies:
                return OTHER_STUDY
        return None

    def startup_lines(self, platforms: tuple[str, ...]) -> list[str]:
        """What ``serve`` prints about these checks for the design's ``platforms``: one line each, warnings first."""
        lines = []
        if "mturk" in platforms:
            hits = self.hits.refresh()
            if hits is None:
                lines.append(
                    f"warning: MTurk hitIds are not checked (no {self.folder / HITS_FILE}): a link with any HIT's "
                    "ids gets a slot; create the HITs with `srbench study publish --mturk` to accept only this "
                    "study's"
                )
            else:
                lines.append(f"MTurk: accepting only the {len(hits)} {self.hits.note} HITs in {self.hits.path}")
        if "prolific" in platforms:
            studies = self.prolific_ids()
            if studies is None:
                lines.append(
                    "warning: Prolific STUDY_IDs are not checked: a link with any study's ids gets a slot; run "
                    "`srbench study link-prolific FOLDER STUDY_ID` (or pass --prolific-study-id) to accept only "
                    "this study's"
                )
            else:
                lines.append(f"Prolific: accepting only STUDY_ID {', '.join(sorted(studies))}")
        return sorted(lines, key=lambda s: not s.startswith("warning"))


def check_prolific_study_id(sid: str, where: str) -> None:
    if not PROLIFIC_ID.fullmatch(sid):
        raise ConfigError(f"{where} {sid[:40]!r} is not a Prolific study id (24 lower-case hex digits)")


def link_prolific(folder: str | Path, study_ids: list[str]) -> list[str]:
    """Add ``study_ids`` to ``<folder>/prolific_study.json`` (atomically); returns every linked id, sorted."""
    folder = Path(folder)
    spec = load_spec(folder)
    if "prolific" not in spec.design.platforms:
        raise ConfigError(f"study {spec.name} does not list prolific in its platforms; nothing to link")
    for sid in study_ids:
        check_prolific_study_id(sid, "STUDY_ID")
    path = folder / PROLIFIC_FILE
    old: frozenset[str] = frozenset()
    if path.exists():
        try:
            old, _ = _study_ids(json.loads(path.read_text(encoding="utf-8")))
        except ValueError as exc:
            raise DataError(f"{path}: {exc}; fix or move the file away") from None
    ids = sorted(old | set(study_ids))
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps({"study_ids": ids}, indent=2) + "\n", encoding="utf-8")
    return ids
