"""CI/CD and tool installs: the workflows run the make targets a person runs, with pinned actions and OIDC;
the CI role trusts one repository's one branch; every tool the images and the Makefile install is hash-checked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.cfn import Evaluation
from tests.infra.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
WORKFLOW_LINT = REPO / ".tools" / "workflow-lint" / "bin" / "jactionlint"


def _workflow(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    loaded["on"] = loaded.pop(True, loaded.get("on"))  # YAML 1.1 reads the key `on` as True
    return loaded  # type: ignore[no-any-return]


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_pull_requests_run_the_same_gate_as_a_person() -> None:
    ci = _workflow(REPO / ".github" / "workflows" / "ci.yml")
    assert "pull_request" in ci["on"]
    assert [step["run"] for step in _steps(ci) if "run" in step] == ["make test"]


def test_main_builds_once_deploys_staging_tests_it_and_promotes_with_make_targets_only() -> None:
    deploy = _workflow(REPO / ".github" / "workflows" / "deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    runs = [step["run"] for step in deploy["jobs"]["release"]["steps"] if "run" in step]
    assert runs == [
        "make build",
        'make deploy STACK_NAME=imgrec-staging DEPLOY_PARAMETERS="DeploymentPreset=AllAtOnce MonthlyBudgetUsd=0"',
        "make cloud-test STACK_NAME=imgrec-staging",
        "make deploy STACK_NAME=imgrec",
    ]
    assert deploy["jobs"]["release"]["needs"] == "test"
    assert [step["run"] for step in deploy["jobs"]["test"]["steps"] if "run" in step] == ["make test"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_actions_are_pinned_to_commits_and_only_the_release_job_may_get_an_oidc_token(path: Path) -> None:
    workflow = _workflow(path)
    assert workflow["permissions"] == {"contents": "read"}
    for step in _steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    for name, job in workflow["jobs"].items():
        if job.get("permissions", {}).get("id-token") == "write":
            assert (path.name, name) == ("deploy.yml", "release")
    assert "secrets." not in path.read_text(encoding="utf-8"), "no long-lived keys: OIDC only"


@pytest.mark.skipif(not WORKFLOW_LINT.exists() and os.environ.get("CI") != "true", reason="make infra-lint installs it")
def test_the_workflow_linter_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = (REPO / ".github" / "workflows" / "deploy.yml").read_text(encoding="utf-8")
    broken = broken.replace("      id-token: write # the OIDC token", "      # id-token: write # the OIDC token")
    (tmp_path / "deploy.yml").write_text(broken, encoding="utf-8")

    clean = subprocess.run([WORKFLOW_LINT, "--shellcheck=", *WORKFLOWS], capture_output=True, text=True, check=False)
    found = subprocess.run(
        [WORKFLOW_LINT, "--shellcheck=", tmp_path / "deploy.yml"], capture_output=True, text=True, check=False
    )

    assert clean.returncode == 0, clean.stdout
    assert found.returncode != 0 and "id-token" in found.stdout


# ---------------------------------------------------------------- the CI role


@pytest.fixture(scope="module")
def ci_role(sam_transform: Any) -> Evaluation:
    template = sam_transform.load_template(REPO / "infra" / "ci-role.yaml")
    return Evaluation(template, {"GitHubRepository": "example/imgrec"})


def test_the_deploy_role_trusts_exactly_this_repository_and_branch(ci_role: Evaluation) -> None:
    [statement] = ci_role.resources["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": {"Ref": "GitHubOidcProvider"}}
    assert set(statement["Condition"]) == {"StringEquals"}, "no StringLike: no wildcard subjects"
    condition = {k: ci_role.render(v) for k, v in statement["Condition"]["StringEquals"].items()}
    assert condition == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:example/imgrec:ref:refs/heads/main",
    }
    provider = ci_role.resources["GitHubOidcProvider"]["Properties"]
    assert provider["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]


def test_the_deploy_role_creates_nothing_itself_and_passes_only_the_execution_role(ci_role: Evaluation) -> None:
    statements = ci_role.resources["DeployRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert not [a for a in actions if "*" in a]
    # Its only writes: change sets, the artifacts and image it uploads, the web app's files, the cache
    # invalidation, and the staging test user. Every resource comes from CloudFormation's role.
    writes = {a for a in actions if re.search(r":(Create|Delete|Execute|Put|Update|Upload|Initiate|Complete|Admin)", a)}
    assert writes == {
        "cloudformation:CreateChangeSet",
        "cloudformation:DeleteChangeSet",
        "cloudformation:ExecuteChangeSet",
        "s3:PutObject",
        "ecr:InitiateLayerUpload",
        "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload",
        "ecr:PutImage",
        "cloudfront:CreateInvalidation",
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminSetUserPassword",
    }
    [pass_role] = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == {"Fn::GetAtt": ["CloudFormationExecutionRole", "Arn"]}
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
    [star] = [s for s in statements if s["Resource"] == "*" and s["Action"] != "ecr:GetAuthorizationToken"]
    assert star["Action"] == "cloudformation:ValidateTemplate"
    [users] = [s for s in statements if s["Sid"] == "EndToEndTestUserInStagingOnly"]
    assert ci_role.render(users["Condition"]["StringEquals"]["aws:ResourceTag/imgrec:stack"]) == "imgrec-staging"


def test_the_staging_user_pool_carries_the_tag_the_ci_role_checks(resources: dict[str, Any]) -> None:
    assert resources["UserPool"]["Properties"]["UserPoolTags"] == {"imgrec:stack": {"Ref": "AWS::StackName"}}


def test_the_execution_role_is_for_cloudformation_only(ci_role: Evaluation) -> None:
    [statement] = ci_role.resources["CloudFormationExecutionRole"]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "cloudformation.amazonaws.com"}


def _execution_role_statements(ci_role: Evaluation) -> list[dict[str, Any]]:
    policies = ci_role.resources["CloudFormationExecutionRole"]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]


# The IAM prefix of the service that creates each kind of resource, where it differs from the type's name.
# API Gateway's v2 APIs (the WebSocket API) are managed with the same `apigateway:` actions as REST APIs.
_SERVICE_OF = {"Cognito": "cognito-idp", "ApiGatewayV2": "apigateway"}
# Types CloudFormation handles by itself (no service call).
_NO_SERVICE = {"AWS::CloudFormation::WaitConditionHandle"}


def test_the_execution_role_may_create_every_kind_of_resource_the_template_declares(
    ci_role: Evaluation, transformed: dict[str, Any]
) -> None:
    """SAM keeps conditional resources in the transformed template, so this covers every shape."""
    granted = {
        action.split(":")[0]
        for s in _execution_role_statements(ci_role)
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    needed = {
        _SERVICE_OF.get(kind.split("::")[1], kind.split("::")[1].lower()): kind
        for kind in {body["Type"] for body in transformed["Resources"].values()} - _NO_SERVICE
    }
    assert not {service: kind for service, kind in needed.items() if service not in granted}


def test_the_execution_role_reaches_the_analytics_database_by_the_name_the_template_gives_it(
    ci_role: Evaluation, template: dict[str, Any]
) -> None:
    name = Evaluation(template).render(
        template["Resources"]["AnalyticsDatabase"]["Properties"]["DatabaseInput"]["Name"]
    )
    [glue] = [s for s in _execution_role_statements(ci_role) if s.get("Sid") == "AnalyticsCatalog"]
    databases = [ci_role.render(r) for r in glue["Resource"] if ":database/" in ci_role.render(r)]
    assert [re.fullmatch(d.split(":database/")[1].replace("*", ".*"), name) is not None for d in databases] == [True]
    assert not [a for a in glue["Action"] if "*" in a or "Catalog" in a or "ResourcePolicy" in a]


# ---------------------------------------------------------------- hash-checked tool installs


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "infra/local.Dockerfile"])
def test_every_pip_install_in_the_images_checks_hashes(dockerfile: str) -> None:
    text = (REPO / dockerfile).read_text(encoding="utf-8").replace("\\\n", " ")
    installs = [line for line in text.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        assert "--require-hashes" in line, line


def _rule(makefile: str, prerequisite: str) -> str:
    """The rule (target line and recipe) that has this prerequisite."""
    [block] = [b for b in re.split(r"\n(?=\S)", makefile) if re.match(rf"[^\n]*:[^\n=]*{re.escape(prerequisite)}", b)]
    return block


@pytest.mark.parametrize(
    "requirements", ["uv-requirements.txt", "workflow-lint-requirements.txt", "sam-cli-requirements.txt"]
)
def test_the_makefile_installs_its_tools_hash_checked(requirements: str) -> None:
    rule = _rule((REPO / "Makefile").read_text(encoding="utf-8"), f"infra/{requirements}")
    assert "--require-hashes" in rule, rule
    text = (REPO / "infra" / requirements).read_text(encoding="utf-8")
    pins = [line for line in text.splitlines() if "==" in line and not line.startswith("#")]
    assert pins and all(pin.endswith(" \\") for pin in pins), f"{requirements}: every pin carries hashes"
