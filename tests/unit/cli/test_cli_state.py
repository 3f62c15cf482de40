"""RunState: the resumable record of one analyze command."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgrec.client import JobSlot, UploadForm
from imgrec.scan import FoundImage, Problem
from imgrec.state import PROBLEM, SLOT, SUBMITTED, RunState, StateMismatchError


def _found(path: str, size: int = 10) -> FoundImage:
    return FoundImage(path=path, size=size, content_type="image/jpeg")


def _slots(n: int, start: int = 0) -> list[JobSlot]:
    return [JobSlot(f"j-{start + i}", "x.jpg", UploadForm("http://s3/b", {"key": f"k{start + i}"})) for i in range(n)]


def test_a_state_file_refuses_another_command(tmp_path: Path) -> None:
    state = RunState(str(tmp_path / "s.sqlite"))
    state.bind("command-a")
    state.close()
    state = RunState(str(tmp_path / "s.sqlite"))
    with pytest.raises(StateMismatchError):
        state.bind("command-b")


def test_an_intent_survives_a_reopen_and_is_finished_in_order(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite")
    state = RunState(path)
    state.bind("cmd")
    state.record_scan([_found("/a.jpg"), _found("/b.jpg"), _found("/c.jpg")])
    intent = state.begin_slots(2)
    assert intent is not None
    state.close()

    reopened = RunState(path)
    reopened.bind("cmd")
    reopened.record_scan([_found("/a.jpg", 99), _found("/b.jpg"), _found("/c.jpg")])
    pending = reopened.pending_intent()
    assert pending is not None
    assert (pending.key, [f.path for f in pending.files]) == (intent.key, ["/a.jpg", "/b.jpg"])
    assert pending.files[0].size == 10  # the facts sent in the request, not the rescanned ones
    with pytest.raises(RuntimeError):
        reopened.begin_slots(5)

    reopened.finish_slots(pending, "b-1", _slots(2))

    assert reopened.pending_intent() is None
    assert reopened.batch_id == "b-1"
    assert [(r.path, r.job_id) for r in reopened.slots_to_upload(0, 10)] == [
        ("/a.jpg", "j-0"),
        ("/b.jpg", "j-1"),
    ]
    assert reopened.known_job_count() == 2


def test_stages_move_forward_and_a_later_scan_does_not_reset_them(tmp_path: Path) -> None:
    state = RunState(str(tmp_path / "s.sqlite"))
    state.bind("cmd")
    state.record_scan([_found("/a.jpg"), _found("/b.jpg"), Problem("/gone.jpg", "NOT_FOUND", "missing")])
    intent = state.begin_slots(10)
    assert intent is not None
    state.finish_slots(intent, "b-1", _slots(2))
    state.mark(["j-0"], SUBMITTED)
    state.mark_problem("j-1", "UNREADABLE", "vanished")

    state.bind("cmd")  # the same command, run again: b.jpg is readable again, gone.jpg still missing
    state.record_scan([_found("/a.jpg"), _found("/b.jpg"), Problem("/gone.jpg", "NOT_FOUND", "missing")])

    assert state.locate(["j-0", "j-1"]) == {"j-0": ("/a.jpg", SUBMITTED), "j-1": ("/b.jpg", SLOT)}
    assert [p[0] for p in state.problems()] == ["/gone.jpg"]
    assert state.totals().to_upload_files == 1


def test_files_no_longer_found_are_left_out_of_the_run(tmp_path: Path) -> None:
    state = RunState(str(tmp_path / "s.sqlite"))
    state.bind("cmd")
    state.record_scan([_found("/a.jpg"), _found("/b.jpg")])
    state.bind("cmd")
    state.record_scan([_found("/a.jpg")])
    intent = state.begin_slots(10)
    assert intent is not None
    assert [f.path for f in intent.files] == ["/a.jpg"]


def test_a_refused_single_file_becomes_a_problem(tmp_path: Path) -> None:
    state = RunState(str(tmp_path / "s.sqlite"))
    state.bind("cmd")
    state.record_scan([_found("/huge.jpg")])
    intent = state.begin_slots(1)
    assert intent is not None
    state.abandon_slots(intent, "FILE_TOO_LARGE", "over the limit")
    assert list(state.problems()) == [("/huge.jpg", None, "FILE_TOO_LARGE", "over the limit")]
    assert state.pending_intent() is None
    assert PROBLEM == "problem"
