"""CPU moto's server spends per request for nothing, removed in the local AWS emulator (process-wide).

moto resolves the backend of every request by listing its own package directory (`os.listdir` and one
`os.path.isdir` per entry, ~130 system calls): about a fifth of the emulator's CPU per request, measured
with the stack's mix of DynamoDB, S3 and SQS calls. The list cannot change while the process runs.
"""

from __future__ import annotations


def install() -> None:
    from moto import backends

    if getattr(backends.list_of_moto_modules, "_imgrec_cached", False):
        return
    modules = tuple(backends.list_of_moto_modules())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._imgrec_cached = True  # type: ignore[attr-defined]
    backends.list_of_moto_modules = list_of_moto_modules  # type: ignore[assignment]
