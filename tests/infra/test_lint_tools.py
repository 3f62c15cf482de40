"""The template half of the lint gate (`make infra-lint`), in-process: the transformed template is cfn-lint
clean, and the transform lets cfn-lint see mistakes inside the resources SAM generates."""

from __future__ import annotations

import copy
import json
from typing import Any


def lint_errors(text: str) -> list[str]:
    from cfnlint.api import lint

    return [f"{m.rule.id} {m.message} ({m.path})" for m in lint(text) if m.rule.id[0] in {"E", "W"}]


def test_transformed_template_is_cfn_lint_clean(transformed):
    assert lint_errors(json.dumps(transformed)) == []


def test_transform_exposes_an_error_that_only_exists_inside_a_sam_generated_resource(
    sam_transform, template: dict[str, Any]
):
    # Given an SQS event declared the SAM way with a misspelled response type: SAM generates the event
    # source mapping from it, so only the transformed template holds the wrong value.
    broken = copy.deepcopy(template)
    broken["Resources"]["DeadLetterFunction"]["Properties"]["Events"] = {
        "DeadLetters": {
            "Type": "SQS",
            "Properties": {
                "Queue": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]},
                "FunctionResponseTypes": ["ReportBatchItemFailure"],
            },
        }
    }

    # (cfn-lint 1.58 on the SAM file alone reports nothing here; `make infra-lint` lints both files.)
    errors_in_transform = lint_errors(json.dumps(sam_transform.transform_template(broken)))

    assert any("'ReportBatchItemFailure' is not one of" in e for e in errors_in_transform), errors_in_transform
