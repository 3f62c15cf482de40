"""The library's part of the template (issue 13) agrees with the local stack and with the code: the table's
stream, the indexer's and the deletions' event sources and queues, the Glue table's columns, and the Athena
named queries being exactly the SQL `imgrec query` runs on DuckDB."""

from __future__ import annotations

import json
from typing import Any

from imgrec.analytics import COLUMNS, NAMED_QUERIES, PARTITION, named_query
from local_stack import library_services
from local_stack.resources import STACK
from tests.infra.cfn import Evaluation
from tests.infra.conftest import local_client, of_type


def _mapping(resources: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    [mapping] = [
        body["Properties"]
        for body in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if body["Properties"]["EventSourceArn"] == source
        # The notifier reads the same stream (tests/infra/test_notifications_template.py).
        and "Notifier" not in json.dumps(body["Properties"]["FunctionName"])
    ]
    return mapping  # type: ignore[no-any-return]


def test_the_table_streams_new_and_old_images_as_the_local_stack_provisions(resources, aws_emulator):
    from local_stack.provision import provision_table

    declared = resources["JobsTable"]["Properties"]["StreamSpecification"]["StreamViewType"]
    dynamodb = local_client("dynamodb", aws_emulator)
    provision_table(dynamodb, STACK, "library-parity")

    described = dynamodb.describe_table(TableName="library-parity")["Table"]["StreamSpecification"]
    assert declared == STACK.table.stream_view_type == described["StreamViewType"]
    assert described["StreamEnabled"] is True


def test_the_indexer_reads_job_records_of_the_stream_in_batches_with_retries_and_an_on_failure_queue(resources):
    mapping = _mapping(resources, {"Fn::GetAtt": ["JobsTable", "StreamArn"]})
    spec = STACK.library

    assert mapping["FunctionName"] == {"Ref": "IndexerFunction.Alias"}
    assert mapping["BatchSize"] == spec.stream_batch_size
    assert mapping["MaximumBatchingWindowInSeconds"] == spec.stream_batching_window_seconds
    assert mapping["MaximumRetryAttempts"] == spec.stream_maximum_retry_attempts
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["IndexFailuresQueue", "Arn"]}
    [pattern] = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"dynamodb": {"Keys": {"sk": {"S": ["JOB"]}}}}


def test_the_local_stream_poller_filters_and_batches_as_the_template_says(resources):
    from local_stack.stream_poller import StreamPoller, wanted

    mapping = _mapping(resources, {"Fn::GetAtt": ["JobsTable", "StreamArn"]})
    defaults = {name: field.default for name, field in StreamPoller.__dataclass_fields__.items()}

    assert defaults["batch_size"] == mapping["BatchSize"]
    assert defaults["maximum_retry_attempts"] == mapping["MaximumRetryAttempts"]
    assert wanted({"dynamodb": {"Keys": {"pk": {"S": "JOB#j-1"}, "sk": {"S": "JOB"}}}})
    assert not wanted({"dynamodb": {"Keys": {"pk": {"S": "JOB#j-1"}, "sk": {"S": "IMAGE"}}}})


def test_deletions_queue_and_handler_match_the_local_stack(resources, aws_emulator):
    queue = resources["DeletionsQueue"]["Properties"]
    function = resources["DeletionFunction"]["Properties"]
    mapping = _mapping(resources, {"Fn::GetAtt": ["DeletionsQueue", "Arn"]})
    sqs = local_client("sqs", aws_emulator)
    url = library_services.provision_deletions_queue(sqs)
    local = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]

    assert function["Timeout"] == STACK.library.deletion_timeout_seconds
    assert queue["VisibilityTimeout"] == 6 * function["Timeout"] == int(local["VisibilityTimeout"])
    assert queue["RedrivePolicy"]["maxReceiveCount"] == json.loads(local["RedrivePolicy"])["maxReceiveCount"]
    assert mapping["BatchSize"] == STACK.library.deletions_batch_size
    assert mapping["FunctionName"] == {"Ref": "DeletionFunction.Alias"}
    assert function["ImageConfig"]["Command"] == ["api.handle_deletions.lambda_handler"]
    api_environment = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert api_environment["IMGREC_DELETIONS_QUEUE_URL"] == {"Ref": "DeletionsQueue"}


def test_the_api_allows_the_methods_of_its_new_routes_cross_origin(template, resources):
    """Preflights reach the function without a token (test_template_security), which answers CORS for the
    origin the template gives it: PATCH and DELETE included."""
    from api.app import create_app
    from api.logic.smoke import api_health_event

    variables = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    origin = Evaluation(template).render(variables["IMGREC_CORS_ORIGIN"], {"WebDistribution.DomainName": "d1.net"})
    preflight = api_health_event() | {"httpMethod": "OPTIONS", "path": "/batches/b-1", "resource": "/{proxy+}"}
    headers = {"Origin": origin, "Access-Control-Request-Method": "DELETE"}
    preflight |= {"headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()}}

    answer = create_app(origin).resolve(preflight, None)

    assert answer["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://d1.net"]
    [methods] = answer["multiValueHeaders"]["Access-Control-Allow-Methods"]
    assert {"GET", "POST", "PATCH", "DELETE", "OPTIONS"} <= set(methods.split(","))


def test_the_glue_table_declares_the_columns_the_local_engine_reads(resources):
    table = resources["AnalyticsJobsTable"]["Properties"]["TableInput"]
    declared = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]

    assert declared == [(name, hive) for name, _, hive in COLUMNS]
    assert [p["Name"] for p in table["PartitionKeys"]] == [PARTITION]
    assert table["Parameters"]["projection.enabled"] == "true"
    assert table["Parameters"]["projection.dt.type"] == "date"
    assert table["Parameters"]["projection.dt.format"] == "yyyy-MM-dd"
    assert "dt=${!dt}" in table["Parameters"]["storage.location.template"]["Fn::Sub"]


def test_the_athena_named_queries_are_the_sql_files_imgrec_query_runs(resources):
    named = {
        body["Properties"]["Name"]: body["Properties"]
        for body in of_type(resources, "AWS::Athena::NamedQuery").values()
    }

    assert set(named) == set(NAMED_QUERIES)
    for name, properties in named.items():
        assert properties["QueryString"].strip() == named_query(name).strip()
        assert properties["WorkGroup"] == {"Ref": "AnalyticsWorkGroup"}


def test_the_workgroup_enforces_a_result_location_and_a_scan_cutoff(template, resources):
    configuration = resources["AnalyticsWorkGroup"]["Properties"]["WorkGroupConfiguration"]

    assert configuration["EnforceWorkGroupConfiguration"] is True
    assert configuration["BytesScannedCutoffPerQuery"] == {"Ref": "AthenaBytesScannedCutoff"}
    assert template["Parameters"]["AthenaBytesScannedCutoff"]["Default"] >= 10 * 1024 * 1024
    assert configuration["ResultConfiguration"]["OutputLocation"]["Fn::Sub"].endswith("/athena-results/")
