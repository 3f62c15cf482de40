"""What `make deploy`, `make destroy` and CI do to a deployed stack besides `sam deploy` / `sam delete`.

    python infra/stack_ops.py publish-web-app --stack-name imgrec   # upload frontend/ + config.json, print the URL
    python infra/stack_ops.py prepare-destroy --stack-name imgrec   # lift deletion protection, empty the buckets
    python infra/stack_ops.py e2e-token --stack-name imgrec-staging # the CI test user's ID token (pytest -m cloud)
    python infra/stack_ops.py exists --stack-name imgrec            # exit status 0 if the stack exists

Credentials and region come from the usual AWS environment (profile, OIDC role in CI).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import mimetypes
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRONTEND = Path(__file__).resolve().parents[1] / "frontend"
# Browsers revalidate every file (ETag → 304): a release is visible at once, with no hashed file names.
CACHE_CONTROL = "no-cache"
# What the hosted web app never serves: the local stack's config.json (the stack's own replaces it) and
# the note that tells Node the files are ES modules.
NOT_PUBLISHED = {"config.json", "package.json"}
E2E_USER = "imgrec-e2e@example.com"


class StackOpsError(RuntimeError):
    """The stack is not in the state this operation needs; the message says what to do."""


@dataclass(frozen=True)
class WebFile:
    key: str
    path: Path
    content_type: str


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    from botocore.exceptions import ClientError

    try:
        [stack] = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise StackOpsError(f"stack {stack_name}: {error.response['Error']['Message']}") from error
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def web_files(root: Path = FRONTEND) -> list[WebFile]:
    files = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if key in NOT_PUBLISHED or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in {"application/javascript", "application/json"}:
            content_type += "; charset=utf-8"
        files.append(WebFile(key, path, content_type))
    return files


def web_app_config(outputs: dict[str, str]) -> bytes:
    """The WebAppConfig output, checked to be JSON, as the hosted web app's config.json."""
    try:
        config = json.loads(outputs["WebAppConfig"])
    except (KeyError, ValueError) as error:
        raise StackOpsError(f"the stack has no valid WebAppConfig output ({error}); is it deployed?") from error
    return (json.dumps(config, indent=2) + "\n").encode()


def publish_web_app(s3: Any, cloudfront: Any, outputs: dict[str, str], root: Path = FRONTEND) -> str:
    bucket = outputs["WebBucketName"]
    for file in web_files(root):
        s3.put_object(
            Bucket=bucket,
            Key=file.key,
            Body=file.path.read_bytes(),
            ContentType=file.content_type,
            CacheControl=CACHE_CONTROL,
        )
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=web_app_config(outputs),
        ContentType="application/json; charset=utf-8",
        CacheControl=CACHE_CONTROL,
    )
    cloudfront.create_invalidation(
        DistributionId=outputs["WebDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"deploy-{time.time_ns()}"},
    )
    return outputs["WebAppUrl"]


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker (CloudFormation cannot delete a non-empty bucket)."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True})
        deleted += len(doomed)
    return deleted


def lift_deletion_protection(
    cognito: Any, dynamodb_in: Any, cloudformation: Any, stack_name: str, outputs: dict[str, str]
) -> None:
    """Turn off the protections `make destroy` must pass. `dynamodb_in(region)` gives a client per region.

    The user pool's protection is lifted with UpdateUserPool, which resets the settings it is not given:
    harmless just before the pool is deleted, which is why this runs only after the destroy is confirmed.
    """
    cognito.update_user_pool(UserPoolId=outputs["UserPoolId"], DeletionProtection="INACTIVE")
    resources = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    if not any(r["LogicalResourceId"] == "JobsTable" for r in resources):
        return  # the second region of a pair: the table belongs to the first region's stack
    table = outputs["JobsTableName"]
    home = dynamodb_in(outputs["Region"])
    replicas = [r["RegionName"] for r in home.describe_table(TableName=table)["Table"].get("Replicas", [])]
    for region in [outputs["Region"], *[r for r in replicas if r != outputs["Region"]]]:
        dynamodb_in(region).update_table(TableName=table, DeletionProtectionEnabled=False)


def e2e_token(cognito: Any, outputs: dict[str, str]) -> str:
    """An ID token of the end-to-end test user, created on first use with a fresh random password."""
    pool, client = outputs["UserPoolId"], outputs["CliClientId"]
    password = "E2e-" + secrets.token_urlsafe(24)
    # The user of an earlier run stays: its password is replaced below.
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=E2E_USER,
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": E2E_USER}, {"Name": "email_verified", "Value": "true"}],
        )
    cognito.admin_set_user_password(UserPoolId=pool, Username=E2E_USER, Password=password, Permanent=True)
    answer = cognito.initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": E2E_USER, "PASSWORD": password}
    )
    if "AuthenticationResult" not in answer:
        raise StackOpsError(f"sign-in asked for {answer.get('ChallengeName')}: the test user needs no MFA (Mfa=ON?)")
    return str(answer["AuthenticationResult"]["IdToken"])


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("operation", choices=["publish-web-app", "prepare-destroy", "e2e-token", "outputs", "exists"])
    parser.add_argument("--stack-name", required=True)
    args = parser.parse_args(argv)
    session = boto3.session.Session()
    cloudformation = session.client("cloudformation")
    try:
        outputs = stack_outputs(cloudformation, args.stack_name)
        if args.operation == "exists":
            return 0
        if args.operation == "outputs":
            print(json.dumps(outputs, indent=2))  # noqa: T201 - the command's answer
        elif args.operation == "publish-web-app":
            url = publish_web_app(session.client("s3"), session.client("cloudfront"), outputs)
            print(f"\nimgrec is at {url}\n")  # noqa: T201
        elif args.operation == "prepare-destroy":
            lift_deletion_protection(
                session.client("cognito-idp"),
                lambda region: session.client("dynamodb", region_name=region),
                cloudformation,
                args.stack_name,
                outputs,
            )
            s3 = session.client("s3")
            for bucket in (outputs["BucketName"], outputs["WebBucketName"]):
                print(f"emptied {bucket}: {empty_bucket(s3, bucket)} object versions")  # noqa: T201
        else:
            print(e2e_token(session.client("cognito-idp"), outputs))  # noqa: T201
    except StackOpsError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
