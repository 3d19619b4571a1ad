"""Platform identities of workers: who a link says the worker is, checked against each platform's ID formats.

* MTurk (Amazon Mechanical Turk appends ``workerId``, ``assignmentId``, ``hitId`` to the HIT's URL): a worker ID is
  ``A`` plus 9-19 upper-case letters or digits (e.g. ``A1B2C3D4E5F6G7``); assignment and HIT IDs are 20-40 of them
  (30 in practice).
* Prolific (``PROLIFIC_PID``, ``STUDY_ID``, ``SESSION_ID``): each is a 24-digit lower-case hex object id.
* ``web``: anonymous (local or lab runs only, when the study design lists it); the session token is the identity.

A *session* is one assignment (MTurk ``assignmentId``) or one submission (Prolific ``SESSION_ID``): a browser's
saved session resumes only for a link that names the same worker and the same session, so a second HIT in the same
browser, or another person on it, never continues (or completes) somebody else's session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MTURK_WORKER = re.compile(r"A[0-9A-Z]{9,19}")
MTURK_ID = re.compile(r"[0-9A-Z]{20,40}")
PROLIFIC_ID = re.compile(r"[0-9a-f]{24}")
MTURK_PREVIEW = "ASSIGNMENT_ID_NOT_AVAILABLE"


@dataclass(frozen=True)
class Identity:
    """A worker as their link names them (``session`` is the MTurk assignment or the Prolific session)."""

    platform: str
    external_id: str = ""
    session: str = ""
    hit_id: str = ""
    study_id: str = ""

    @property
    def anonymous(self) -> bool:
        return self.platform == "web"

    def key(self) -> str:
        """The rate-limit and one-slot-per-worker key: the platform and the worker id."""
        return f"{self.platform}:{self.external_id}"


def check_identity(ident: Identity) -> None:
    """Raise ``ValueError`` naming the first ID that does not have its platform's format (module docstring)."""
    if ident.platform == "mturk":
        fields = [("workerId", ident.external_id, MTURK_WORKER), ("assignmentId", ident.session, MTURK_ID)]
        fields.append(("hitId", ident.hit_id, MTURK_ID))
    elif ident.platform == "prolific":
        fields = [
            ("PROLIFIC_PID", ident.external_id, PROLIFIC_ID),
            ("SESSION_ID", ident.session, PROLIFIC_ID),
            ("STUDY_ID", ident.study_id, PROLIFIC_ID),
        ]
    elif ident.platform == "web":
        if ident.external_id or ident.session:
            raise ValueError("the web platform takes no platform ids")
        return
    else:
        raise ValueError(f"unknown platform {ident.platform!r}")
    for name, value, pattern in fields:
        if not pattern.fullmatch(value):
            raise ValueError(f"{name} {value[:40]!r} is not a valid {ident.platform} id; open the study from its link")
