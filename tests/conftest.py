"""Shared fixtures: the ``../shared`` data root (Set5/Set14/BSD100, MATLAB-written reference files).

* ``shared_datasets``: ``$SRBENCH_DATA`` if set, else ``<repo>/../shared/datasets``.
* ``shared_fixtures``: ``<data root>/../reference/fixtures``.
* ``shared_weights``: ``$SRBENCH_WEIGHTS``, else ``<data root>/../weights`` (VGG-16, SRCNN authors' weights).

Both skip the requesting test when the data is not there. In CI, set ``SRBENCH_REQUIRE_SHARED=1``: any skipped
test then fails the session (the guard below), so a missing data root can never turn the numeric regression
tests into silent skips.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SKIP_REASON = "needs ../shared (Set5/Set14/BSD100 + MATLAB fixtures); set SRBENCH_DATA"
REQUIRE_ENV = "SRBENCH_REQUIRE_SHARED"


def _data_root() -> Path:
    env = os.environ.get("SRBENCH_DATA")
    return Path(env).expanduser() if env else REPO.parent / "shared" / "datasets"


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """One torch intra-op thread for the test: small tensors on a shared 2-core machine run faster so."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(params=["numba", "torch"])
def kernel_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test once with the compiled CPU kernels (srbench.kernels) and once with the torch code they replace."""
    monkeypatch.setenv("SRBENCH_KERNELS", request.param)
    return str(request.param)


@pytest.fixture(autouse=True)
def _isolated_result_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own empty result store: ``srbench eval`` never writes to the user's real one."""
    monkeypatch.setenv("SRBENCH_STORE", str(tmp_path_factory.mktemp("store")))


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    root = _data_root()
    if not all((root / name / "hr").is_dir() for name in ("set5", "set14", "bsd100")):
        pytest.skip(SKIP_REASON)
    return root


WEIGHT_FILES = (
    "vgg16/vgg16_features.pth",
    "srcnn/srcnn_955_imagenet_x4.mat",
    "srcnn/srcnn_915_91images_x4.mat",
    "srcnn/srcnn_955_imagenet_x4_torch_oihw.npz",
    "srcnn/srcnn_915_91images_x4_torch_oihw.npz",
)
WEIGHTS_SKIP_REASON = "needs ../shared/weights (VGG-16 and SRCNN authors' files); set SRBENCH_WEIGHTS"


def _weights_root() -> Path:
    env = os.environ.get("SRBENCH_WEIGHTS")
    return Path(env).expanduser() if env else _data_root().parent / "weights"


@pytest.fixture(scope="session")
def shared_weights() -> Path:
    """The weights root (``$SRBENCH_WEIGHTS``, else ``weights/`` beside the data root); skips when incomplete."""
    root = _weights_root()
    if not all((root / f).is_file() for f in WEIGHT_FILES):
        pytest.skip(WEIGHTS_SKIP_REASON)
    return root


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    root = _data_root().parent / "reference" / "fixtures"
    if not all((root / name).is_dir() for name in ("matlab_imresize", "matlab_lrbicx2_set5")):
        pytest.skip(SKIP_REASON)
    return root


# --- CI guard: SRBENCH_REQUIRE_SHARED=1 turns every skip into a session failure ----------------------------

_skipped: list[str] = []


def _require_shared() -> bool:
    return os.environ.get(REQUIRE_ENV, "") == "1"


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # an xfail is reported as "skipped" with ``wasxfail`` set: that is an expected failure, not a skip
    if report.skipped and not hasattr(report, "wasxfail") and report.nodeid not in _skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _require_shared() and _skipped:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    if _require_shared() and _skipped:
        terminalreporter.section("SRBENCH_REQUIRE_SHARED", sep="=", red=True, bold=True)
        terminalreporter.write_line(
            f"{REQUIRE_ENV}=1: {len(_skipped)} tests were skipped: " + ", ".join(_skipped), red=True
        )
