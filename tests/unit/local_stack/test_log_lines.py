"""`make up`'s terminal: one human line per notable record, naming the function; nothing for the rest."""

from __future__ import annotations

from local_stack.log_lines import human_line, parse


def test_a_finished_job_is_one_line_with_its_status_and_the_function_that_wrote_it() -> None:
    record = parse(
        '{"level":"INFO","message":"job finished","service":"imgrec-worker","function_name":"imgrec-worker",'
        '"job_id":"j-1","status":"SUCCEEDED","batch_id":"b-1","cold_start":false}'
    )

    assert record is not None
    line = human_line("imgrec-worker", record)
    assert line is not None
    assert "imgrec-worker" in line and "job finished" in line and "status=SUCCEEDED" in line and "job_id=j-1" in line
    assert "cold_start" not in line and "\n" not in line


def test_errors_are_shown_with_their_fields_and_routine_records_are_not() -> None:
    error = {"level": "ERROR", "message": "invocation failed", "error": "boom", "function_arn": "arn:..."}
    routine = {"level": "INFO", "message": "claimed job", "job_id": "j-1"}
    warning = {"level": "WARNING", "message": "job will be retried", "job_id": "j-1"}

    line = human_line("imgrec-worker", error)
    assert line is not None and "ERROR invocation failed" in line and "error=boom" in line and "arn" not in line
    assert human_line("imgrec-worker", routine) is None
    assert human_line("imgrec-worker", warning) is None


def test_only_json_records_are_parsed() -> None:
    assert parse("Traceback (most recent call last):") is None
    assert parse("{not json") is None
    assert parse('{"no": "message"}') is None
    assert parse('{"message": "m"}') == {"message": "m"}
