"""Search across everything a caller owns, newest first, with facet counts.

One predicate drives the read — the rarest kind first: a word, a moderation label, "any moderation", a
label, the batch, else everything — as a Query of `byTerm` with the date range as its key condition and the
face count, batch and confidence as filters on the term items. Other predicates are checked on the image
cards. Pages are full: the read goes on until the page is, or until `MAX_SCANNED` index entries were read
for one request (the documented bound; `nextToken` then carries on from where it stopped).

Facets (the first page only): exact from the counters when the search is "everything" or "one batch";
otherwise counted over the newest `FACET_LIMIT` matches, and marked incomplete when more match.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date

from api.logic import pages
from api.logic.services import Services
from api.models.jobs import NormalizedImage
from api.models.library import Facets, LabelHit, NameCount, SearchHit, SearchPage
from imagejobs import index
from imagejobs.index import IndexedImage, TermQuery
from imagejobs.model import JobStatus
from imagejobs.records import AttributeMap

MAX_SCANNED = 2_000
FACET_LIMIT = 1_000
TOP_FACETS = 10
_READ_PAGE = 200
# Reads while counting facets go in larger steps: term items are small (1,000 ≈ 150 KB of a 1 MB page).
_FACET_READ_PAGE = 1_000


@dataclass(frozen=True)
class SearchQuery:
    label: str | None = None
    min_confidence: float | None = None
    moderation: str | None = None
    flagged: bool = False
    min_faces: int | None = None
    max_faces: int | None = None
    text: str | None = None
    batch_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def normalized(self) -> SearchQuery:
        return replace(
            self,
            label=index.normalize(self.label) if self.label is not None else None,
            moderation=index.normalize(self.moderation) if self.moderation is not None else None,
            text=index.normalize_word(self.text) if self.text is not None else None,
        )

    @property
    def is_empty_by_definition(self) -> bool:
        """Parameters no image can match (e.g. `from` after `to`): an empty answer, not an error."""
        dates = self.date_from is not None and self.date_to is not None and self.date_from > self.date_to
        faces = self.min_faces is not None and self.max_faces is not None and self.min_faces > self.max_faces
        blank = any(value == "" for value in (self.label, self.moderation, self.text))
        return dates or faces or blank


@dataclass(frozen=True)
class Plan:
    """The driving read and the predicates left to check on the cards."""

    kind: str
    value: str
    query: TermQuery
    card_checks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sort_key_of_items(self) -> str:
        return index.IMAGE_SK if self.kind == index.EVERYTHING else index.term_sk(self.kind, self.value)


def plan(owner: str, query: SearchQuery) -> Plan:
    candidates = [
        (index.WORD, query.text, "text"),
        (index.MODERATION, query.moderation, "moderation"),
        (index.MODERATION, index.ANY_MODERATION if query.flagged else None, "flagged"),
        (index.LABEL, query.label, "label"),
        (index.BATCH, query.batch_id, "batch"),
    ]
    present = [(kind, value, name) for kind, value, name in candidates if value]
    kind, value, driver = present[0] if present else (index.EVERYTHING, "", "everything")
    checks = tuple(name for _, _, name in present[1:] if name != "batch")
    confidence = query.min_confidence if driver in ("label", "moderation") and query.min_confidence else None
    owner_key = index.owner_digest(owner)
    return Plan(
        kind=kind,
        value=value,
        query=TermQuery(
            term=index.term(owner_key, kind, value),
            at_from=query.date_from.isoformat() if query.date_from else "0",
            at_to=f"{query.date_to.isoformat()}~" if query.date_to else "~",
            min_confidence=confidence,
            batch_id=query.batch_id if driver != "batch" else None,
            min_faces=query.min_faces,
            max_faces=query.max_faces,
        ),
        card_checks=checks,
    )


def _has(pairs: tuple[tuple[str, float], ...], name: str, minimum: float | None) -> bool:
    return any(index.normalize(n) == name and c >= (minimum or 0) for n, c in pairs)


def matches(card: IndexedImage, query: SearchQuery, checks: tuple[str, ...]) -> bool:
    for check in checks:
        if check == "label" and not _has(card.labels, query.label or "", query.min_confidence):
            return False
        if check == "moderation" and not _has(card.moderation, query.moderation or "", query.min_confidence):
            return False
        if check == "flagged" and not card.moderation:
            return False
        if check == "text" and query.text not in card.words:
            return False
    return True


@dataclass
class Collected:
    cards: list[tuple[IndexedImage, AttributeMap]] = field(default_factory=list)
    # Where to go on from when the read stopped before the end (the bound, or a full page).
    resume: AttributeMap | None = None
    exhausted: bool = False


def _position(item: AttributeMap) -> AttributeMap:
    return {name: item[name] for name in ("pk", "sk", "term", "at")}


def collect(
    services: Services, plan_: Plan, query: SearchQuery, wanted: int, start: AttributeMap | None, budget: int
) -> Collected:
    """Up to `wanted` matches from `start` on, reading at most `budget` index entries."""
    found = Collected()
    position, scanned = start, 0
    while len(found.cards) < wanted and scanned < budget:
        needed = wanted - len(found.cards)
        if not plan_.card_checks and _unfiltered(plan_.query):
            page_size = needed + 1
        else:
            page_size = _FACET_READ_PAGE if wanted > _READ_PAGE else _READ_PAGE
        items, last, read = services.library.query_terms(plan_.query, min(page_size, budget - scanned), position)
        scanned += read
        cards = _cards(services, plan_, items)
        for item in items:
            card = cards.get(item["jobId"]["S"])
            if card is None or not matches(card, query, plan_.card_checks):
                continue  # not yet indexed whole (its card comes last), or fails a predicate
            found.cards.append((card, _position(item)))
            if len(found.cards) == wanted:
                found.resume = _position(item) if (item is not items[-1] or last) else None
                found.exhausted = found.resume is None
                return found
        if not last:
            found.exhausted = True
            return found
        position = last
    found.resume = position
    return found


def _unfiltered(query: TermQuery) -> bool:
    return (
        query.min_confidence is None and query.batch_id is None and query.min_faces is None and query.max_faces is None
    )


def _cards(services: Services, plan_: Plan, items: list[AttributeMap]) -> dict[str, IndexedImage]:
    if plan_.kind == index.EVERYTHING:
        return {item["jobId"]["S"]: IndexedImage.from_card(item) for item in items}
    return services.library.get_cards([item["jobId"]["S"] for item in items]) if items else {}


def _hit(services: Services, card: IndexedImage) -> SearchHit:
    image = None
    if card.image_key and card.image_width and card.image_height:
        url = services.objects.download_url(card.image_key, services.settings.image_url_ttl_seconds)
        image = NormalizedImage(width=card.image_width, height=card.image_height, url=url)
    return SearchHit(
        job_id=card.job_id,
        batch_id=card.batch_id,
        filename=card.filename,
        status=JobStatus(card.status),
        created_at=card.created_at,
        finished_at=card.finished_at,
        labels=[LabelHit(name=n, confidence=c) for n, c in card.labels[:5]],
        moderation=[n for n, _ in card.moderation],
        face_count=card.face_count,
        image=image,
    )


def _counts(counter: Counter[str], display: dict[str, str]) -> list[NameCount]:
    ranked = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))
    return [NameCount(name=display[key], count=count) for key, count in ranked[:TOP_FACETS]]


def _scanned_facets(cards: list[IndexedImage], complete: bool) -> Facets:
    labels: Counter[str] = Counter()
    moderation: Counter[str] = Counter()
    display: dict[str, str] = {}
    for card in cards:
        for counter, pairs in ((labels, card.labels), (moderation, card.moderation)):
            for name, _ in pairs:
                display.setdefault(index.normalize(name), name)
                counter[index.normalize(name)] += 1
    return Facets(
        matches=len(cards),
        complete=complete,
        labels=_counts(labels, display),
        moderation=_counts(moderation, display),
    )


def _counted_facets(services: Services, owner: str, query: SearchQuery) -> Facets:
    scope = index.batch_scope(query.batch_id) if query.batch_id else index.owner_scope(owner)
    stats = services.library.read_stats(scope)
    return Facets(
        matches=stats.images,
        complete=True,
        labels=[NameCount(name=c.name, count=c.count) for c in stats.labels[:TOP_FACETS]],
        moderation=[NameCount(name=c.name, count=c.count) for c in stats.moderation[:TOP_FACETS]],
    )


def _counters_answer(query: SearchQuery) -> bool:
    """The counters hold the facets of "everything" and of "one batch", exactly."""
    return replace(query, batch_id=None) == SearchQuery()


def search(
    services: Services, owner: str, query: SearchQuery, limit: int, next_token: str | None, facets: bool
) -> SearchPage:
    query = query.normalized()
    plan_ = plan(owner, query)
    query_digest = pages.digest(owner, query)
    start = pages.search_start_key(next_token, owner, query_digest, plan_.query.term, plan_.sort_key_of_items)
    if query.is_empty_by_definition:
        empty = Facets(matches=0, complete=True, labels=[], moderation=[]) if facets and next_token is None else None
        return SearchPage(results=[], next_token=None, facets=empty)
    with_facets = facets and next_token is None
    scan_facets = with_facets and not _counters_answer(query)
    wanted = max(limit, FACET_LIMIT) if scan_facets else limit
    found = collect(services, plan_, query, wanted, start, MAX_SCANNED + (FACET_LIMIT * 4 if scan_facets else 0))
    page = found.cards[:limit]
    if len(found.cards) > limit:
        resume: AttributeMap | None = page[-1][1]
    else:
        resume = found.resume
    token = None
    if resume is not None:
        token = pages.search_token(owner, query_digest, resume["pk"]["S"].removeprefix("JOB#"), resume["at"]["S"])
    summary = None
    if with_facets:
        if scan_facets:
            complete = found.exhausted and len(found.cards) <= FACET_LIMIT
            summary = _scanned_facets([card for card, _ in found.cards[:FACET_LIMIT]], complete)
        else:
            summary = _counted_facets(services, owner, query)
    return SearchPage(results=[_hit(services, card) for card, _ in page], next_token=token, facets=summary)
