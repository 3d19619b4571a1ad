"""``srbench study serve``: the web app crowd workers open (FastAPI + uvicorn, responses in SQLite).

Routes: ``GET /`` (instructions, consent, trials; :file:`web/index.html` + :file:`web/study.js` +
:file:`web/platform.js`), ``GET /api/info`` (the design's texts, time, pay, ethics and researcher details, the
practice screen and the display policy), ``GET /api/display`` (the spec's display policy, the page layout constants
and the largest image, for the page's screen check), ``POST /api/start`` (consent; a slot and a session token),
``POST /api/next`` (the worker's next trial, or the completion code), ``POST /api/respond`` (one answer; committed
before the next trial is returned), ``GET /images/<stimulus>/<file>.png`` (only files the plan lists),
``GET /api/admin/responses``, ``GET /api/admin/progress``, ``GET /api/admin/slots`` and
``POST /api/admin/slots/<id>/release`` (``Authorization: Bearer <admin token>``), ``GET /healthz``.

Safety: bodies are capped at :data:`MAX_BODY` bytes (413), parsed strictly (unknown fields, wrong types: 422;
broken or too deeply nested JSON: 400); a worker is known only by the secret token the server gave them (401
otherwise), and can answer only their own trials, in order (unknown trial: 404; out of order or a changed answer:
409; the same answer again: 200, stored once). Starts are accepted only from the platforms the design lists
(403), with IDs in their platform's format (422, :mod:`srbench.study.identity`), of this study's own HITs and
Prolific studies where the folder records them (an MTurk ``hitId`` not in ``mturk_hits.json`` or opened with
another group than its HIT's, a Prolific ``STUDY_ID`` not linked: 403, no slot taken; :mod:`srbench.study.owned`),
at most the design's rate per client
address and per platform identity (429); a saved session resumes only for the same platform identity and session,
and a slot whose lease went to another worker answers 410. Image paths are looked up in the plan's
list, never joined onto the file system from the URL, so nothing outside ``images/`` can be served. The admin
token is compared in constant time and never written to the study folder.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from srbench.errors import ConfigError, DataError
from srbench.study.db import AlreadyStarted, AlreadyTookPart, Lease, LeaseLost, StudyDB, StudyFull, Worker
from srbench.study.display import COLUMN_GAP_PX, FRAME_PX, HEADER_PX, PAGE_MARGIN_PX
from srbench.study.identity import MTURK_PREVIEW, Identity, check_identity
from srbench.study.owned import OwnedIds
from srbench.study.plan import Plan, Trial
from srbench.study.ratelimit import SlidingWindow
from srbench.study.spec import DB_FILE, IMAGES_DIR, PLAN_FILE, StudySpec, load_spec

MAX_BODY = 4096
ADMIN_TOKEN_ENV = "SRBENCH_STUDY_ADMIN_TOKEN"
PROLIFIC_COMPLETE = "https://app.prolific.com/submissions/complete?cc="
LOST = "your time for this study ran out and your place went to another worker; please return this task"

Id = Annotated[str, Field(max_length=128, pattern=r"^[A-Za-z0-9_.:@-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class StartBody(_Strict):
    platform: Literal["web", "mturk", "prolific"] = "web"
    external_id: Id = ""
    consent: Literal[True]
    token: Annotated[str, Field(max_length=64)] = ""
    group: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    assignment_id: Id = ""
    hit_id: Id = ""
    study_id: Id = ""
    session_id: Id = ""
    pixel_ratio: Annotated[float, Field(gt=0, le=16)] = 1.0


class TokenBody(_Strict):
    token: Annotated[str, Field(min_length=1, max_length=64)]


class RespondBody(TokenBody):
    trial_id: Annotated[str, Field(min_length=1, max_length=64)]
    choice: Literal["left", "right"]
    rt_ms: Annotated[float, Field(ge=0, le=3_600_000, allow_inf_nan=False)]


async def _body(request: Request, model: type[_Strict]) -> Any:
    """Read at most ``MAX_BODY`` bytes (413 beyond), then parse JSON strictly (400 / 422)."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise HTTPException(413, f"request body over {MAX_BODY} bytes")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise HTTPException(413, f"request body over {MAX_BODY} bytes")
    try:
        raw = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPException(400, "body is not valid JSON") from None
    except RecursionError:
        raise HTTPException(400, "body is nested too deeply") from None
    try:
        return model.model_validate(raw)
    except RecursionError:
        raise HTTPException(400, "body is nested too deeply") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise HTTPException(422, f"invalid {where}: {first['msg']}") from None


def _web(name: str) -> str:
    return resources.files("srbench.study").joinpath("web", name).read_text(encoding="utf-8")


class Study:
    """A study folder opened for serving: spec, plan, image sizes and the database."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).resolve()
        self.spec: StudySpec = load_spec(self.folder)
        plan_path = self.folder / PLAN_FILE
        self.plan = Plan.load(plan_path)
        self.trials: dict[str, Trial] = self.plan.by_id()
        self.files: dict[str, Path] = {}
        self.sizes: dict[str, tuple[int, int]] = {}
        root = self.folder / IMAGES_DIR
        for views in self.plan.images.values():
            for rel in views.values():
                p = root / rel
                if not p.is_file():
                    raise DataError(f"{p}: image listed in plan.json is missing; re-create the study")
                with Image.open(p) as im:
                    self.sizes[rel] = im.size
                self.files[rel] = p
        if self.plan.practice:
            for key in ("ref", "left", "right"):
                rel = self.plan.practice[key]
                p = root / rel
                if not p.is_file():
                    raise DataError(f"{p}: practice image listed in plan.json is missing; re-create the study")
                with Image.open(p) as im:
                    self.sizes[rel] = im.size
                self.files[rel] = p
        sha = hashlib.sha256(plan_path.read_bytes()).hexdigest()
        slots = self.spec.design.slots
        lease = Lease(slots.time_limit_minutes * 60, slots.active_grace_minutes * 60, slots.per_worker)
        self.db = StudyDB(self.folder / DB_FILE, self.plan, sha, lease)

    def info(self) -> dict[str, Any]:
        """What the worker page shows before the study: the design's texts and details, practice and display."""
        d = self.spec.design
        out: dict[str, Any] = d.model_dump(
            mode="json", include={"title", "instructions", "consent", "ethics", "researcher", "minutes", "pay"}
        )
        out["display"] = d.display.model_dump(mode="json")
        out["practice"] = None
        if d.practice and self.plan.practice:
            pr = self.plan.practice
            out["practice"] = {k: self.image(pr[k]) for k in ("ref", "left", "right")} | {"answer": pr["answer"]}
        return out

    def display(self) -> dict[str, Any]:
        """The spec's :class:`~srbench.study.display.DisplayPolicy` and the largest image shown, in image pixels."""
        shown = [views[lab] for views in self.plan.images.values() for lab in views]
        return {
            "policy": self.spec.display.to_dict(),
            "columns": self.spec.display.columns,
            "layout": {"margin": PAGE_MARGIN_PX, "gap": COLUMN_GAP_PX, "frame": FRAME_PX, "header": HEADER_PX},
            "max_width": max((self.sizes[r][0] for r in shown), default=0),
            "max_height": max((self.sizes[r][1] for r in shown), default=0),
        }

    def image(self, rel: str) -> dict[str, Any]:
        w, h = self.sizes[rel]
        return {"url": f"images/{rel}", "width": w, "height": h}

    def state(self, worker: Worker, answered: int) -> dict[str, Any]:
        """The worker's next trial, or the completion record."""
        trials = self.plan.slots[worker.slot_id]
        if answered >= len(trials):
            out: dict[str, Any] = {
                "done": True,
                "completion_code": self.spec.completion_code,
                "votes": [[r["trial_id"], r["choice"], r["rt_ms"]] for r in self.db.worker_responses(worker.worker_id)],
            }
            if worker.platform == "prolific":
                out["completion_url"] = PROLIFIC_COMPLETE + self.spec.completion_code
            return out
        t = trials[answered]
        views = self.plan.images[t.stimulus]
        return {
            "done": False,
            "trial": {
                "trial_id": t.trial_id,
                "position": t.position,
                "total": len(trials),
                "reference": self.image(views["ref"]),
                "left": self.image(views[t.left]),
                "right": self.image(views[t.right]),
            },
        }


def make_app(folder: str | Path, admin_token: str, prolific_study_ids: tuple[str, ...] = ()) -> FastAPI:
    """The FastAPI app for the study in ``folder``; ``admin_token`` guards the admin routes.

    ``prolific_study_ids``: Prolific study ids accepted besides those in ``<folder>/prolific_study.json``."""
    if len(admin_token) < 16:
        raise DataError("the admin token must be at least 16 characters; omit it to get a random one")
    study = Study(folder)
    owned = OwnedIds(study.folder, prolific_study_ids)
    app = FastAPI(title=f"srbench study {study.spec.name}", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.study = study
    app.state.owned = owned
    index = _web("index.html")
    script = _web("study.js")
    platform_script = _web("platform.js")
    limits = study.spec.design.rate_limit
    per_client = SlidingWindow(limits.starts_per_client, limits.window_seconds)
    per_identity = SlidingWindow(limits.starts_per_identity, limits.window_seconds)
    allowed = study.spec.design.platforms
    no_store = {"Cache-Control": "no-store"}

    def authed(token: str) -> Worker:
        w = study.db.worker(token)
        if w is None:
            raise HTTPException(401, "unknown session token; start the study from its link")
        if not study.db.holds(w):
            raise HTTPException(410, LOST)
        return w

    def limited(window: SlidingWindow, key: str, what: str) -> None:
        wait = window.hit(key)
        if wait > 0:
            raise HTTPException(
                429, f"too many starts from this {what}; try again in {wait:.0f} s", {"Retry-After": f"{wait:.0f}"}
            )

    def admin(request: Request) -> None:
        header = request.headers.get("authorization", "")
        given = header[7:] if header.lower().startswith("bearer ") else ""
        if not hmac.compare_digest(given.encode(), admin_token.encode()):
            raise HTTPException(403, "admin token missing or wrong")

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        return HTMLResponse(index, headers=no_store)

    @app.get("/static/study.js")
    def js() -> Response:
        return Response(script, media_type="text/javascript", headers=no_store)

    @app.get("/static/platform.js")
    def platform_js() -> Response:
        return Response(platform_script, media_type="text/javascript", headers=no_store)

    @app.get("/api/info")
    def info() -> JSONResponse:
        return JSONResponse(study.info(), headers=no_store)

    display = study.display()

    @app.get("/api/display")
    def display_policy() -> JSONResponse:
        return JSONResponse(display, headers=no_store)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "study": study.spec.name}

    @app.get("/images/{stimulus}/{name}")
    def image(stimulus: str, name: str) -> FileResponse:
        p = study.files.get(f"{stimulus}/{name}")
        if p is None:
            raise HTTPException(404, "no such image")
        return FileResponse(p, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    @app.post("/api/start")
    async def start(request: Request) -> JSONResponse:
        body: StartBody = await _body(request, StartBody)
        if body.assignment_id == MTURK_PREVIEW:
            raise HTTPException(409, "this is an MTurk preview; accept the HIT to start")
        if body.platform not in allowed:
            raise HTTPException(
                403, f"this study does not accept {body.platform} workers; open it from its {' or '.join(allowed)} link"
            )
        session = body.assignment_id if body.platform == "mturk" else body.session_id
        ident = Identity(body.platform, body.external_id, session, body.hit_id, body.study_id)
        try:
            check_identity(ident)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None
        refused = owned.check(ident, body.group)
        if refused:
            raise HTTPException(403, refused)
        if body.group is not None and body.group >= study.plan.n_groups:
            raise HTTPException(404, f"no group {body.group} in this study")
        limited(per_client, request.client.host if request.client else "?", "address")
        if not ident.anonymous:
            limited(per_identity, ident.key(), "worker id")
        try:
            w, token, resumed = await run_in_threadpool(
                study.db.start, ident, group=body.group, token=body.token, pixel_ratio=body.pixel_ratio
            )
        except AlreadyStarted:
            raise HTTPException(409, "this id has already started; continue in the browser you started in") from None
        except AlreadyTookPart:
            raise HTTPException(
                409, "you have already taken part in this study (one place per worker); please return this task"
            ) from None
        except LeaseLost:
            raise HTTPException(410, LOST) from None
        except StudyFull:
            raise HTTPException(409, "the study is full; thank you for your interest") from None
        n = await run_in_threadpool(study.db.answered, w.worker_id)
        return JSONResponse({"token": token, "resumed": resumed, "next": study.state(w, n)}, headers=no_store)

    @app.post("/api/next")
    async def next_trial(request: Request) -> JSONResponse:
        body: TokenBody = await _body(request, TokenBody)
        w = await run_in_threadpool(authed, body.token)
        n = await run_in_threadpool(study.db.answered, w.worker_id)
        return JSONResponse(await run_in_threadpool(study.state, w, n), headers=no_store)

    @app.post("/api/respond")
    async def respond(request: Request) -> JSONResponse:
        body: RespondBody = await _body(request, RespondBody)
        w = await run_in_threadpool(authed, body.token)
        t = study.trials.get(body.trial_id)
        if t is None or t.slot != w.slot_id:
            raise HTTPException(404, "unknown trial id")
        status = await run_in_threadpool(study.db.record, w, t, body.choice, body.rt_ms)
        if status == "conflict":
            raise HTTPException(409, "this trial was already answered differently; answers cannot be changed")
        if status == "out-of-order":
            raise HTTPException(409, "not your current trial; reload the page to continue")
        if status == "lost":
            raise HTTPException(410, LOST)
        n = await run_in_threadpool(study.db.answered, w.worker_id)
        nxt = await run_in_threadpool(study.state, w, n)
        return JSONResponse({"status": status, "next": nxt}, headers=no_store)

    @app.get("/api/admin/progress")
    def progress(request: Request) -> dict[str, int]:
        admin(request)
        return study.db.progress()

    @app.get("/api/admin/responses")
    def responses(request: Request) -> PlainTextResponse:
        admin(request)
        resp, _ = study.db.dump()
        return PlainTextResponse(resp.to_csv(index=False), media_type="text/csv", headers=no_store)

    @app.get("/api/admin/slots")
    def slots(request: Request) -> JSONResponse:
        admin(request)
        table = study.db.slots()
        return JSONResponse(json.loads(table.to_json(orient="records")), headers=no_store)

    @app.post("/api/admin/slots/{slot_id}/release")
    def release(request: Request, slot_id: int) -> dict[str, Any]:
        admin(request)
        try:
            holder = study.db.release(slot_id)
        except KeyError:
            raise HTTPException(404, f"no slot {slot_id} in this study") from None
        except ValueError as exc:
            raise HTTPException(409, str(exc)) from None
        return {"slot_id": slot_id, "released_worker": holder}

    return app


def admin_token_from_env(given: str | None) -> tuple[str, bool]:
    """``(token, generated)``: the given token, else ``$SRBENCH_STUDY_ADMIN_TOKEN``, else a random one."""
    import os

    token = given or os.environ.get(ADMIN_TOKEN_ENV, "")
    return (token, False) if token else (secrets.token_urlsafe(24), True)


@dataclass(frozen=True)
class ServeOptions:
    """How ``srbench study serve`` listens.

    ``ssl_certfile``/``ssl_keyfile``: serve HTTPS directly (uvicorn's TLS); otherwise run behind a TLS reverse
    proxy on the same machine (README, Deployment). ``forwarded_allow_ips``: the proxies whose
    ``X-Forwarded-For``/``-Proto`` headers are trusted, so rate limits see each worker's own address (uvicorn's
    option; default the loopback proxy). ``prolific_study_ids``: Prolific studies accepted besides those linked
    in the study folder (:mod:`srbench.study.owned`).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str = ""
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    forwarded_allow_ips: str = "127.0.0.1"
    prolific_study_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ConfigError("pass both --ssl-certfile and --ssl-keyfile (or neither, behind a TLS reverse proxy)")
        for f in (self.ssl_certfile, self.ssl_keyfile):
            if f is not None and not Path(f).is_file():
                raise DataError(f"{f}: no such file; pass the PEM certificate chain and its private key")

    @property
    def tls(self) -> bool:
        return self.ssl_certfile is not None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}/"

    @property
    def public_plain_http(self) -> bool:
        """Plain HTTP on an address other than loopback: workers' ids and answers would cross the network in clear."""
        return not self.tls and self.host not in ("127.0.0.1", "localhost", "::1")


def server_config(folder: str | Path, options: ServeOptions) -> Any:
    """The ``uvicorn.Config`` serving the study in ``folder`` as ``options`` say."""
    import uvicorn

    app = make_app(folder, options.admin_token, options.prolific_study_ids)
    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
        ssl_certfile=str(options.ssl_certfile) if options.ssl_certfile else None,
        ssl_keyfile=str(options.ssl_keyfile) if options.ssl_keyfile else None,
        proxy_headers=True,
        forwarded_allow_ips=options.forwarded_allow_ips,
    )


def serve(folder: str | Path, options: ServeOptions) -> None:
    """Run the app with uvicorn until interrupted."""
    import uvicorn

    uvicorn.Server(server_config(folder, options)).run()


if __name__ == "__main__":  # ``python -m srbench.study.server FOLDER PORT``: starts without the full CLI's imports
    import sys

    token, _ = admin_token_from_env(None)
    serve(sys.argv[1], ServeOptions(port=int(sys.argv[2]), admin_token=token))
