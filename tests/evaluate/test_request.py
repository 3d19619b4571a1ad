"""``EvalRequest``: the frozen, validated argument of ``evaluate``; mistakes fail when it is made, in one line."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from srbench.data.datasets import resolve_dataset
from srbench.errors import ConfigError
from srbench.evaluate import EvalRequest
from srbench.evaluate.request import DEFAULT_METRICS
from srbench.methods import resolve_method
from srbench.protocol.record import Protocol


def _request(**kwargs: Any) -> EvalRequest:
    fields: dict[str, Any] = {"datasets": [resolve_dataset("demo", None)], "methods": [resolve_method("bicubic")]}
    fields.update(kwargs)
    return EvalRequest(**fields)


def test_defaults_and_sequences_kept_as_tuples() -> None:
    request = _request(scales=[2, 4], metrics=["psnr"])
    assert isinstance(request.datasets, tuple) and isinstance(request.methods, tuple)
    assert request.scales == (2, 4) and request.metrics == ("psnr",)
    plain = _request()
    assert plain.scales == (4,) and plain.metrics == DEFAULT_METRICS and plain.protocol == Protocol()
    assert (plain.device, plain.batch, plain.threads, plain.workers) == ("cpu", 8, 1, None)
    assert plain.output is plain.store is plain.lr_dir is plain.save_sr is None


def test_frozen_and_the_settings_after_device_are_keyword_only() -> None:
    request = _request()
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.batch = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        EvalRequest(request.datasets, request.methods, (4,), ("psnr",), Protocol(), "cpu", "out.csv")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"datasets": []}, "no datasets"),
        ({"methods": []}, "no methods"),
        ({"scales": []}, "no scales"),
        ({"metrics": ()}, "no metrics"),
        ({"scales": [4, 5]}, "scale 5 is not supported"),
        ({"metrics": ["psnr", "nope"]}, "unknown metric 'nope'"),
        ({"batch": 0}, "batch must be at least 1"),
        ({"threads": 0}, "threads must be at least 1"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"device": "tpu:x"}, "unknown device"),
    ],
)
def test_mistakes_raise_one_line_config_errors(kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        _request(**kwargs)
    assert needle in str(info.value) and "\n" not in str(info.value)
