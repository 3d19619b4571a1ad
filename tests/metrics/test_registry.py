"""The metric registry imports a metric's module when one of its names is looked up (issue 12).

:data:`srbench.metrics.MODULES` declares which names each metric module registers, so that looking up ``psnr``
imports the PSNR module alone (and no torch). A declaration that differs from what the module registers would list
a name that does not exist, or hide one that does: each module is checked here, in a fresh interpreter (this test
process has imported every metric long ago).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import srbench
from srbench.errors import ConfigError
from srbench.registry import Registry

CODE = """
import importlib, json, sys
from srbench.metrics import METRICS, MODULES
out = {"declared": METRICS.names(), "modules": {}}
for module in MODULES:
    before = set(METRICS._items)
    importlib.import_module(module)
    out["modules"][module] = sorted(set(METRICS._items) - before)
out["after"] = METRICS.names()
out["pending"] = sorted(METRICS._lazy)
print(json.dumps(out))
"""

LOOKUP = """
import json, sys
from srbench.metrics import METRICS
spec = METRICS.get("PSNR")
assert spec.name == "psnr" and METRICS.get("ssim").min_size == 11 and "fsim" in METRICS
print(json.dumps(sorted(m for m in ["torch", "srbench.metrics.fsim", "srbench.metrics.lpips"] if m in sys.modules)))
"""


def _run(code: str) -> object:
    env = {**os.environ, "PYTHONPATH": str(Path(srbench.__file__).resolve().parents[1])}  # this checkout
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_each_metric_module_registers_exactly_the_names_it_declares() -> None:
    from srbench.metrics import MODULES

    found = _run(CODE)
    assert isinstance(found, dict)
    assert found["modules"] == {module: sorted(names) for module, names in MODULES.items()}
    assert found["declared"] == found["after"]
    assert found["pending"] == []


def test_looking_up_psnr_and_ssim_imports_no_other_metric_and_no_torch() -> None:
    assert _run(LOOKUP) == []


def test_a_deferred_module_is_imported_on_first_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg: Registry[int] = Registry("thing")
    package = tmp_path / "deferred_things"
    package.mkdir()
    (package / "__init__.py").write_text("")
    head = "from tests_registry_target import REG\n"
    (package / "one.py").write_text(head + "REG.add('one', 1)\nREG.alias('uno', 'one')\n")
    (package / "two.py").write_text(head + "REG.add('two', 2)\n")
    target = type(sys)("tests_registry_target")
    target.REG = reg  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_registry_target", target)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("deferred_things", "deferred_things.one", "deferred_things.two"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    reg.defer("deferred_things.one", ["one"])
    reg.defer("deferred_things.two")  # declares no names

    assert reg.get("one") == 1
    assert "deferred_things.one" in sys.modules and "deferred_things.two" not in sys.modules
    assert reg.names() == ["one", "two"]  # a module without declared names is imported to list them
    assert "deferred_things.two" in sys.modules
    assert reg.canonical("UNO") == "one" and reg.get("uno") == 1
    with pytest.raises(ConfigError, match="unknown thing 'three'; choose one of: one, two"):
        reg.get("three")
