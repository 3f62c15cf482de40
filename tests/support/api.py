"""A small HTTP client for the REST API, for tests (the product's own client is `imgrec`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

TERMINAL = {"SUCCEEDED", "PARTIAL", "FAILED"}


@dataclass
class ApiClient:
    base_url: str
    token: str | None = "alice"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return requests.request(method, self.base_url + path, headers=headers, timeout=30, **kwargs)

    def create_batch(self, images: list[tuple[str, bytes]], **options: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "images": [
                {"filename": name, "contentType": "image/jpeg", "size": max(1, len(data))} for name, data in images
            ]
        }
        if options:
            body["options"] = options
        answer = self.request("POST", "/batches", json=body)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    @staticmethod
    def upload(slot: dict[str, Any], data: bytes) -> None:
        """The presigned POST, as a browser or curl sends it: every field, then the file last."""
        form = slot["upload"]
        answer = requests.post(form["url"], data=form["fields"], files={"file": ("upload", data)}, timeout=30)
        assert answer.status_code in (200, 201, 204), answer.text

    def submit(self, batch_id: str, job_ids: list[str] | None = None) -> dict[str, Any]:
        answer = self.request("POST", f"/batches/{batch_id}/submit", json={"jobIds": job_ids} if job_ids else None)
        assert answer.status_code == 202, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def job(self, job_id: str) -> dict[str, Any]:
        answer = self.request("GET", f"/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        return job

    def batch(self, batch_id: str) -> dict[str, Any]:
        answer = self.request("GET", f"/batches/{batch_id}")
        assert answer.status_code == 200, answer.text
        batch: dict[str, Any] = answer.json()
        return batch

    def wait_batch(self, batch_id: str, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            batch = self.batch(batch_id)
            if batch["done"]:
                return batch
            if time.monotonic() > deadline:
                raise AssertionError(f"batch not done in {timeout}s: {batch}")
            time.sleep(0.3)

    def wait_job(self, job_id: str, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in TERMINAL:
                return job
            if time.monotonic() > deadline:
                raise AssertionError(f"job not done in {timeout}s: {job['status']}")
            time.sleep(0.3)

    def jobs_of(self, batch_id: str) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = []
        token = None
        while True:
            params = {"limit": 100, **({"nextToken": token} if token else {})}
            answer = self.request("GET", f"/batches/{batch_id}/jobs", params=params)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            jobs += page["jobs"]
            token = page["nextToken"]
            if not token:
                return jobs

    def analyze(self, images: list[tuple[str, bytes]], **options: Any) -> tuple[str, list[dict[str, Any]]]:
        """The whole flow: create, upload, submit, wait. Returns the batch id and its finished jobs."""
        created = self.create_batch(images, **options)
        for slot, (_, data) in zip(created["jobs"], images, strict=True):
            self.upload(slot, data)
        self.submit(created["batchId"])
        self.wait_batch(created["batchId"])
        return created["batchId"], self.jobs_of(created["batchId"])

    # ---- the library (issue 13) ---------------------------------------------------------------------

    def search_all(self, page_size: int = 100, **params: Any) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Every result of a search, page by page, and the first page's facets."""
        results: list[dict[str, Any]] = []
        facets = None
        token = None
        while True:
            query = {"limit": page_size, **params, **({"nextToken": token} if token else {})}
            answer = self.request("GET", "/search", params=query)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            if token is None:
                facets = page.get("facets")
            results += page["results"]
            token = page["nextToken"]
            if not token:
                return results, facets

    def wait_indexed(self, batch_id: str, count: int, timeout: float = 60) -> list[dict[str, Any]]:
        """The index is written from the table's stream, after the jobs finish: wait until it shows them."""
        deadline = time.monotonic() + timeout
        while True:
            results, _ = self.search_all(batchId=batch_id, facets="false")
            if len(results) >= count:
                return results
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(results)} of {count} images indexed in {timeout}s")
            time.sleep(0.2)

    def wait_deletion(self, deletion_id: str, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            answer = self.request("GET", f"/deletions/{deletion_id}")
            assert answer.status_code == 200, answer.text
            deletion: dict[str, Any] = answer.json()
            if deletion["status"] == "COMPLETED":
                return deletion
            if time.monotonic() > deadline:
                raise AssertionError(f"deletion not done in {timeout}s: {deletion}")
            time.sleep(0.3)
