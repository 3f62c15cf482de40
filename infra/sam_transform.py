"""Transform the SAM template to plain CloudFormation offline, so cfn-lint also checks what SAM generates.

cfn-lint on the SAM file alone cannot see inside the resources SAM expands (the REST API, its stage and
deployment, permissions); a mistake there would only surface at deploy time. `sam deploy` does the same
transform in the cloud; here it runs locally with a fixed region and a stub for the one call that would
reach AWS (the managed-policy name lookup).

Usage: python infra/sam_transform.py infra/template.yaml -o .cache/infra/template.cfn.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

# A placeholder region and account: the transform only embeds them into ARNs.
FAKE_REGION = "us-east-1"
FAKE_ACCOUNT_ID = "123456789012"
# `sam build` builds the image from the function's Metadata and `sam deploy` fills in the pushed image URI.
PLACEHOLDER_IMAGE_URI = f"{FAKE_ACCOUNT_ID}.dkr.ecr.{FAKE_REGION}.amazonaws.com/imgrec:offline-transform"


class TransformError(RuntimeError):
    """The SAM template could not be read or transformed."""


class _NoManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader, which would call IAM ListPolicies.

    The template attaches no AWS managed policy by name (every function has its own role), so an empty
    mapping is faithful; if a name were used, the transform fails instead of guessing an ARN.
    """

    def load(self) -> dict[str, str]:
        return {}


def load_template(path: Path) -> dict[str, Any]:
    # samtranslator's own loader understands the short intrinsic tags (!Ref, !Sub, ...) and YAML anchors.
    import yaml  # type: ignore[import-untyped]
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

    try:
        template: Any = yaml_parse(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise TransformError(f"cannot read {path}: {error}") from error
    if not isinstance(template, dict):
        raise TransformError(f"{path} is not a template (no mapping at the top)")
    return template


def with_placeholder_images(template: dict[str, Any]) -> dict[str, Any]:
    """Give image functions the ImageUri that `sam deploy` would set after pushing the built image."""
    result: dict[str, Any] = json.loads(json.dumps(template))
    globals_function = result.get("Globals", {}).get("Function", {})
    for resource in result.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource.setdefault("Properties", {})
        package_type = properties.get("PackageType", globals_function.get("PackageType"))
        if package_type == "Image" and "ImageUri" not in properties:
            properties["ImageUri"] = PLACEHOLDER_IMAGE_URI
    return result


def transform_template(template: dict[str, Any], parameter_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CloudFormation that `sam deploy` would create; SAM resolves a few properties (the deployment
    preset) from parameter values at transform time, so a parameter set may be given."""
    from samtranslator.model.exceptions import InvalidDocumentException  # type: ignore[import-untyped]
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]

    os.environ.setdefault("AWS_DEFAULT_REGION", FAKE_REGION)
    # Offline there is no feature-toggle config: SAM warns once per function that it uses the defaults.
    logging.getLogger("samtranslator.feature_toggle.feature_toggle").setLevel(logging.ERROR)
    parameters = {
        **(parameter_values or {}),
        "AWS::Region": FAKE_REGION,
        "AWS::AccountId": FAKE_ACCOUNT_ID,
        "AWS::Partition": "aws",
    }
    try:
        cloudformation: dict[str, Any] = transform(with_placeholder_images(template), parameters, _NoManagedPolicies())
    except InvalidDocumentException as error:
        messages = "; ".join(cause.message for cause in error.causes)
        raise TransformError(f"SAM transform failed: {messages}") from error
    return cloudformation


def carry_checkov_skips(sam: dict[str, Any], cloudformation: dict[str, Any]) -> dict[str, Any]:
    """Give each stage SAM generates the checkov skips written on its Serverless::Api.

    SAM keeps an API's Metadata on the RestApi only, so checkov on the transformed template would report the
    stage again for a finding whose reason is already written on the API (e.g. no stage cache).
    """
    resources = cloudformation.get("Resources", {})
    for body in resources.values():
        if body.get("Type") != "AWS::ApiGateway::Stage":
            continue
        api = body.get("Properties", {}).get("RestApiId", {}).get("Ref", "")
        skips = sam.get("Resources", {}).get(api, {}).get("Metadata", {}).get("checkov", {}).get("skip")
        if skips and sam["Resources"][api].get("Type") == "AWS::Serverless::Api":
            body.setdefault("Metadata", {}).setdefault("checkov", {})["skip"] = skips
    return cloudformation


def transform_file(source: Path, destination: Path) -> None:
    template = load_template(source)
    cloudformation = carry_checkov_skips(template, transform_template(template))
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(cloudformation, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("template", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        transform_file(args.template, args.output)
    except TransformError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
