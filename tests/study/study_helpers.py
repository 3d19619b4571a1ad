"""Helpers of the study tests: re-planning a study folder and a real uvicorn server on a free loopback port."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from srbench.study.design import StudyDesign, validated
from srbench.study.plan import Plan, make_plan
from srbench.study.server import make_app
from srbench.study.spec import PLAN_FILE, load_spec

ADMIN = "admin-token-for-tests-0123456789"


def replan(folder: Path, **kwargs: int) -> Plan:
    """Same images, another plan (e.g. more slots for the load test)."""
    old = Plan.load(folder / PLAN_FILE)
    plan = make_plan(sorted(old.images), ["bicubic", "nearest"], seed=5, **kwargs)
    plan.images = old.images
    plan.save(folder / PLAN_FILE)
    return plan


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, timeout: float = 60.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            log = proc.stderr.read().decode() if proc.stderr else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {log}")
        try:
            if httpx.get(url + "healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"server at {url} did not come up in {timeout} s")


@contextmanager
def running_server(folder: Path) -> Iterator[str]:
    """A real uvicorn server in a thread on 127.0.0.1:<free port>; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(make_app(folder, ADMIN), host="127.0.0.1", port=port, log_level="warning", backlog=256)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_healthy(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def spawn_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """The study server in a child process (``serve()``, as ``srbench study serve`` runs it, minus the CLI's
    import time)."""
    cmd = [sys.executable, "-m", "srbench.study.server", str(folder), str(port)]
    env = dict(os.environ, SRBENCH_STUDY_ADMIN_TOKEN=ADMIN, OMP_NUM_THREADS="1")
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@contextmanager
def server_process(folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = spawn_server(folder, port)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_healthy(url, proc=proc)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def set_design(folder: Path, **updates: object) -> None:
    """Change the study design stored in ``folder``'s study.json (e.g. ``platforms=("mturk",)``)."""
    spec = load_spec(folder)
    design = validated(StudyDesign, spec.design.model_dump() | updates, "test")
    dataclasses.replace(spec, design=design).save(folder)


def mturk_ids(i: int, assignment: int = 0) -> dict[str, str]:
    """Start-body fields of MTurk worker ``i`` in its ``assignment``-th HIT, in MTurk's ID formats."""
    return {
        "platform": "mturk",
        "external_id": f"A{i:013d}",
        "assignment_id": f"3ASSIGN{i:011d}{assignment:012d}",
        "hit_id": f"3HIT{assignment:026d}",
    }


def prolific_ids(i: int, session: int = 0) -> dict[str, str]:
    """Start-body fields of Prolific participant ``i`` in its ``session``-th submission (24-digit hex ids)."""
    return {
        "platform": "prolific",
        "external_id": f"{i:024x}",
        "study_id": "5" * 24,
        "session_id": f"{(1 << 90) + i * 1000 + session:024x}",
    }


CHROMIUM_ENV = "SRBENCH_CHROMIUM"


def chromium() -> str:
    """The chromium binary for Playwright (``$SRBENCH_CHROMIUM``, else ``chromium`` on PATH), or a skip."""
    for cand in (os.environ.get(CHROMIUM_ENV), "chromium", "chromium-browser"):
        path = cand and shutil.which(cand)
        if path:
            return path
    pytest.skip("no chromium binary found (apt-get install chromium, or set SRBENCH_CHROMIUM)")
