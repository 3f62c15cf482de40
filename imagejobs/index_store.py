"""The library's reads and writes on the jobs table: index items and counters (`imagejobs.index`), batch
names and tags, deletions (`imagejobs.deletions`). Synchronous (boto3), for the API, the deletion handler
and the indexer; every request shape is built in the pure modules, executed here with the job store's
retries and error translation.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from imagejobs import deletions, index, records
from imagejobs.deletions import DeletionRecord, DeletionStatus, Progress
from imagejobs.errors import TransientError
from imagejobs.index import IndexedImage, Stats, TermQuery
from imagejobs.records import AttributeMap, BatchRecord, JobRecord
from imagejobs.store import JobStore, StaleRecordError, chunks

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
_UNPROCESSED_ATTEMPTS = 8


class LibraryStore(JobStore):
    # ---- plumbing ---------------------------------------------------------------------------------------

    def _write_batch(self, requests: list[AttributeMap]) -> int:
        """BatchWriteItem, 25 at a time, retrying what DynamoDB leaves unprocessed. Returns the calls made."""
        calls = 0
        for group in chunks(requests, BATCH_WRITE_LIMIT):
            pending: dict[str, list[AttributeMap]] = {self._table: group}
            for attempt in range(_UNPROCESSED_ATTEMPTS):
                answer = self._call("batch_write_item", {"RequestItems": pending})
                calls += 1
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
            else:
                raise TransientError("DynamoDB BatchWriteItem: items stayed unprocessed")
        return calls

    def put_items(self, items: list[AttributeMap]) -> int:
        return self._write_batch([{"PutRequest": {"Item": item}} for item in items])

    def delete_keys(self, item_keys: list[AttributeMap]) -> int:
        unique = {(k["pk"]["S"], k["sk"]["S"]): k for k in item_keys}
        return self._write_batch([{"DeleteRequest": {"Key": key}} for key in unique.values()])

    def _query_all(self, request: AttributeMap) -> list[AttributeMap]:
        items: list[AttributeMap] = []
        start: AttributeMap | None = None
        while True:
            answer = self._call("query", {**request, **({"ExclusiveStartKey": start} if start else {})})
            items += answer.get("Items", [])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items

    def _get_many(self, item_keys: list[AttributeMap]) -> list[AttributeMap]:
        found: list[AttributeMap] = []
        for group in chunks(item_keys, BATCH_GET_LIMIT):
            request: AttributeMap = {self._table: {"Keys": group}}
            for attempt in range(_UNPROCESSED_ATTEMPTS):
                answer = self._call("batch_get_item", {"RequestItems": request})
                found += answer["Responses"].get(self._table, [])
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
            else:
                raise TransientError("DynamoDB BatchGetItem: keys stayed unprocessed")
        return found

    # ---- the index --------------------------------------------------------------------------------------

    def index_image(self, image: IndexedImage) -> int:
        """Term items (plain puts: a repeat writes the same items), then the card and the counters, each
        transaction guarded by its marker so a repeated delivery counts nothing twice. Returns the calls."""
        calls = self.put_items(image.term_items())
        for transaction in index.counter_transactions(self._table, image, count=True):
            calls += 1
            try:
                self._call("transact_write_items", transaction)
            except StaleRecordError:
                continue  # counted by an earlier delivery
        return calls

    def get_card(self, job_id: str) -> IndexedImage | None:
        answer = self._call(
            "get_item", {"TableName": self._table, "Key": index.image_key(job_id), "ConsistentRead": True}
        )
        return IndexedImage.from_card(answer["Item"]) if "Item" in answer else None

    def unindex_job(self, job_id: str, owner: str) -> int:
        """Un-count the job's image (if it was counted) and remove every index item of it. Idempotent, and
        safe to interrupt: the card goes last, and it names what was counted. Returns the items removed."""
        card = self.get_card(job_id)
        if card is not None:
            card = replace(card, owner=owner)  # cards hold the owner's digest; the counters' keys hash the owner
            for transaction in index.counter_transactions(self._table, card, count=False):
                try:
                    self._call("transact_write_items", transaction)
                except StaleRecordError:
                    continue  # un-counted by an earlier attempt
            self._drop_zero_counters(card)
        keys_ = [
            {"pk": item["pk"], "sk": item["sk"]}
            for item in self._query_all(index.partition_query_request(self._table, f"JOB#{job_id}", None))
            if item["sk"]["S"] != records.JOB_SK
        ]
        if keys_:
            self.delete_keys(keys_)
        return len(keys_)

    def _drop_zero_counters(self, card: IndexedImage) -> None:
        """Remove the counters of names no image has any more (read first: most still count others)."""
        for item in self._get_many(index.counter_keys(card)):
            if int(item.get("images", {"N": "0"})["N"]) <= 0:
                try:
                    self._call(
                        "delete_item", index.drop_zero_counter_request(self._table, {k: item[k] for k in ("pk", "sk")})
                    )
                except StaleRecordError:
                    continue  # counted again meanwhile: it stays

    def query_terms(
        self, query: TermQuery, limit: int, start_key: AttributeMap | None
    ) -> tuple[list[AttributeMap], AttributeMap | None, int]:
        """One page of `byTerm`: the items that passed the filters, where to go on, and how many were read."""
        answer = self._call("query", index.term_query_request(self._table, query, limit, start_key))
        return answer.get("Items", []), answer.get("LastEvaluatedKey"), int(answer.get("ScannedCount", 0))

    def get_cards(self, job_ids: list[str]) -> dict[str, IndexedImage]:
        found = self._get_many([index.image_key(j) for j in dict.fromkeys(job_ids)])
        return {item["jobId"]["S"]: IndexedImage.from_card(item) for item in found}

    def image_users(self, owner: str, sha256: str) -> dict[str, set[str]]:
        """job id → the cached answers it uses, for every indexed job of `owner` with this normalized image."""
        query = TermQuery(term=index.term(index.owner_digest(owner), index.IMAGE_HASH, sha256))
        users: dict[str, set[str]] = {}
        start: AttributeMap | None = None
        while True:
            items, start, _ = self.query_terms(query, 500, start)
            for item in items:
                users[item["jobId"]["S"]] = set(index_json(item, "cacheKeys"))
            if not start:
                return users

    def read_stats(self, scope: str) -> Stats:
        return index.stats_from_items(self._query_all(index.stats_query_request(self._table, scope, None)))

    def delete_stats(self, scope: str) -> int:
        items = self._query_all(index.stats_query_request(self._table, scope, None))
        if items:
            self.delete_keys([{"pk": item["pk"], "sk": item["sk"]} for item in items])
        return len(items)

    # ---- batches ------------------------------------------------------------------------------------------

    def update_batch_labels(self, batch_id: str, **changes: Any) -> BatchRecord | None:
        try:
            answer = self._call("update_item", records.update_batch_labels_request(self._table, batch_id, **changes))
        except StaleRecordError:
            return None
        return BatchRecord.from_item(answer["Attributes"])

    def list_batches_filtered(
        self, owner: str, limit: int, start_key: AttributeMap | None, name: str | None, tag: str | None
    ) -> tuple[list[BatchRecord], AttributeMap | None, int]:
        request = records.batches_of_owner_query(self._table, owner, limit, start_key)
        # Batches being deleted are gone for the API.
        filters, names, values = ["attribute_not_exists(#deleting)"], {"#deleting": "deletingSince"}, {}
        if name:
            filters.append("contains(#lower, :name)")
            names["#lower"] = "nameLower"
            values[":name"] = {"S": name.casefold()}
        if tag:
            filters.append("contains(#tags, :tag)")
            names["#tags"] = "tags"
            values[":tag"] = {"S": tag}
        request["FilterExpression"] = " AND ".join(filters)
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = {**request["ExpressionAttributeValues"], **values}
        answer = self._call("query", request)
        batches = [BatchRecord.from_item(i) for i in answer.get("Items", [])]
        return batches, answer.get("LastEvaluatedKey"), int(answer.get("ScannedCount", 0))

    # ---- deletions ----------------------------------------------------------------------------------------

    def delete_job(self, job: JobRecord) -> None:
        """Remove the job record (conditional on it being unchanged) and its place in the batch's counters.
        Raises StaleRecordError when the job changed since it was read."""
        try:
            self._call("transact_write_items", records.delete_job_request(self._table, job))
        except StaleRecordError:
            if self.get_batch(job.batch_id) is not None:
                raise
            # No batch to count it out of (it went first): remove the job alone, still conditionally.
            request = records.delete_job_request(self._table, job)["TransactItems"][0]["Delete"]
            self._call("delete_item", request)

    def mark_batch_deleting(self, batch_id: str, at: str) -> None:
        try:
            self._call("update_item", records.mark_batch_deleting_request(self._table, batch_id, at))
        except StaleRecordError:
            return  # already gone

    def delete_batch(self, batch_id: str) -> bool:
        """Remove the batch record once it holds no job; False when a job was added meanwhile."""
        try:
            self._call("delete_item", records.delete_batch_request(self._table, batch_id))
        except StaleRecordError:
            return False
        return True

    def get_deletion(self, deletion_id: str) -> DeletionRecord | None:
        answer = self._call(
            "get_item", {"TableName": self._table, "Key": deletions.deletion_key(deletion_id), "ConsistentRead": True}
        )
        return DeletionRecord.from_item(answer["Item"]) if "Item" in answer else None

    def start_deletion(self, record: DeletionRecord) -> DeletionRecord:
        """Put a new deletion (or restart a completed one); returns the one that stands (a running one wins)."""
        try:
            self._call("put_item", deletions.start_deletion_request(self._table, record))
        except StaleRecordError:
            running = self.get_deletion(record.deletion_id)
            if running is not None:
                return running
            raise
        return record

    def claim_deletion(self, deletion_id: str, now: int, until: int) -> bool:
        """True when this run may go on with the deletion (no other run holds it, and it is not done)."""
        try:
            self._call("update_item", deletions.claim_request(self._table, deletion_id, now, until))
        except StaleRecordError:
            return False
        return True

    def record_progress(
        self, deletion_id: str, done: Progress, status: DeletionStatus, at: str, expires_at: int
    ) -> DeletionRecord:
        """Add a run's progress; a deletion another run already completed is answered as it stands."""
        try:
            answer = self._call(
                "update_item", deletions.progress_request(self._table, deletion_id, done, status, at, expires_at)
            )
        except StaleRecordError:
            finished = self.get_deletion(deletion_id)
            if finished is None:
                raise
            return finished
        return DeletionRecord.from_item(answer["Attributes"])


def index_json(item: AttributeMap, name: str) -> list[Any]:
    value = item.get(name)
    return list(json.loads(value["S"])) if value else []
