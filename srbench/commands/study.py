"""``srbench study``: create, serve, export, ingest, analyze and simulate pairwise preference studies.

Thin: every command parses its options and calls :mod:`srbench.study`; user mistakes raise ``SrbenchError``,
which ``srbench.cli.main`` prints as one line (exit status 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from srbench.commands.options import DataRootOpt, MethodsOpt, SrDirsOpt
from srbench.errors import ConfigError

if TYPE_CHECKING:
    from srbench.study.qc import QcPolicy
    from srbench.study.simulate import PowerRequest, PowerResult

study_app = typer.Typer(
    help="Crowdsourced pairwise preference studies: create, serve, export, ingest, analyze, simulate.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)

Folder = Annotated[Path, typer.Argument(metavar="FOLDER", help="The study folder.", show_default=False)]


# The declared QC rules: the same option names and defaults in create and simulate. The defaults are
# srbench.study.qc.QcPolicy's (a test pins them equal; not imported here to keep `srbench --help` fast).
QC_MIN_SENTINEL_ACCURACY = 0.6
QC_MIN_MEDIAN_RT_MS = 300.0
QC_MAX_TRIAL_RT_MS = 60_000.0
QC_MIN_REPEAT_AGREEMENT = 0.0
QC_MIN_REPEAT_GAP = 3
MinSentinelAccuracy = Annotated[float, typer.Option(help="QC: exclude workers below this sentinel accuracy.")]
MinMedianRt = Annotated[float, typer.Option(help="QC: exclude workers below this median response time (ms).")]
MaxTrialRt = Annotated[float, typer.Option(help="QC: drop single answers slower than this (ms).")]
MinRepeatAgreement = Annotated[
    float, typer.Option(help="QC: exclude below this repeat agreement (0: report agreement, exclude no one).")
]
MinRepeatGap = Annotated[int, typer.Option(help="Plan: at least this many trials between a trial and its repeat.")]


def _qc_policy(sentinel: float, median_rt: float, trial_rt: float, agreement: float, gap: int) -> QcPolicy:
    from srbench.study.qc import QcPolicy

    return QcPolicy.from_dict(
        {
            "min_sentinel_accuracy": sentinel,
            "min_median_rt_ms": median_rt,
            "max_trial_rt_ms": trial_rt,
            "min_repeat_agreement": agreement,
            "min_repeat_gap": gap,
        }
    )


@study_app.command("create")
def create_cmd(
    folder: Annotated[Path, typer.Argument(metavar="FOLDER", help="New study folder to write.", show_default=False)],
    dataset: Annotated[
        str,
        typer.Option("--dataset", "-d", metavar="NAME|DIR", help="Dataset (demo, set5, set14, bsd100) or HR folder."),
    ] = "demo",
    scale: Annotated[int, typer.Option("--scale", "-s", metavar="SCALE", help="Scale factor: 2, 3, 4 or 8.")] = 4,
    method: MethodsOpt = None,
    sr_dir: SrDirsOpt = None,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label", metavar="LABEL", help="Short name per method, in order; repeatable.", show_default="the names"
        ),
    ] = None,
    protocol: Annotated[str, typer.Option(metavar="NAME", help="Protocol preset for the degradation.")] = "standard",
    crop: Annotated[int, typer.Option(help="Crop side in HR pixels (0: the largest that fits the screen).")] = 0,
    crops_per_image: Annotated[int, typer.Option(help="Seeded crops per image.")] = 1,
    images: Annotated[int, typer.Option(help="Use only the first N images (0: all).")] = 0,
    workers_per_pair: Annotated[int, typer.Option(help="Workers per image pair.")] = 5,
    trials_per_worker: Annotated[int, typer.Option(help="Comparisons per worker (one HIT).")] = 20,
    sentinels: Annotated[int, typer.Option(help="Sentinel trials per worker (HR vs blurred).")] = 4,
    repeats: Annotated[int, typer.Option(help="Repeated trials per worker (sides swapped).")] = 2,
    seed: Annotated[
        int | None, typer.Option(help="Seed of crops and plan.", show_default="random, recorded in study.json")
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            metavar="FILE",
            help="Study design (YAML/JSON): texts, platforms, slots, display, QC.",
            show_default="the built-in design",
        ),
    ] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option(
            "--platform",
            metavar="NAME",
            help="Allowed platform (mturk, prolific, web); overrides --spec.",
            show_default="mturk, prolific",
        ),
    ] = None,
    min_sentinel_accuracy: Annotated[
        float | None,
        typer.Option(
            help="QC: exclude workers below this sentinel accuracy.", show_default=f"{QC_MIN_SENTINEL_ACCURACY}"
        ),
    ] = None,
    min_median_rt: Annotated[
        float | None,
        typer.Option(
            help="QC: exclude workers below this median response time (ms).", show_default=f"{QC_MIN_MEDIAN_RT_MS:g}"
        ),
    ] = None,
    max_trial_rt: Annotated[
        float | None,
        typer.Option(help="QC: drop single answers slower than this (ms).", show_default=f"{QC_MAX_TRIAL_RT_MS:g}"),
    ] = None,
    min_repeat_agreement: Annotated[
        float | None,
        typer.Option(
            help="QC: exclude below this repeat agreement (0: report agreement, exclude no one).",
            show_default=f"{QC_MIN_REPEAT_AGREEMENT}",
        ),
    ] = None,
    min_repeat_consistency: Annotated[
        float | None, typer.Option(hidden=True, help="Old name of --min-repeat-agreement.")
    ] = None,
    min_repeat_gap: Annotated[
        int | None,
        typer.Option(
            help="Plan: at least this many trials between a trial and its repeat.", show_default=f"{QC_MIN_REPEAT_GAP}"
        ),
    ] = None,
    crop_policy: Annotated[
        str | None,
        typer.Option(
            help="Crops: auto (only images too large for a 1366x768 screen), always, never.", show_default="auto"
        ),
    ] = None,
    pixel_ratio: Annotated[
        str | None,
        typer.Option(
            help="Display: scale (1:1 device pixels at any ratio) or integer-only (refuse 1.25 etc.).",
            show_default="scale",
        ),
    ] = None,
    toggle_view: Annotated[
        bool | None,
        typer.Option(
            "--toggle-view/--no-toggle-view", help="Display: candidates flip to the input.", show_default="off"
        ),
    ] = None,
    data_root: DataRootOpt = None,
) -> None:
    """Write a study folder: spec (design, QC rules), seeded plan and every image to show.

    The QC and display options, where given, replace the --spec file's `qc` and `display` values; --crop N sets
    the display's crop size (and crop policy always, unless one is given)."""
    from srbench.config import data_root as resolve_data_root
    from srbench.study.create import create_study
    from srbench.study.design import StudyDesign, load_design, validated

    methods = list(method or []) + [f"sr-dir:{d}" for d in sr_dir or []]
    if not sr_dir and not method:
        methods = ["bicubic", "nearest"]
    design = load_design(spec) if spec else StudyDesign()
    given_qc = {
        "min_sentinel_accuracy": min_sentinel_accuracy,
        "min_repeat_agreement": min_repeat_consistency if min_repeat_agreement is None else min_repeat_agreement,
        "min_median_rt_ms": min_median_rt,
        "max_trial_rt_ms": max_trial_rt,
        "min_repeat_gap": min_repeat_gap,
    }
    given_display: dict[str, object] = {
        "crop_policy": crop_policy,
        "pixel_ratio": pixel_ratio,
        "toggle_view": toggle_view,
    }
    display = design.display.model_dump() | {k: v for k, v in given_display.items() if v is not None}
    if crop:
        display["crop_size"] = crop
        if display["crop_policy"] == "auto":
            display["crop_policy"] = "always"  # an explicit --crop N crops every image
    updates: dict[str, object] = {
        "qc": design.qc.model_dump() | {k: v for k, v in given_qc.items() if v is not None},
        "display": display,
    }
    if platform:
        updates["platforms"] = platform
    design = validated(StudyDesign, design.model_dump() | updates, "the command-line options")
    made = create_study(
        folder,
        dataset,
        scale,
        methods,
        labels=label or None,
        protocol=protocol,
        crops_per_image=crops_per_image,
        max_images=images,
        workers_per_pair=workers_per_pair,
        trials_per_worker=trials_per_worker,
        sentinels_per_worker=sentinels,
        repeats_per_worker=repeats,
        seed=seed,
        design=design,
        data_root=resolve_data_root(data_root),
    )
    from srbench.study.create import load_plan

    plan = load_plan(folder)
    out.print(
        f"study {made.name}: {len(made.images)} images, methods {', '.join(made.labels)}, {plan.n_groups} groups x "
        f"{made.workers_per_pair} workers = {plan.n_slots} slots, {len(plan.trials())} trials -> {folder}",
        markup=False,
        highlight=False,
    )
    shown = f"{made.crop} x {made.crop} crops" if made.crop else "full images"
    out.print(
        f"display: {shown} (crop policy {made.display.crop_policy}), pixel ratio {made.display.pixel_ratio}"
        f"{', toggle view' if made.display.toggle_view else ''}",
        markup=False,
        highlight=False,
    )


@study_app.command("serve")
def serve_cmd(
    folder: Folder,
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep loopback behind a reverse proxy).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    admin_token: Annotated[
        str | None,
        typer.Option(
            metavar="TOKEN",
            help="Token for /api/admin/* (send it as 'Authorization: Bearer TOKEN'); never written to the folder.",
            show_default="$SRBENCH_STUDY_ADMIN_TOKEN, else a random one, printed",
        ),
    ] = None,
    ssl_certfile: Annotated[
        Path | None, typer.Option(help="Serve HTTPS: PEM certificate (chain).", show_default="plain HTTP")
    ] = None,
    ssl_keyfile: Annotated[
        Path | None, typer.Option(help="Serve HTTPS: PEM private key.", show_default="plain HTTP")
    ] = None,
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="Reverse proxies whose X-Forwarded-For is trusted (comma-separated, or '*').")
    ] = "127.0.0.1",
    prolific_study_id: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ID",
            help="Accept only Prolific links of this STUDY_ID (repeatable; adds to `study link-prolific`'s).",
            show_default="those linked, else any",
        ),
    ] = None,
) -> None:
    """Serve the study to workers (responses go to <folder>/responses.sqlite).

    Starts are refused (403) for an MTurk hitId not in <folder>/mturk_hits.json (written by `study publish`) and a
    Prolific STUDY_ID not linked; without these records any well-formed id is accepted, with a warning."""
    import uvicorn

    from srbench.study.server import ServeOptions, admin_token_from_env, server_config

    token, generated = admin_token_from_env(admin_token)
    ids = tuple(prolific_study_id or ())
    options = ServeOptions(host, port, token, ssl_certfile, ssl_keyfile, forwarded_allow_ips, ids)  # checks TLS files
    config = server_config(folder, options)  # opens the study: every mistake is reported before anything is printed
    for line in config.app.state.owned.startup_lines(config.app.state.study.spec.design.platforms):
        err.print(line, markup=False, highlight=False)
    if generated:
        err.print(f"admin token (not stored anywhere): {token}", markup=False, highlight=False)
    if options.public_plain_http:
        err.print(
            f"warning: plain HTTP on {host}; workers' ids and answers cross the network unencrypted. Serve on "
            "127.0.0.1 behind a TLS reverse proxy, or pass --ssl-certfile/--ssl-keyfile",
            markup=False,
            highlight=False,
        )
    err.print(f"serving {folder} on {options.url}", markup=False, highlight=False)
    uvicorn.Server(config).run()


@study_app.command("link-prolific")
def link_prolific_cmd(
    folder: Folder,
    study_id: Annotated[
        list[str], typer.Argument(metavar="STUDY_ID", help="Prolific study id(s) of this study.", show_default=False)
    ],
) -> None:
    """Record this study's Prolific study id(s) in <folder>/prolific_study.json; `serve` then refuses (403) links
    with another STUDY_ID. A running server picks the file up without a restart."""
    from srbench.study.owned import PROLIFIC_FILE, link_prolific

    ids = link_prolific(folder, study_id)
    out.print(f"Prolific study ids in {folder / PROLIFIC_FILE}: {', '.join(ids)}", markup=False, highlight=False)


slots_app = typer.Typer(help="List the study's slot leases or release slots (admin).", no_args_is_help=True)
study_app.add_typer(slots_app, name="slots")


@slots_app.command("list")
def slots_list_cmd(
    folder: Folder,
    fmt: Annotated[str, typer.Option("--format", help="rich, markdown, csv, latex or html.")] = "rich",
) -> None:
    """Every slot: state (free, held, expired, finished), holder's platform ids, lease times, answers."""
    import pandas as pd

    from srbench.report.formats import render_table
    from srbench.study.db import open_db

    db = open_db(folder)
    try:
        table = db.slots()
    finally:
        db.close()
    for col in ("claimed_at", "expires_at"):
        table[col] = pd.to_datetime(table[col], unit="s", utc=True).dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    out.print(render_table(table.fillna(""), fmt), markup=False, highlight=False)


@slots_app.command("release")
def slots_release_cmd(
    folder: Folder,
    slot: Annotated[list[int], typer.Argument(help="Slot ids to return to the pool.")],
) -> None:
    """Return slots to the pool now; their holders can no longer answer (their answers so far are kept)."""
    from srbench.study.db import open_db

    db = open_db(folder)
    try:
        for s in slot:
            try:
                holder = db.release(s)
            except KeyError:
                raise ConfigError(f"no slot {s} in {folder}; see `srbench study slots list`") from None
            except ValueError as exc:
                raise ConfigError(f"{folder}: {exc}") from None
            out.print(f"slot {s} released" + (f" (was held by {holder})" if holder else " (was free)"), markup=False)
    finally:
        db.close()


@study_app.command("export")
def export_cmd(
    folder: Folder,
    url: Annotated[str, typer.Option(help="Public https:// URL where the study is served.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", metavar="DIR", help="Output folder.", show_default="<study>/export")
    ] = None,
    live: Annotated[bool, typer.Option(help="MTurk production instead of the sandbox.")] = False,
    reward: Annotated[
        str | None, typer.Option(help="Reward per assignment in USD.", show_default="the design's pay")
    ] = None,
    minutes: Annotated[
        int | None, typer.Option(help="Time allowed per assignment.", show_default="the design's slot time limit")
    ] = None,
) -> None:
    """Write MTurk (ExternalQuestion, HTMLQuestion, batch CSV) and Prolific files for the design's platforms."""
    from srbench.study.export import export_study

    for p in export_study(folder, url, output, live=live, reward_usd=reward, duration_minutes=minutes):
        out.print(str(p), markup=False, highlight=False)


@study_app.command("publish")
def publish_cmd(
    folder: Folder,
    url: Annotated[str, typer.Option(help="Public https:// URL where the study is served.")],
    mturk: Annotated[bool, typer.Option("--mturk", help="Create the HITs on MTurk (boto3).")] = False,
    live: Annotated[bool, typer.Option(help="MTurk production instead of the sandbox.")] = False,
    profile: Annotated[str | None, typer.Option(help="AWS profile.", show_default="boto3's credential chain")] = None,
    reward: Annotated[
        str | None, typer.Option(help="Reward per assignment in USD.", show_default="the design's pay")
    ] = None,
    lifetime_days: Annotated[float, typer.Option(help="How long the HITs stay listed.")] = 7.0,
) -> None:
    """Create one HIT per plan group (sandbox by default); re-running continues, never duplicates."""
    from srbench.study.publish import HITS_FILE, publish_mturk

    if not mturk:
        raise ConfigError("pass --mturk (Prolific studies are set up from `srbench study export`'s setup.json)")
    hits = publish_mturk(folder, url, live=live, profile=profile, reward_usd=reward, lifetime_days=lifetime_days)
    for h in hits:
        out.print(f"group {h['group']}: HIT {h['HITId']}  {h['preview']}", markup=False, highlight=False)
    out.print(f"{len(hits)} HITs recorded in {folder / HITS_FILE}", markup=False, highlight=False)


@study_app.command("ingest")
def ingest_cmd(
    folder: Folder,
    mturk: Annotated[
        Path | None,
        typer.Option(
            metavar="CSV",
            help="MTurk batch-results CSV to cross-check (the votes come from the database).",
            show_default="none",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="CSV", help="Votes CSV.", show_default="<study>/votes.csv"),
    ] = None,
) -> None:
    """Collect the server's votes into one tidy table, with the approval list joined to platform ids.

    Writes <study>/participants.csv (every worker's platform ids and state); with --mturk, the votes of the
    batch's assignments and <study>/mturk_review.csv (one verdict per CSV row; bad rows are reported, not fatal).
    """
    from srbench.study.ingest import participants, review_mturk, votes_from_db, write_votes

    if mturk:
        votes, review = review_mturk(folder, mturk)
        write_votes(review, folder / "mturk_review.csv")
        bad = review[~review["approve"]]
        for r in bad.head(10).itertuples():
            err.print(f"{mturk}: line {r.line}: {r.WorkerId} {r.AssignmentId}: {r.problem}", markup=False)
        out.print(
            f"{len(review) - len(bad)} of {len(review)} assignments check out against the server; "
            f"{len(bad)} flagged -> {folder / 'mturk_review.csv'}",
            markup=False,
        )
    else:
        votes = votes_from_db(folder)
    write_votes(participants(folder), folder / "participants.csv")
    path = write_votes(votes, output or folder / "votes.csv")
    out.print(f"{len(votes)} votes from {votes['worker_id'].nunique()} workers -> {path}", markup=False)


@study_app.command("analyze")
def analyze_cmd(
    folder: Folder,
    votes: Annotated[
        Path | None, typer.Option(metavar="CSV", help="Votes CSV.", show_default="<study>/votes.csv")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", metavar="FORMAT", help="markdown, latex, csv or html.")] = (
        "markdown"
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="DIR", help="Output folder.", show_default="<study>/analysis"),
    ] = None,
    bootstrap: Annotated[int, typer.Option(help="Bootstrap resamples over images.")] = 2000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
) -> None:
    """QC by the declared rules, majority per image pair, Wilson CI, binomial test, Bradley-Terry, agreement."""
    from srbench.report.formats import render_table
    from srbench.study.analyze import analyze_votes, readable_pairs, write_analysis
    from srbench.study.create import load_plan
    from srbench.study.ingest import read_votes
    from srbench.study.spec import load_spec

    spec = load_spec(folder)
    plan = load_plan(folder)
    table = read_votes(votes or folder / "votes.csv")
    expected = {s: len(t) for s, t in enumerate(plan.slots)}
    result = analyze_votes(table, spec.labels, spec.qc, expected, bootstrap, seed)
    paths = write_analysis(result, output or folder / "analysis", fmt)
    out.print("with the declared exclusions:", markup=False, highlight=False)
    out.print(render_table(readable_pairs(result.pairs), "rich"), markup=False, highlight=False)
    out.print("without exclusions (every worker):", markup=False, highlight=False)
    out.print(render_table(readable_pairs(result.pairs_all_workers), "rich"), markup=False, highlight=False)
    excluded = result.workers[result.workers["excluded"]]
    for r in excluded.itertuples():
        err.print(f"excluded {r.worker_id}: {r.reason}", markup=False, highlight=False)
    out.print(f"wrote {len(paths)} files to {paths[0].parent}", markup=False, highlight=False)


def _strengths(labels: tuple[str, ...], preference: float | None, strength: list[str] | None) -> dict[str, float]:
    from srbench.study.simulate import strengths_for_preference

    if strength:
        vals = {lab: 0.0 for lab in labels}
        for s in strength:
            name, _, value = s.partition("=")
            if name not in vals:
                raise ConfigError(f"--strength {s!r}: unknown method {name!r}; use one of {', '.join(labels)}")
            try:
                vals[name] = float(value)
            except ValueError:
                raise ConfigError(f"--strength {s!r}: expected LABEL=NUMBER") from None
        return vals
    return strengths_for_preference(labels, 0.8 if preference is None else preference)


@study_app.command("simulate")
def simulate_cmd(
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="[FOLDER]", help="Study folder whose plan the synthetic workers answer.", show_default=False
        ),
    ] = None,
    preference: Annotated[
        float | None,
        typer.Option(metavar="P", help="P(attentive worker prefers the first method).", show_default="0.8"),
    ] = None,
    strength: Annotated[
        list[str] | None,
        typer.Option(
            metavar="LABEL=THETA",
            help="Bradley-Terry strength (repeatable; replaces --preference).",
            show_default=False,
        ),
    ] = None,
    attention: Annotated[float, typer.Option(help="Share of attentive workers.")] = 0.9,
    lapse: Annotated[float, typer.Option(help="Sentinel error rate of attentive workers.")] = 0.02,
    rt_median: Annotated[float, typer.Option(help="Median response time of attentive workers (ms).")] = 1500.0,
    rt_sigma: Annotated[float, typer.Option(help="Log-sd of response times.")] = 0.5,
    image_sd: Annotated[float, typer.Option(help="Per-image spread of the preference (logit sd).")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="CSV", help="Votes CSV; --power: power CSV.", show_default="<study>/votes.csv"
        ),
    ] = None,
    power: Annotated[bool, typer.Option("--power", help="Estimate the power of a design (no votes written).")] = False,
    images: Annotated[int, typer.Option(help="--power: images per study (start of the --solve images search).")] = 50,
    workers_per_pair: Annotated[int, typer.Option(help="--power: workers per image pair.")] = 5,
    trials_per_worker: Annotated[int, typer.Option(help="--power: comparisons per worker.")] = 20,
    sentinels: Annotated[int, typer.Option(help="--power: sentinel trials per worker.")] = 4,
    repeats: Annotated[int, typer.Option(help="--power: repeated trials per worker.")] = 2,
    min_sentinel_accuracy: MinSentinelAccuracy = QC_MIN_SENTINEL_ACCURACY,
    min_median_rt: MinMedianRt = QC_MIN_MEDIAN_RT_MS,
    max_trial_rt: MaxTrialRt = QC_MAX_TRIAL_RT_MS,
    min_repeat_agreement: MinRepeatAgreement = QC_MIN_REPEAT_AGREEMENT,
    min_repeat_gap: MinRepeatGap = QC_MIN_REPEAT_GAP,
    sims: Annotated[int, typer.Option(help="--power: simulated studies per design.")] = 200,
    alpha: Annotated[float, typer.Option(help="--power: significance level of the binomial test.")] = 0.05,
    solve: Annotated[
        str, typer.Option(help="--power: none, or the design size to solve for: images or workers.")
    ] = "none",
    target_power: Annotated[float, typer.Option(help="--power --solve: the power to reach.")] = 0.8,
) -> None:
    """Synthetic workers answer a study's plan (votes CSV), or estimate the power of a design (--power) and
    solve for the images or workers per image pair that reach --target-power (--solve)."""
    from srbench.study import simulate as sim

    if power:
        if folder is not None:
            raise ConfigError("--power sizes a design given by its options; omit the study folder")
        labels = tuple(s.partition("=")[0] for s in strength) if strength else ("A", "B")
        crowd = sim.Crowd(_strengths(labels, preference, strength), attention, lapse, image_sd, rt_median, rt_sigma)
        qc = _qc_policy(min_sentinel_accuracy, min_median_rt, max_trial_rt, min_repeat_agreement, min_repeat_gap)
        design = sim.Design(images, workers_per_pair, trials_per_worker, sentinels, repeats, qc)
        request = sim.PowerRequest(design, crowd, sims=sims, alpha=alpha, seed=seed)
        if solve == "none":
            _print_power(request, [sim.power(request)], output)
            return
        found, tried = sim.solve(request, target_power, solve)
        _print_power(request, tried, output)
        what = "images" if solve == "images" else "workers per image pair"
        if found is None:
            most = max(r.design.n_images if solve == "images" else r.design.workers_per_pair for r in tried)
            raise ConfigError(
                f"no design up to {most} {what} reaches power {target_power}; "
                "plan for a larger effect or more of the other"
            )
        n = found.design.n_images if solve == "images" else found.design.workers_per_pair
        out.print(f"{n} {what} reach power {found.power:.3f} >= {target_power}", markup=False, highlight=False)
        return
    if folder is None:
        raise ConfigError("pass a study folder to simulate its plan, or --power to size a study")
    from srbench.study.create import load_plan
    from srbench.study.ingest import write_votes
    from srbench.study.spec import load_spec

    spec = load_spec(folder)
    crowd = sim.Crowd(_strengths(spec.labels, preference, strength), attention, lapse, image_sd, rt_median, rt_sigma)
    votes = sim.simulate_votes(load_plan(folder), crowd, seed)
    path = write_votes(votes, output or folder / "votes.csv")
    out.print(f"{len(votes)} simulated votes from {votes['worker_id'].nunique()} workers -> {path}", markup=False)


def _print_power(request: PowerRequest, results: list[PowerResult], output: Path | None) -> None:
    """One line per design evaluated (and the same as CSV in ``output``)."""
    import pandas as pd

    from srbench.atomic import atomic_path

    d, c = request.design, request.crowd
    out.print(
        f"{d.trials_per_worker} comparisons + {d.sentinels_per_worker} sentinels + {d.repeats_per_worker} repeats "
        f"per worker; strengths {dict(c.strengths)}, image sd {c.image_sd}, attention {c.attention}, lapse "
        f"{c.lapse}; QC {d.qc.to_dict()}; {request.sims} studies, alpha {request.alpha}",
        markup=False,
        highlight=False,
    )
    rows = []
    for r in results:
        row = {
            "images": r.design.n_images,
            "workers_per_pair": r.design.workers_per_pair,
            "power": r.power,
            "mc_se": r.mc_se,
            "mean_share_a": r.mean_share_a,
            "attentive_kept": r.attentive_kept,
            "inattentive_excluded": r.inattentive_excluded,
        }
        rows.append(row)
        out.print(
            f"{row['images']} images x {row['workers_per_pair']} workers: power {r.power:.3f} (s.e. {r.mc_se:.3f}), "
            f"mean majority share {r.mean_share_a:.3f}, attentive kept {r.attentive_kept:.3f}, inattentive "
            f"excluded {r.inattentive_excluded:.3f}",
            markup=False,
            highlight=False,
        )
    if output is not None:
        with atomic_path(output) as tmp:
            pd.DataFrame(rows).to_csv(tmp, index=False)
