"""Device selection (:mod:`srbench.device`): ``auto`` means the CPU without importing torch only where no GPU
driver exists, and the CPU it names is the one torch would have chosen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from srbench import device
from srbench.errors import ConfigError


def test_no_driver_node_means_no_gpu_on_linux(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    assert not device.gpu_driver_present((str(tmp_path / "nvidiactl"),))
    (tmp_path / "nvidiactl").touch()
    assert device.gpu_driver_present((str(tmp_path / "nvidiactl"),))


def test_other_platforms_always_ask_torch(monkeypatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert device.gpu_driver_present(())


def test_auto_is_the_cpu_name_without_a_driver_and_torch_otherwise(monkeypatch) -> None:
    monkeypatch.setattr(device, "gpu_driver_present", lambda: False)
    assert device.device_name_or_resolved("auto") == "cpu"
    monkeypatch.setattr(device, "gpu_driver_present", lambda: True)
    assert device.device_name_or_resolved("auto") == device.resolve_device("auto")
    assert device.device_name_or_resolved("cpu") == "cpu"


def test_the_driver_check_never_says_cpu_where_torch_sees_cuda() -> None:
    """On this machine: no driver -> torch finds no CUDA (the direction the shortcut relies on)."""
    if not device.gpu_driver_present():
        assert not torch.cuda.is_available()
    assert str(device.resolve_device("auto")) in ("cpu", "cuda")


def test_unknown_or_missing_devices_are_one_line_errors() -> None:
    with pytest.raises(ConfigError, match="unknown device"):
        device.resolve_device("tpu7")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            device.resolve_device("cuda")
