"""The declarative process list: every need is a service declared before it, and options reach commands."""

from __future__ import annotations

from local_stack.recognizer import RecognizerConfig
from local_stack.services import SERVICES, Context, LayoutOptions, by_name


def context(**options: object) -> Context:
    return Context(
        host="127.0.0.1",
        ports={"api": 8000, "aws": 4566, "recognizer": 4567},
        urls={"aws": "http://127.0.0.1:4566", "recognizer": "http://127.0.0.1:4567"},
        web_origins=("http://127.0.0.1:8000",),
        options=LayoutOptions(**options),  # type: ignore[arg-type]
    )


def test_services_start_after_what_they_need_and_names_are_unique() -> None:
    seen: set[str] = set()
    for service in SERVICES:
        assert set(service.needs) <= seen, f"{service.name} needs {set(service.needs) - seen}, declared later"
        assert service.name not in seen
        seen.add(service.name)


def test_the_worker_waits_for_provisioning_and_the_recognizer_and_provisioning_for_the_api() -> None:
    assert {"provision", "recognizer"} <= set(by_name("worker").needs)
    assert "api" in by_name("provision").needs  # the bucket's CORS admits the web app's origin


def test_options_reach_the_commands() -> None:
    rendered = context(
        recognizer=RecognizerConfig(backend="stub", latency_ms=200, tps=3),
        visibility_timeout=20,
        maximum_concurrency=4,
        rate_limit=42,
    )

    gateway = by_name("api").arguments(rendered)
    recognizer = by_name("recognizer").arguments(rendered)
    provision = by_name("provision").arguments(rendered)
    worker = by_name("worker").arguments(rendered)

    assert gateway[gateway.index("--rate-limit") + 1] == "42"
    assert (
        recognizer[recognizer.index("--latency-ms") + 1] == "200" and recognizer[recognizer.index("--tps") + 1] == "3"
    )
    assert provision[provision.index("--visibility-timeout") + 1] == "20"
    assert worker[worker.index("--handler") + 1] == "worker.handle_jobs.lambda_handler"


def test_each_worker_process_is_one_execution_environment_and_their_number_follows_the_cap() -> None:
    worker = by_name("worker")

    # One invocation at a time per process, as in Lambda: the handler may keep its loop between calls.
    rendered = worker.arguments(context())
    assert rendered[rendered.index("--maximum-concurrency") + 1] == "1"
    assert worker.instances(LayoutOptions(maximum_concurrency=1)) == 1
    assert 2 <= worker.instances(LayoutOptions(maximum_concurrency=10)) <= 10
    assert worker.instances(LayoutOptions(worker_processes=3)) == 3
    assert by_name("dead-letters").instances(LayoutOptions()) == 1
