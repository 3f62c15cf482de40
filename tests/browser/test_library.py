"""The library in a real browser against the embedded stack: search, facets, the chart, opening a result in
the detail view, a failed job's detail, the upload list folding away, and deleting after confirmation.
Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_app import (
    UNLABELLED_CONTROLS,
    corrupt_jpeg,
    open_app,
    set_language,
    sign_in_with_keyboard,
    wait_settled,
)
from tests.support.api import ApiClient
from tests.support.images import photo_like

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: run make install").expect
_callers = itertools.count()


@dataclass
class Shelf:
    page: Any
    api: ApiClient
    named: str  # batch ids
    other: str
    jobs: list[dict[str, Any]]


def _labels(job: dict[str, Any]) -> set[str]:
    return {item["Name"] for item in job["results"]["labels"]}


@pytest.fixture(scope="module")
def shelf(browser: Any, stack: Any, artifacts: Path) -> Any:
    caller = f"library-ui-{next(_callers)}"
    api = ApiClient(stack.api_url, token=caller)
    named, first = api.analyze(
        [(f"n-{s}.jpg", photo_like(seed=s)) for s in range(20, 24)], features=["LABELS", "FACES"]
    )
    other, second = api.analyze([(f"o-{s}.jpg", photo_like(seed=s)) for s in range(24, 27)], features=["LABELS"])
    assert api.request("PATCH", f"/batches/{named}", json={"name": "Seaside weekend"}).status_code == 200
    api.wait_indexed(named, 4)
    api.wait_indexed(other, 3)
    page = open_app(browser, stack)
    sign_in_with_keyboard(page, caller)
    set_language(page, "en")
    page.click("#nav-library")
    page.wait_for_selector("#library-status[data-loading='false']")
    expect(page.locator("#library-results .card")).to_have_count(7)
    page.screenshot(path=str(artifacts / "10-library.png"), full_page=True)
    yield Shelf(page=page, api=api, named=named, other=other, jobs=first + second)
    assert page.errors == [], f"JavaScript errors on the page: {page.errors}"  # type: ignore[attr-defined]
    page.context.close()


def _shown(page: Any) -> set[str]:
    page.wait_for_selector("#library-status[data-loading='false']")
    return set(page.locator("#library-results .card").evaluate_all("cards => cards.map(c => c.dataset.jobId)"))


def test_the_chart_shows_the_top_labels_with_the_counters_values(shelf: Shelf) -> None:
    page = shelf.page
    stats = shelf.api.request("GET", "/stats").json()

    bars = page.locator("#library-chart .bar-row").evaluate_all(
        "rows => rows.map(r => [r.dataset.label, Number(r.dataset.count), r.querySelector('.bar-fill').style.width])"
    )

    assert [(name, count) for name, count, _ in bars] == [(item["name"], item["count"]) for item in stats["labels"]]
    assert (
        page.locator("#library-chart figcaption").inner_text()
        == f"Top labels over your {stats['images']} analysed images"
    )
    assert bars[0][2] == "100%"
    counts = Counter(name for job in shelf.jobs for name in _labels(job))
    assert all(counts[name] == count for name, count, _ in bars)


def test_every_control_of_the_library_has_a_label(shelf: Shelf) -> None:
    assert shelf.page.evaluate(UNLABELLED_CONTROLS) == []


def test_a_label_facet_narrows_the_results_to_the_images_with_it(shelf: Shelf) -> None:
    page = shelf.page
    facet = page.locator("#library-facets .facet").nth(1)
    label, count = facet.get_attribute("data-label"), int(facet.get_attribute("data-count"))
    expected = {job["jobId"] for job in shelf.jobs if label in _labels(job)}

    facet.click()

    expect(page.locator("#library-results .card")).to_have_count(len(expected))
    assert _shown(page) == expected and count == len(expected)
    assert page.input_value("#library-query") == label
    page.fill("#library-query", "")
    page.click("#library-go")
    expect(page.locator("#library-results .card")).to_have_count(7)


def test_the_search_box_and_the_batch_filter_find_the_same_as_the_api(shelf: Shelf) -> None:
    page = shelf.page
    label = sorted(_labels(shelf.jobs[0]))[0]
    in_named = {job["jobId"] for job in shelf.jobs if label in _labels(job) and job["batchId"] == shelf.named}

    page.fill("#library-query", label.lower())
    page.keyboard.press("Enter")
    page.wait_for_selector("#library-status[data-loading='false']")
    page.select_option("#library-batch", shelf.named)

    expect(page.locator("#library-results .card")).to_have_count(len(in_named))
    assert _shown(page) == in_named
    assert page.locator("#library-batch option:checked").inner_text() == "Seaside weekend"
    page.fill("#library-query", "")
    page.select_option("#library-batch", "")
    expect(page.locator("#library-results .card")).to_have_count(7)


def test_a_result_opens_in_the_detail_view(shelf: Shelf, artifacts: Path) -> None:
    page = shelf.page
    card = page.locator("#library-results .card").first
    name = card.get_attribute("data-filename")

    card.locator(".card-open").click()

    page.wait_for_selector("#detail[open] #detail-image")
    assert page.locator("#detail-title").inner_text() == name
    assert page.locator("#detail .labels li").count() >= 1
    page.screenshot(path=str(artifacts / "11-library-detail.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#detail")).not_to_have_attribute("open", "")


def test_a_batch_is_deleted_only_after_confirmation(shelf: Shelf) -> None:
    page = shelf.page
    row = page.locator(f"#library-batches .batch-row[data-batch-id='{shelf.other}']")

    page.once("dialog", lambda dialog: dialog.dismiss())
    row.locator("button.danger").click()
    page.wait_for_selector("#library-status[data-loading='false']")
    assert shelf.api.request("GET", f"/batches/{shelf.other}").status_code == 200

    messages: list[str] = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    row.locator("button.danger").click()

    expect(page.locator(f"#library-batches .batch-row[data-batch-id='{shelf.other}']")).to_have_count(0)
    expect(page.locator("#library-results .card")).to_have_count(4)
    assert "3 images" in messages[0] and "cannot be undone" in messages[0]
    assert shelf.api.request("GET", f"/batches/{shelf.other}").status_code == 404
    assert {hit["batchId"] for hit in shelf.api.search_all()[0]} == {shelf.named}


def test_an_image_is_deleted_from_its_card(shelf: Shelf) -> None:
    page = shelf.page
    card = page.locator("#library-results .card").first
    job_id = card.get_attribute("data-job-id")

    page.once("dialog", lambda dialog: dialog.accept())
    card.locator("button.danger").click()

    expect(page.locator(f"#library-results .card[data-job-id='{job_id}']")).to_have_count(0)
    assert shelf.api.request("GET", f"/jobs/{job_id}").status_code == 404


def test_after_uploading_the_list_folds_and_a_failed_jobs_detail_says_why_nothing_was_found(
    browser: Any, stack: Any, artifacts: Path
) -> None:
    page = open_app(browser, stack)
    sign_in_with_keyboard(page, f"library-ui-{next(_callers)}")
    set_language(page, "en")
    files = [
        {"name": "fine.jpg", "mimeType": "image/jpeg", "buffer": photo_like(seed=3)},
        {"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": corrupt_jpeg()},
    ]
    page.set_input_files("#pick-files", files=files)
    page.fill("#batch-name", "Two pictures")
    page.click("#start")
    wait_settled(page)

    assert page.locator("#upload-list").is_hidden()
    page.click("#upload-list-toggle")
    assert page.locator("#upload-list").is_visible()
    assert page.get_attribute("#upload-list-toggle", "aria-expanded") == "true"
    page.locator("#gallery .card[data-filename='broken.jpg'] .card-open").click()
    page.wait_for_selector("#detail[open]")
    not_run = page.locator("#detail .not-run[data-feature='LABELS']")
    assert not_run.inner_text() == ("Not analysed: the image could not be processed (see “What went wrong” above).")
    assert "None found." not in page.locator("#detail").inner_text()
    page.screenshot(path=str(artifacts / "12-failed-detail.png"))
    page.keyboard.press("Escape")
    batch_id = page.evaluate("() => window.imgrecApp.state.batch.batchId")
    assert (
        ApiClient(stack.api_url, token=page.evaluate("() => window.imgrecApp.session.name")).batch(batch_id)["name"]
        == "Two pictures"
    )
    assert page.errors == []  # type: ignore[attr-defined]
    page.context.close()
