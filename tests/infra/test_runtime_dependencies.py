"""The Lambda image gets the runtime group and nothing else: no local stack, offline models or test tools.

The closure of each group is computed from uv.lock; the Dockerfile's own `uv export` command must yield
exactly the runtime closure.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import REPO

PROJECT = "imgrec"
# Named so a failure reads plainly; the closure check below covers every package of those groups anyway.
NEVER_IN_THE_LAMBDA_IMAGE = {"moto", "pytest", "onnxruntime", "numpy", "werkzeug", "flask", "hypothesis", "mypy"}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class LockGraph:
    """Package -> dependencies (with extras) as uv.lock records them, over all platforms."""

    def __init__(self, lock: dict[str, Any]) -> None:
        self.dependencies: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.extras: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self.project: dict[str, Any] = {}
        for package in lock["package"]:
            name = normalize(package["name"])
            if name == PROJECT:
                self.project = package
                continue
            self.dependencies[name] += package.get("dependencies", [])
            for extra, requirements in package.get("optional-dependencies", {}).items():
                self.extras[(name, extra)] += requirements

    def closure(self, roots: list[dict[str, Any]]) -> set[str]:
        seen: set[str] = set()
        pending = list(roots)
        while pending:
            requirement = pending.pop()
            name = normalize(requirement["name"])
            pending += [dep for extra in requirement.get("extra", []) for dep in self.extras[(name, extra)]]
            if name in seen:
                continue
            seen.add(name)
            pending += self.dependencies[name]
        return seen

    def runtime(self) -> set[str]:
        return self.closure(self.project["dependencies"])

    def group(self, name: str) -> set[str]:
        return self.closure(self.project.get("dev-dependencies", {}).get(name, []))


@pytest.fixture(scope="module")
def graph() -> LockGraph:
    return LockGraph(tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8")))


def test_runtime_group_is_what_the_lambdas_import(graph):
    runtime = graph.runtime()
    assert {
        "aioboto3",
        "boto3",
        "aws-lambda-powertools",
        "aws-xray-sdk",
        "pydantic",
        "pillow",
        "pillow-heif",
    } <= runtime


@pytest.mark.parametrize("group", ["local", "models", "dev"])
def test_no_package_that_only_a_non_runtime_group_needs_is_in_the_runtime_closure(graph, group):
    runtime = graph.runtime()
    direct = {normalize(r["name"]) for r in graph.project.get("dev-dependencies", {}).get(group, [])}
    assert direct, f"the lock has no {group} group"
    # No runtime package pulls in a package that a non-runtime group asks for by name.
    assert not direct & runtime, f"{group} packages reach the runtime group: {sorted(direct & runtime)}"


def test_well_known_local_and_test_packages_are_not_runtime(graph):
    # The closure follows extras: moto[server] brings flask and werkzeug into the local group.
    assert {"moto", "flask", "werkzeug"} <= graph.group("local")
    assert not NEVER_IN_THE_LAMBDA_IMAGE & graph.runtime()


def dockerfile_export_arguments() -> list[str]:
    """The `uv export ...` arguments of the Lambda Dockerfile's RUN line, without its output file."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    match = re.search(r"uv export (.*?)&&", text)
    assert match, "the Dockerfile exports its requirements with uv export"
    arguments = shlex.split(match.group(1))
    if "--output-file" in arguments:
        position = arguments.index("--output-file")
        del arguments[position : position + 2]
    return arguments


def test_dockerfile_export_selects_no_group(graph):
    arguments = dockerfile_export_arguments()
    assert {"--frozen", "--no-default-groups", "--no-dev", "--no-emit-project"} <= set(arguments)
    assert not [a for a in arguments if a.startswith(("--group", "--all-groups", "--extra", "--all-extras"))]


def uv_binary() -> str | None:
    local = REPO / ".tools" / "bin" / "uv"
    return str(local) if local.exists() else shutil.which("uv")


def test_dockerfile_export_installs_exactly_the_runtime_closure(graph):
    uv = uv_binary()
    if uv is None:
        pytest.skip("no uv binary (make install provides .tools/bin/uv)")
    answer = subprocess.run(
        [uv, "export", *dockerfile_export_arguments(), "--no-hashes", "--no-header", "--no-annotate"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    exported = {
        normalize(line.split("==")[0].split("[")[0].strip())
        for line in answer.stdout.splitlines()
        if line.strip() and not line.startswith(("#", " ", "-"))
    }

    group_only = (graph.group("local") | graph.group("models") | graph.group("dev")) - graph.runtime()
    assert not exported & group_only, f"the image would install {sorted(exported & group_only)}"
    assert exported == graph.runtime()


def test_docker_contexts_leave_out_everything_the_image_does_not_need():
    from docker.utils.build import exclude_paths

    def context(ignore_file: Path) -> set[str]:
        patterns = [p for p in ignore_file.read_text(encoding="utf-8").splitlines() if p and not p.startswith("#")]
        return {Path(p).as_posix() for p in exclude_paths(str(REPO), patterns)}

    lambda_context = context(REPO / ".dockerignore")
    local_context = context(REPO / "infra" / "local.Dockerfile.dockerignore")

    assert {"pyproject.toml", "uv.lock", "api/handle_api.py", "worker/handle_jobs.py"} <= lambda_context
    for excluded in ("tests/", "local_stack/", "frontend/", "bench/", ".venv/", ".git/", "imgrec/", ".tools/"):
        assert not [f for f in lambda_context if f.startswith(excluded)], excluded
    assert not [f for f in lambda_context if "__pycache__" in f]
    assert {"local_stack/__main__.py", "frontend/index.html"} <= local_context
    assert not [f for f in local_context if f.startswith(("tests/", ".venv/", ".git/"))]
