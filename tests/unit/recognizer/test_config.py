from __future__ import annotations

import pytest

from local_stack.recognizer.config import ConfigError, RecognizerConfig


def test_environment_sets_the_simulation_knobs() -> None:
    config = RecognizerConfig.from_env(
        {
            "IMGREC_RECOGNIZER_BACKEND": "stub",
            "IMGREC_RECOGNIZER_LATENCY_MS": "120",
            "IMGREC_RECOGNIZER_TPS": "5",
        }
    )
    assert config == RecognizerConfig(backend="stub", latency_ms=120, tps=5.0)


def test_unset_environment_gives_defaults() -> None:
    assert RecognizerConfig.from_env({}) == RecognizerConfig(backend="auto", latency_ms=0, tps=None)


@pytest.mark.parametrize(
    "environ",
    [
        {"IMGREC_RECOGNIZER_BACKEND": "gpu"},
        {"IMGREC_RECOGNIZER_TPS": "fast"},
        {"IMGREC_RECOGNIZER_TPS": "0"},
        {"IMGREC_RECOGNIZER_LATENCY_MS": "-1"},
    ],
)
def test_bad_values_fail_loudly(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        RecognizerConfig.from_env(environ)
