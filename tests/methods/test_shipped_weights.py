"""The shipped baselines (``johnson-*``, ``srcnn-x8``) resolve from the package's own data, in a source tree and
in a wheel installed elsewhere, from one copy of the weights (``srbench/methods/shipped``)."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest

from srbench.methods import resolve_method
from srbench.methods.naming import SHIPPED, SHIPPED_DIR, shipped_weights

REPO = Path(__file__).resolve().parents[2]


def test_every_shipped_method_has_its_weights_and_every_weights_file_a_method() -> None:
    assert sorted(p.name for p in SHIPPED_DIR.iterdir() if p.suffix == ".safetensors") == sorted(
        f"{run}.safetensors" for run in SHIPPED.values()
    )
    for name in SHIPPED:
        assert shipped_weights(name).is_file(), name
        assert shipped_weights(name).stat().st_size < 4_000_000, "package data: keep the shipped weights small"


def test_the_wheel_takes_the_weights_as_package_data() -> None:
    conf = tomllib.loads((REPO / "pyproject.toml").read_text())
    globs = conf["tool"]["setuptools"]["package-data"]["srbench.methods"]
    rel = [str(shipped_weights(n).relative_to(SHIPPED_DIR.parent)) for n in SHIPPED]
    assert all(any(fnmatch(r, g) for g in globs) for r in rel), (rel, globs)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_model_cards_name_the_shipped_file_and_its_sha256(name: str) -> None:
    card = (REPO / "baselines" / SHIPPED[name] / "MODEL_CARD.md").read_text()
    sha = hashlib.sha256(shipped_weights(name).read_bytes()).hexdigest()
    assert re.search(rf"srbench/methods/shipped/{SHIPPED[name]}\.safetensors.*sha256 `{sha}`", card), name


_RUN_IN_WHEEL = r"""
import json, sys
from pathlib import Path
import srbench
assert Path(srbench.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), srbench.__file__
from tests_shipped_probe import probe
print(json.dumps({name: probe(name) for name in sys.argv[2:]}))
"""


def probe(name: str) -> list:
    """The method's provenance and its output on a fixed random LR image (as nested lists, for JSON)."""
    import torch

    from srbench.models.weights import read_metadata

    m = resolve_method(name)
    scale = int(read_metadata(shipped_weights(name))["scale"])
    channels = 1 if m.space == "y" else 3
    lr = torch.from_numpy(np.random.default_rng(0).random((1, channels, 12, 10)))
    with torch.no_grad():
        sr = m.upscale(lr, scale, ["probe"])
    return [m.provenance().get("sha256", m.provenance()), sr.double().numpy().round(12).tolist()]


@pytest.mark.slow
def test_shipped_methods_resolve_and_run_from_an_installed_wheel(tmp_path: Path) -> None:
    """``pip wheel`` of a copy of the package, installed with ``--target`` into a folder that is not the source
    tree: every shipped method resolves there and upscales exactly as from the source tree."""
    src = tmp_path / "src"
    src.mkdir()
    for f in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / f, src / f)
    shutil.copytree(REPO / "srbench", src / "srbench", ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    env = {**os.environ, "PIP_NO_INDEX": "1"}
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
        check=True,
        env=env,
        cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("srbench-*.whl")
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, env=env)
    assert sorted(p.name for p in (site / "srbench/methods/shipped").iterdir()) == sorted(
        f"{r}.safetensors" for r in SHIPPED.values()
    )
    env_run = {k: v for k, v in os.environ.items() if k != "SRBENCH_BASELINES"}
    env_run["PYTHONPATH"] = str(site)
    probe_dir = tmp_path / "probe"  # this file's probe(), importable without the source tree's tests package
    probe_dir.mkdir()
    (probe_dir / "tests_shipped_probe.py").write_text(
        "import numpy as np\nfrom srbench.methods import resolve_method\n"
        "from srbench.methods.naming import shipped_weights\n\n" + inspect.getsource(probe)
    )
    env_run["PYTHONPATH"] = os.pathsep.join([str(site), str(probe_dir)])
    names = sorted(SHIPPED)
    out = subprocess.run(
        [sys.executable, "-c", _RUN_IN_WHEEL, str(site), *names],
        cwd=tmp_path,
        env=env_run,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    from_wheel = json.loads(out.stdout.strip().splitlines()[-1])
    for name in names:
        assert from_wheel[name] == probe(name), name


def test_no_model_card_names_a_file_its_folder_lacks() -> None:
    """Every `file.csv` / `file.md` / `file.png` (or image link) a card names as a file of its folder exists there."""
    root = Path(__file__).resolve().parents[2] / "baselines"
    cards = sorted(root.glob("*/MODEL_CARD.md"))
    assert cards
    for card in cards:
        text = card.read_text()
        found = re.findall(r"`([\w.-]+\.(?:csv|md|pt|png))`|\]\(([\w.-]+\.png)\)", text)  # `file` or ![..](file)
        for name in {a or b for a, b in found}:
            mentioned_absent = f"no `{name}`" in text
            assert (card.parent / name).exists() or mentioned_absent, f"{card} names {name}, which is not there"
