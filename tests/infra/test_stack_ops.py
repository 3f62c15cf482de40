"""infra/stack_ops.py against the AWS emulator: what `make deploy`, `make destroy` and CI do besides SAM."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.infra.conftest import REPO, local_client


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stack_ops", REPO / "infra" / "stack_ops.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["stack_ops"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


stack_ops = _load()


@pytest.fixture
def aws(aws_emulator: str) -> Any:
    return lambda service: local_client(service, aws_emulator)


def _distribution(cloudfront: Any) -> str:
    answer = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {"Id": "o", "DomainName": "web.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
            },
        }
    )
    return str(answer["Distribution"]["Id"])


def test_publishing_uploads_the_web_app_with_the_stacks_config_and_invalidates_the_cache(aws: Any) -> None:
    s3, cloudfront = aws("s3"), aws("cloudfront")
    s3.create_bucket(Bucket="web-publish")
    config = {"apiBaseUrl": "https://a1.execute-api.us-east-1.amazonaws.com/v1", "auth": {"mode": "cognito"}}
    outputs = {
        "WebBucketName": "web-publish",
        "WebDistributionId": _distribution(cloudfront),
        "WebAppUrl": "https://d111.cloudfront.net/",
        "WebAppConfig": json.dumps(config),
    }

    url = stack_ops.publish_web_app(s3, cloudfront, outputs)

    assert url == "https://d111.cloudfront.net/"
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket="web-publish")["Contents"]}
    frontend = Path(REPO / "frontend")
    expected = {p.relative_to(frontend).as_posix() for p in frontend.rglob("*") if p.is_file()} - {"package.json"}
    assert keys == expected
    published = s3.get_object(Bucket="web-publish", Key="config.json")
    assert json.loads(published["Body"].read()) == config, "the stack's config, never the local stack's"
    index = s3.head_object(Bucket="web-publish", Key="index.html")
    assert index["ContentType"] == "text/html; charset=utf-8"
    assert index["CacheControl"] == "no-cache"
    assert s3.head_object(Bucket="web-publish", Key="js/main.js")["ContentType"].endswith("javascript; charset=utf-8")
    invalidations = cloudfront.list_invalidations(DistributionId=outputs["WebDistributionId"])["InvalidationList"]
    assert invalidations["Quantity"] == 1


def test_publishing_refuses_a_stack_without_a_web_app_config(aws: Any) -> None:
    with pytest.raises(stack_ops.StackOpsError, match="WebAppConfig"):
        stack_ops.web_app_config({"WebAppConfig": "not json"})


def test_emptying_a_versioned_bucket_deletes_every_version_and_delete_marker(aws: Any) -> None:
    s3 = aws("s3")
    s3.create_bucket(Bucket="images-versioned")
    s3.put_bucket_versioning(Bucket="images-versioned", VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket="images-versioned", Key="uploads/a.jpg", Body=body)
    s3.put_object(Bucket="images-versioned", Key="derived/b.json", Body=b"{}")
    s3.delete_object(Bucket="images-versioned", Key="derived/b.json")

    assert stack_ops.empty_bucket(s3, "images-versioned") == 4

    listing = s3.list_object_versions(Bucket="images-versioned")
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    s3.delete_bucket(Bucket="images-versioned")  # what CloudFormation then does


def test_destroy_preparation_lifts_the_user_pool_and_table_protections(aws: Any) -> None:
    cognito, dynamodb, cloudformation = aws("cognito-idp"), aws("dynamodb"), aws("cloudformation")
    pool = cognito.create_user_pool(PoolName="protected", DeletionProtection="ACTIVE")["UserPool"]["Id"]
    template = {
        "Resources": {
            "JobsTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": "protected-jobs",
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "DeletionProtectionEnabled": True,
                },
            }
        }
    }
    cloudformation.create_stack(StackName="protected", TemplateBody=json.dumps(template))
    outputs = {"UserPoolId": pool, "JobsTableName": "protected-jobs", "Region": "us-east-1"}

    stack_ops.lift_deletion_protection(cognito, lambda region: dynamodb, cloudformation, "protected", outputs)

    assert cognito.describe_user_pool(UserPoolId=pool)["UserPool"].get("DeletionProtection") == "INACTIVE"
    assert dynamodb.describe_table(TableName="protected-jobs")["Table"].get("DeletionProtectionEnabled") is False
    dynamodb.delete_table(TableName="protected-jobs")


def test_the_e2e_token_belongs_to_a_test_user_made_on_first_use_and_refreshed_after(aws: Any) -> None:
    cognito = aws("cognito-idp")
    pool = cognito.create_user_pool(PoolName="e2e", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="cli", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    outputs = {"UserPoolId": pool, "CliClientId": client}

    first, second = stack_ops.e2e_token(cognito, outputs), stack_ops.e2e_token(cognito, outputs)

    for token in (first, second):
        assert token.count(".") == 2
    [user] = cognito.list_users(UserPoolId=pool)["Users"]
    assert {a["Name"]: a["Value"] for a in user["Attributes"]}["email"] == stack_ops.E2E_USER
