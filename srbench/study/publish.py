"""``srbench study publish --mturk``: create the study's HITs on MTurk through boto3 (sandbox unless ``live``).

One HIT per plan group, each an ExternalQuestion pointing at ``<url>?group=<g>`` with ``workers_per_pair``
assignments, the design's title, pay (USD) and slot time limit. Credentials come from boto3's usual chain (an AWS
profile, environment variables); none is asked for or written. Every created HIT is recorded at once, atomically,
in ``<study>/mturk_hits.json``, and each request carries a ``UniqueRequestToken`` derived from the study and group,
so an interrupted run continues where it stopped and never creates a HIT twice.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from srbench.atomic import atomic_path
from srbench.errors import ConfigError, DataError
from srbench.study.export import MTURK, check_production, check_url, external_question, mturk_reward
from srbench.study.owned import HITS_FILE
from srbench.study.plan import Plan
from srbench.study.spec import PLAN_FILE, load_spec

REGION = "us-east-1"


def mturk_client(live: bool = False, profile: str | None = None) -> Any:
    """A boto3 MTurk client for the sandbox (or the live marketplace), from the usual AWS credential chain."""
    try:
        import boto3
    except ImportError:  # pragma: no cover - boto3 is a dependency of srbench[mturk]
        raise ConfigError("publishing to MTurk needs boto3: pip install 'srbench[mturk]'") from None
    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    return session.client("mturk", region_name=REGION, endpoint_url=MTURK["live" if live else "sandbox"]["endpoint"])


def _record(folder: Path) -> dict[str, Any]:
    p = folder / HITS_FILE
    if not p.is_file():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        raise DataError(f"{p}: not valid JSON; restore it from the MTurk requester site before publishing") from None
    return data if isinstance(data, dict) else {}


def publish_mturk(
    folder: str | Path,
    url: str,
    *,
    live: bool = False,
    client: Any = None,
    profile: str | None = None,
    reward_usd: str | None = None,
    lifetime_days: float = 7.0,
    keywords: str = "image, quality, comparison, research",
) -> list[dict[str, Any]]:
    """Create the HITs not yet recorded in ``mturk_hits.json`` (module docstring); returns every recorded HIT."""
    folder = Path(folder)
    spec = load_spec(folder)
    design = check_production(spec)
    if "mturk" not in design.platforms:
        raise ConfigError(f"study {spec.name} does not list mturk in its platforms; re-create it with --platform mturk")
    base = check_url(url)
    plan = Plan.load(folder / PLAN_FILE)
    env = "live" if live else "sandbox"
    record = _record(folder)
    if record and (record.get("environment"), record.get("url")) != (env, base):
        raise ConfigError(
            f"{folder / HITS_FILE} holds HITs for {record.get('environment')} at {record.get('url')}; "
            "publish to the same place or move that file away"
        )
    record = {"environment": env, "url": base, "hits": record.get("hits", {})}
    reward = mturk_reward(design, reward_usd)
    client = client or mturk_client(live, profile)
    from botocore.exceptions import BotoCoreError, ClientError

    for g in range(plan.n_groups):
        if str(g) in record["hits"]:
            continue
        token = hashlib.sha256(f"{spec.name}\0{spec.created}\0{spec.completion_code}\0{env}\0{g}".encode()).hexdigest()
        try:
            hit = client.create_hit(
                MaxAssignments=plan.workers_per_pair,
                AutoApprovalDelayInSeconds=3 * 24 * 3600,
                LifetimeInSeconds=int(lifetime_days * 24 * 3600),
                AssignmentDurationInSeconds=math.ceil(design.slots.time_limit_minutes) * 60,
                Reward=reward,
                Title=design.title,
                Keywords=keywords,
                Description=f"Compare images and pick the better one; about {design.minutes} minutes.",
                Question=external_question(base + "?" + urlencode({"group": g})),
                RequesterAnnotation=f"srbench study {spec.name} group {g}"[:255],
                UniqueRequestToken=token[:64],
            )["HIT"]
        except (ClientError, BotoCoreError) as exc:
            raise ConfigError(
                f"MTurk refused the HIT of group {g} ({' '.join(str(exc).split())}); the HITs made so far are in "
                f"{folder / HITS_FILE} and a re-run continues from there"
            ) from None
        record["hits"][str(g)] = {
            "group": g,
            "HITId": hit["HITId"],
            "HITTypeId": hit["HITTypeId"],
            "preview": MTURK[env]["preview"] + hit["HITTypeId"],
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
        with atomic_path(folder / HITS_FILE) as tmp:
            tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [record["hits"][k] for k in sorted(record["hits"], key=int)]
