"""ImageNet classes → Rekognition-style labels (Name, Parents, Aliases, Categories) per `label_taxonomy.json`.

A parent's confidence is the probability mass of all the classes below it: softmax probabilities of
distinct classes are exclusive events, so their sum is the probability that the picture shows *some*
kind of that parent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class LabelNode:
    name: str
    parents: tuple[str, ...]
    categories: tuple[str, ...]
    aliases: tuple[str, ...]


class Taxonomy:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.class_names: tuple[str, ...] = tuple(document["classes"])
        self._nodes = {
            name: LabelNode(name, tuple(spec["parents"]), tuple(spec["categories"]), tuple(spec["aliases"]))
            for name, spec in document["labels"].items()
        }
        class_parents: dict[int, list[str]] = {}
        for key, parents in document["class_parents"].items():
            for index in _expand_range(key):
                merged = class_parents.setdefault(index, [])
                merged.extend(parent for parent in parents if parent not in merged)
        for index, name in enumerate(self.class_names):
            if name not in self._nodes:
                parents = tuple(class_parents.get(index, ()))
                categories = _dedupe(c for parent in parents for c in self.node(parent).categories)
                self._nodes[name] = LabelNode(name, parents, categories, ())
        for node in self._nodes.values():
            for parent in node.parents:
                if parent not in self._nodes:
                    raise ValueError(f"label {node.name!r} names an unknown parent {parent!r}")

    def node(self, name: str) -> LabelNode:
        return self._nodes[name]

    def __contains__(self, name: object) -> bool:
        return name in self._nodes

    @cache  # noqa: B019 - the taxonomy is built once per process and never freed
    def ancestors(self, name: str) -> tuple[str, ...]:
        """All labels above `name`, nearest first, each once."""
        found: list[str] = []
        frontier = list(self.node(name).parents)
        while frontier:
            parent = frontier.pop(0)
            if parent not in found:
                found.append(parent)
                frontier.extend(self.node(parent).parents)
        return tuple(found)

    def label(self, name: str, confidence: float, instances: list[Json] | None = None) -> Json:
        """One Rekognition `Label`; `confidence` in percent."""
        node = self.node(name)
        categories = node.categories or _dedupe(
            c for ancestor in self.ancestors(name) for c in self.node(ancestor).categories
        )
        return {
            "Name": name,
            "Confidence": round(min(100.0, confidence), 3),
            "Instances": instances or [],
            "Parents": [{"Name": parent} for parent in self.ancestors(name)],
            "Aliases": [{"Name": alias} for alias in node.aliases],
            "Categories": [{"Name": category} for category in categories[:1]],
        }

    def labels_from_classes(self, probabilities: Mapping[int, float], floor: float = 0.005) -> list[Json]:
        """Labels for classifier output (class index → probability 0..1), parents aggregated, best first."""
        mass: dict[str, float] = {}
        for index, probability in probabilities.items():
            name = self.class_names[index]
            for label_name in (name, *self.ancestors(name)):
                mass[label_name] = mass.get(label_name, 0.0) + probability
        labels = [self.label(name, 100.0 * total) for name, total in mass.items() if total >= floor]
        return sort_labels(labels)


def sort_labels(labels: Iterable[Json]) -> list[Json]:
    return sorted(labels, key=lambda label: (-label["Confidence"], label["Name"]))


def merge_labels(*groups: Iterable[Json]) -> list[Json]:
    """Union of label lists; a name found twice keeps its most confident entry."""
    best: dict[str, Json] = {}
    for group in groups:
        for label in group:
            current = best.get(label["Name"])
            if current is None or label["Confidence"] > current["Confidence"]:
                best[label["Name"]] = label
    return sort_labels(best.values())


@cache
def load_taxonomy() -> Taxonomy:
    text = resources.files(__package__).joinpath("label_taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy(json.loads(text))


def _expand_range(key: str) -> range:
    first, _, last = key.partition("-")
    return range(int(first), int(last or first) + 1)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
