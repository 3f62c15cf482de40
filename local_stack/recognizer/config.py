"""The recognizer's settings: backend choice and the simulation knobs (latency, per-API TPS quota)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args

BackendChoice = Literal["stub", "models", "auto"]
BACKEND_CHOICES: tuple[str, ...] = get_args(BackendChoice)

ENV_BACKEND = "IMGREC_RECOGNIZER_BACKEND"
ENV_LATENCY_MS = "IMGREC_RECOGNIZER_LATENCY_MS"
ENV_TPS = "IMGREC_RECOGNIZER_TPS"


class ConfigError(ValueError):
    """A recognizer setting is out of range or unknown."""


@dataclass(frozen=True)
class RecognizerConfig:
    # auto: the models backend when its packages import, else the stub with a loud warning.
    backend: BackendChoice = "auto"
    # Extra delay added to every call, to imitate the real service's latency in benchmarks.
    latency_ms: int = 0
    # Transactions per second allowed per API; above it calls get ProvisionedThroughputExceededException.
    tps: float | None = None
    # Where Image.S3Object is read from; None means boto3's own resolution (AWS_ENDPOINT_URL_S3, ...).
    s3_endpoint_url: str | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKEND_CHOICES:
            raise ConfigError(f"backend must be one of {BACKEND_CHOICES}, not {self.backend!r}")
        if self.latency_ms < 0:
            raise ConfigError("latency_ms must be >= 0")
        if self.tps is not None and self.tps <= 0:
            raise ConfigError("tps must be > 0 (or None for no quota)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, s3_endpoint_url: str | None = None) -> RecognizerConfig:
        """Read the IMGREC_RECOGNIZER_* variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        backend = env.get(ENV_BACKEND, "auto").strip().lower() or "auto"
        if backend not in BACKEND_CHOICES:
            raise ConfigError(f"{ENV_BACKEND} must be one of {BACKEND_CHOICES}, not {backend!r}")
        try:
            latency_ms = int(env.get(ENV_LATENCY_MS, "0") or "0")
            tps_text = env.get(ENV_TPS, "").strip()
            tps = float(tps_text) if tps_text else None
        except ValueError as error:
            raise ConfigError(f"{ENV_LATENCY_MS} must be an integer and {ENV_TPS} a number") from error
        return cls(
            backend=cast(BackendChoice, backend),
            latency_ms=latency_ms,
            tps=tps,
            s3_endpoint_url=s3_endpoint_url,
        )
