"""The library index: what makes a caller's finished images searchable, and its counters. Pure: items and
request shapes only; `imagejobs.index_store` executes them (docs/decisions.md has the costs).

Layout, in the jobs table. A job's index items live in the job's own partition, so deleting a job finds all
of them with one Query:

- `pk=JOB#<jobId>, sk=IMAGE` — the image's card: labels and moderation labels with confidences, face
  count, detected words, batch, times, normalized image. It is also the marker that makes counting
  idempotent (put under `attribute_not_exists` in the counters' transaction).
- `pk=JOB#<jobId>, sk=T#<kind>#<value>` — one small term item per (image, term): `L` label, `M` moderation
  label (`M#*`: any), `W` detected word, `B` batch, `H` the normalized image's SHA-256 (names its cached
  Rekognition answers, so a deletion knows which ones another job still uses).
- GSI `byTerm`: `term = <ownerDigest>#<kind>#<value>` (hash), `at = <createdAt>#<jobId>` (range): a caller's
  images with one term, newest first, a date range as a key condition. The card sits there too, under
  `<ownerDigest>#ALL`: everything a caller has. DynamoDB indexes only top-level scalars, hence one item per
  (image, term); keys never change (a key change would cost a delete and a put), so re-indexing is a put.
- `pk=STATS#O#<ownerDigest>` (a caller) and `pk=STATS#B#<batchId>` (a batch), `sk=TOTALS | L#<name> |
  M#<name>`: image, face and moderation counters, and one counter per label.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from imagejobs.detect_requests import cache_keys
from imagejobs.model import Feature
from imagejobs.records import AttributeMap, JobRecord, job_key

IMAGE_SK = "IMAGE"
TERM_SK_PREFIX = "T#"
COUNTED_SK_PREFIX = "COUNTED#"
BY_TERM_INDEX = "byTerm"
LABEL, MODERATION, WORD, BATCH, IMAGE_HASH, EVERYTHING = "L", "M", "W", "B", "H", "ALL"
ANY_MODERATION = "*"
TOTALS_SK = "TOTALS"
# Index items outlive their job by this much: the job's own expiry (TTL) triggers their removal through the
# table's stream, which un-counts them first; their own TTL only collects what a lost stream record left.
INDEX_GRACE_SECONDS = 7 * 24 * 3600
MAX_TERM_LENGTH = 100
MAX_WORDS = 100
# A transaction holds 100 items: the marker, and two counters (caller and batch) per name.
_NAMES_PER_TRANSACTION = 48


def owner_digest(owner: str) -> str:
    """The caller as index keys and tokens show it: never the raw identity."""
    return hashlib.sha256(owner.encode()).hexdigest()[:16]


def normalize(value: str) -> str:
    """How terms are matched: case-insensitive, runs of white space as one space."""
    return " ".join(value.split()).casefold()[:MAX_TERM_LENGTH]


def normalize_word(value: str) -> str:
    """A detected word as searched: case-insensitive, without punctuation around it ("OPEN," → "open")."""
    return normalize(value).strip("\"'.,;:!?()[]{}<>«»“”‘’-_/\\*")


def term(owner_key: str, kind: str, value: str = "") -> str:
    return f"{owner_key}#{kind}#{value}" if kind != EVERYTHING else f"{owner_key}#{EVERYTHING}"


def term_sk(kind: str, value: str) -> str:
    return f"{TERM_SK_PREFIX}{kind}#{value}"


def sort_key(created_at: str, job_id: str) -> str:
    return f"{created_at}#{job_id}"


def stats_pk(scope: str) -> str:
    return f"STATS#{scope}"


def owner_scope(owner: str) -> str:
    return f"O#{owner_digest(owner)}"


def batch_scope(batch_id: str) -> str:
    return f"B#{batch_id}"


def image_key(job_id: str) -> AttributeMap:
    return {**job_key(job_id), "sk": {"S": IMAGE_SK}}


def _s(value: str) -> AttributeMap:
    return {"S": value}


def _n(value: int | float) -> AttributeMap:
    return {"N": str(value)}


def _json(value: object) -> AttributeMap:
    return {"S": json.dumps(value, separators=(",", ":"), ensure_ascii=False)}


@dataclass(frozen=True)
class IndexedImage:
    """One finished job as the library knows it."""

    job_id: str
    batch_id: str
    owner: str
    filename: str
    status: str
    created_at: str
    finished_at: str
    expires_at: int
    features: tuple[str, ...]
    # (name, confidence), highest confidence first, names as Rekognition wrote them.
    labels: tuple[tuple[str, float], ...] = ()
    moderation: tuple[tuple[str, float], ...] = ()
    face_count: int | None = None
    words: tuple[str, ...] = ()
    image_key: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    sha256: str | None = None
    cache_keys: tuple[str, ...] = ()

    @property
    def owner_key(self) -> str:
        return owner_digest(self.owner)

    @property
    def at(self) -> str:
        return sort_key(self.created_at, self.job_id)

    def terms(self) -> Iterator[tuple[str, str, float | None]]:
        """(kind, normalized value, confidence) of every term, each once."""
        seen: set[tuple[str, str]] = set()
        moderation = [(MODERATION, ANY_MODERATION, None)] if self.moderation else []
        candidates: list[tuple[str, str, float | None]] = [
            *((LABEL, normalize(name), confidence) for name, confidence in self.labels),
            *((MODERATION, normalize(name), confidence) for name, confidence in self.moderation),
            *moderation,
            *((WORD, word, None) for word in self.words),
            (BATCH, self.batch_id, None),
        ]
        if self.sha256:
            candidates.append((IMAGE_HASH, self.sha256, None))
        for kind, value, confidence in candidates:
            if value and (kind, value) not in seen:
                seen.add((kind, value))
                yield kind, value, confidence

    def card(self) -> AttributeMap:
        item: AttributeMap = {
            **image_key(self.job_id),
            "term": _s(term(self.owner_key, EVERYTHING)),
            "at": _s(self.at),
            "jobId": _s(self.job_id),
            "batchId": _s(self.batch_id),
            "ownerDigest": _s(self.owner_key),
            "filename": _s(self.filename),
            "status": _s(self.status),
            "createdAt": _s(self.created_at),
            "finishedAt": _s(self.finished_at),
            "features": _json(list(self.features)),
            "labels": _json([[name, confidence] for name, confidence in self.labels]),
            "moderation": _json([[name, confidence] for name, confidence in self.moderation]),
            "words": _json(list(self.words)),
            "cacheKeys": _json(list(self.cache_keys)),
            "expiresAt": _n(self.expires_at + INDEX_GRACE_SECONDS),
        }
        if self.face_count is not None:
            item["faceCount"] = _n(self.face_count)
        if self.image_key is not None:
            item["imageKey"] = _s(self.image_key)
            item["imageWidth"] = _n(self.image_width or 0)
            item["imageHeight"] = _n(self.image_height or 0)
        if self.sha256 is not None:
            item["sha256"] = _s(self.sha256)
        return item

    def term_items(self) -> list[AttributeMap]:
        items = []
        for kind, value, confidence in self.terms():
            item: AttributeMap = {
                **job_key(self.job_id),
                "sk": _s(term_sk(kind, value)),
                "term": _s(term(self.owner_key, kind, value)),
                "at": _s(self.at),
                "jobId": _s(self.job_id),
                "batchId": _s(self.batch_id),
                "expiresAt": _n(self.expires_at + INDEX_GRACE_SECONDS),
            }
            if confidence is not None:
                item["confidence"] = _n(round(confidence, 3))
            if self.face_count is not None:
                item["faceCount"] = _n(self.face_count)
            if kind == IMAGE_HASH:
                item["cacheKeys"] = _json(list(self.cache_keys))
            items.append(item)
        return items

    @classmethod
    def from_card(cls, item: AttributeMap) -> IndexedImage:
        """The card as read back (`owner` is its digest: cards never hold the raw identity)."""
        return cls(
            job_id=item["jobId"]["S"],
            batch_id=item["batchId"]["S"],
            owner=item["ownerDigest"]["S"],
            filename=item["filename"]["S"],
            status=item["status"]["S"],
            created_at=item["createdAt"]["S"],
            finished_at=item["finishedAt"]["S"],
            expires_at=int(item["expiresAt"]["N"]) - INDEX_GRACE_SECONDS,
            features=tuple(json.loads(item["features"]["S"])),
            labels=tuple((str(n), float(c)) for n, c in json.loads(item["labels"]["S"])),
            moderation=tuple((str(n), float(c)) for n, c in json.loads(item["moderation"]["S"])),
            face_count=int(item["faceCount"]["N"]) if "faceCount" in item else None,
            words=tuple(json.loads(item["words"]["S"])),
            image_key=item["imageKey"]["S"] if "imageKey" in item else None,
            image_width=int(item["imageWidth"]["N"]) if "imageWidth" in item else None,
            image_height=int(item["imageHeight"]["N"]) if "imageHeight" in item else None,
            sha256=item["sha256"]["S"] if "sha256" in item else None,
            cache_keys=tuple(json.loads(item["cacheKeys"]["S"])),
        )


def _named(items: list[Any], name_key: str) -> tuple[tuple[str, float], ...]:
    best: dict[str, tuple[str, float]] = {}
    for entry in items:
        name, confidence = str(entry.get(name_key) or ""), float(entry.get("Confidence") or 0.0)
        if name and (normalize(name) not in best or best[normalize(name)][1] < confidence):
            best[normalize(name)] = (name, round(confidence, 3))
    return tuple(sorted(best.values(), key=lambda pair: (-pair[1], pair[0])))


def _words(detections: list[Any]) -> tuple[str, ...]:
    words: dict[str, None] = {}
    for item in detections:
        if item.get("Type") == "WORD" and (word := normalize_word(str(item.get("DetectedText") or ""))):
            words.setdefault(word, None)
    return tuple(words)[:MAX_WORDS]


def indexed_image(job: JobRecord, results: dict[str, Any]) -> IndexedImage:
    """What the index holds of a finished job and its `results` document."""
    image = job.image or {}
    sha256 = (image.get("normalization") or {}).get("sha256")
    faces = results.get(Feature.FACES.result_key)
    return IndexedImage(
        job_id=job.job_id,
        batch_id=job.batch_id,
        owner=job.owner,
        filename=job.filename,
        status=job.status.value,
        created_at=job.created_at,
        finished_at=job.updated_at,
        expires_at=job.expires_at,
        features=tuple(feature.value for feature in job.options.features),
        labels=_named(results.get(Feature.LABELS.result_key) or [], "Name"),
        moderation=_named(results.get(Feature.MODERATION.result_key) or [], "Name"),
        face_count=len(faces) if isinstance(faces, list) else None,
        words=_words(results.get(Feature.TEXT.result_key) or []),
        image_key=image.get("key"),
        image_width=image.get("width"),
        image_height=image.get("height"),
        sha256=sha256,
        cache_keys=tuple(cache_keys(job.owner, sha256, job.options)) if sha256 else (),
    )


# ---- counters ---------------------------------------------------------------------------------------------


def _counted_names(image: IndexedImage) -> list[tuple[str, str]]:
    """(kind, display name) of every counted name: labels, then moderation labels."""
    names: dict[tuple[str, str], str] = {}
    for kind, pairs in ((LABEL, image.labels), (MODERATION, image.moderation)):
        for name, _ in pairs:
            names.setdefault((kind, normalize(name)), name)
    return [(kind, display) for (kind, _), display in names.items()]


def counter_sk(kind: str, name: str) -> str:
    return f"{kind}#{normalize(name)}"


def counter_keys(image: IndexedImage) -> list[AttributeMap]:
    """The per-name counters an image moves, in both scopes (what a removal checks for zeros)."""
    scopes = (owner_scope(image.owner), batch_scope(image.batch_id))
    return [
        {"pk": _s(stats_pk(scope)), "sk": _s(counter_sk(kind, display))}
        for kind, display in _counted_names(image)
        for scope in scopes
    ]


def drop_zero_counter_request(table: str, key: AttributeMap) -> AttributeMap:
    """A name's counter once no image has it: its name alone would still tell what was there."""
    return {
        "TableName": table,
        "Key": key,
        "ConditionExpression": "#images <= :zero",
        "ExpressionAttributeNames": {"#images": "images"},
        "ExpressionAttributeValues": {":zero": _n(0)},
    }


def _chunks(image: IndexedImage) -> list[list[tuple[str, str]]]:
    names = _counted_names(image)
    first, rest = names[:_NAMES_PER_TRANSACTION], names[_NAMES_PER_TRANSACTION:]
    step = _NAMES_PER_TRANSACTION + 1
    return [first] + [rest[i : i + step] for i in range(0, len(rest), step)]


def _counter_update(
    table: str, scope: str, sk: str, adds: dict[str, int], display: str | None, expires_at: int | None
) -> AttributeMap:
    names = {f"#a{i}": name for i, name in enumerate(adds)}
    values = {f":a{i}": _n(value) for i, value in enumerate(adds.values())}
    sets = []
    if display is not None:
        names["#name"] = "name"
        values[":name"] = _s(display)
        sets.append("#name = :name")
    if expires_at is not None:  # a batch's counters expire with it; a caller's stay while it has images
        names["#expires"] = "expiresAt"
        values[":expires"] = _n(expires_at)
        sets.append("#expires = :expires")
    expression = "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(adds)))
    if sets:
        expression = f"SET {', '.join(sets)} {expression}"
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": _s(stats_pk(scope)), "sk": _s(sk)},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


def totals(image: IndexedImage) -> dict[str, int]:
    faces = image.face_count or 0
    return {
        "images": 1,
        "faces": faces,
        "withFaces": int(faces > 0),
        "flagged": int(bool(image.moderation)),
        "withText": int(bool(image.words)),
    }


def _marker(table: str, image: IndexedImage, chunk: int, count: bool) -> AttributeMap:
    key = image_key(image.job_id) if chunk == 0 else {**job_key(image.job_id), "sk": _s(f"{COUNTED_SK_PREFIX}{chunk}")}
    if not count:
        return {"Delete": {"TableName": table, "Key": key, "ConditionExpression": "attribute_exists(pk)"}}
    item = (
        image.card()
        if chunk == 0
        else {**key, "expiresAt": _n(image.expires_at + INDEX_GRACE_SECONDS), "jobId": _s(image.job_id)}
    )
    return {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def counter_transactions(table: str, image: IndexedImage, count: bool) -> list[AttributeMap]:
    """Counting (`count`) or un-counting one image, as transactions each guarded by its own marker: a
    repeated delivery fails the marker's condition and moves nothing. The first one puts (or deletes) the
    card itself. Un-count them in reverse order, so the card, which names what was counted, goes last."""
    sign = 1 if count else -1
    expiry = image.expires_at + INDEX_GRACE_SECONDS
    scopes = ((owner_scope(image.owner), None), (batch_scope(image.batch_id), expiry))
    requests = []
    for index, names in enumerate(_chunks(image)):
        items = [_marker(table, image, index, count)]
        if index == 0:
            adds = {name: sign * value for name, value in totals(image).items()}
            items += [_counter_update(table, scope, TOTALS_SK, adds, None, expires) for scope, expires in scopes]
        for kind, display in names:
            sk = counter_sk(kind, display)
            items += [
                _counter_update(table, scope, sk, {"images": sign}, display, expires) for scope, expires in scopes
            ]
        requests.append({"TransactItems": items})
    return requests if count else list(reversed(requests))


def owner_scope_of_digest(digest: str) -> str:
    return f"O#{digest}"


# ---- reads ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermQuery:
    """One read of `byTerm`: a term, a range of `at` (dates as key conditions), filters on what term items
    carry (confidence, batch, face count), newest first."""

    term: str
    at_from: str = "0"
    at_to: str = "~"
    min_confidence: float | None = None
    batch_id: str | None = None
    min_faces: int | None = None
    max_faces: int | None = None


def term_query_request(table: str, query: TermQuery, limit: int, start_key: AttributeMap | None) -> AttributeMap:
    names = {"#term": "term", "#at": "at"}
    values: AttributeMap = {":term": _s(query.term), ":lo": _s(query.at_from), ":hi": _s(query.at_to)}
    filters = []
    if query.min_confidence is not None:
        names["#confidence"] = "confidence"
        values[":confidence"] = _n(query.min_confidence)
        filters.append("#confidence >= :confidence")
    if query.batch_id is not None:
        names["#batch"] = "batchId"
        values[":batch"] = _s(query.batch_id)
        filters.append("#batch = :batch")
    if query.min_faces is not None or query.max_faces is not None:
        names["#faces"] = "faceCount"
        values[":flo"] = _n(query.min_faces or 0)
        values[":fhi"] = _n(query.max_faces if query.max_faces is not None else 1_000_000)
        filters.append("#faces BETWEEN :flo AND :fhi")
    request: AttributeMap = {
        "TableName": table,
        "IndexName": BY_TERM_INDEX,
        "KeyConditionExpression": "#term = :term AND #at BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if filters:
        request["FilterExpression"] = " AND ".join(filters)
    if start_key:
        request["ExclusiveStartKey"] = start_key
    return request


def partition_query_request(table: str, pk: str, start_key: AttributeMap | None) -> AttributeMap:
    """Every item of one partition (a job's record and its index items, or a counters scope)."""
    request: AttributeMap = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": _s(pk)},
        "ProjectionExpression": "pk, sk",
        "ConsistentRead": True,
    }
    if start_key:
        request["ExclusiveStartKey"] = start_key
    return request


def stats_query_request(table: str, scope: str, start_key: AttributeMap | None) -> AttributeMap:
    request: AttributeMap = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": _s(stats_pk(scope))},
    }
    if start_key:
        request["ExclusiveStartKey"] = start_key
    return request


@dataclass(frozen=True)
class Count:
    name: str
    count: int


@dataclass(frozen=True)
class Stats:
    """A scope's counters: totals, and every label and moderation label with a positive count."""

    images: int = 0
    faces: int = 0
    with_faces: int = 0
    flagged: int = 0
    with_text: int = 0
    labels: tuple[Count, ...] = ()
    moderation: tuple[Count, ...] = ()


def stats_from_items(items: list[AttributeMap]) -> Stats:
    totals_: dict[str, int] = {}
    labels: list[Count] = []
    moderation: list[Count] = []
    for item in items:
        sk = item["sk"]["S"]
        if sk == TOTALS_SK:
            totals_ = {name: int(value["N"]) for name, value in item.items() if "N" in value}
        elif int(item.get("images", {"N": "0"})["N"]) > 0:
            entry = Count(item.get("name", {"S": sk[2:]})["S"], int(item["images"]["N"]))
            (labels if sk.startswith(f"{LABEL}#") else moderation).append(entry)

    def ranked(counts: list[Count]) -> tuple[Count, ...]:
        return tuple(sorted(counts, key=lambda c: (-c.count, c.name.casefold())))

    return Stats(
        images=max(0, totals_.get("images", 0)),
        faces=max(0, totals_.get("faces", 0)),
        with_faces=max(0, totals_.get("withFaces", 0)),
        flagged=max(0, totals_.get("flagged", 0)),
        with_text=max(0, totals_.get("withText", 0)),
        labels=ranked(labels),
        moderation=ranked(moderation),
    )
