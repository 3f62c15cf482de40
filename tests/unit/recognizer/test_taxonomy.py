from __future__ import annotations

import pytest

from local_stack.recognizer.taxonomy import Taxonomy, load_taxonomy, merge_labels


def test_the_mapping_covers_the_1000_imagenet_classes_in_order() -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy.class_names) == 1000
    # Spot checks against the ImageNet-1k order, so an off-by-one in the data cannot pass.
    assert taxonomy.class_names[0] == "Tench"
    assert taxonomy.class_names[281] == "Tabby Cat"
    assert taxonomy.class_names[967] == "Espresso"
    assert taxonomy.class_names[999] == "Toilet Paper"


@pytest.mark.parametrize(("index", "parent"), [(281, "Cat"), (207, "Dog"), (967, "Coffee"), (817, "Car")])
def test_classes_get_their_rekognition_style_parents(index: int, parent: str) -> None:
    taxonomy = load_taxonomy()
    assert parent in taxonomy.ancestors(taxonomy.class_names[index])


def test_a_cat_label_has_animal_among_its_parents() -> None:
    labels = {label["Name"]: label for label in load_taxonomy().labels_from_classes({281: 0.6, 285: 0.3})}
    assert {"Name": "Animal"} in labels["Cat"]["Parents"]
    assert labels["Cat"]["Categories"] == [{"Name": "Animals and Pets"}]


def test_a_parent_aggregates_the_probability_of_its_children() -> None:
    labels = {label["Name"]: label for label in load_taxonomy().labels_from_classes({281: 0.5, 283: 0.25, 967: 0.1})}
    assert labels["Cat"]["Confidence"] == pytest.approx(75.0)
    assert labels["Animal"]["Confidence"] == pytest.approx(75.0)
    assert labels["Tabby Cat"]["Confidence"] == pytest.approx(50.0)
    assert labels["Beverage"]["Confidence"] == pytest.approx(10.0)


def test_unknown_parents_are_rejected() -> None:
    document = {"classes": ["thing"], "class_parents": {"0": ["Nowhere"]}, "labels": {}}
    with pytest.raises(KeyError):
        Taxonomy(document)


def test_merge_keeps_the_most_confident_duplicate_and_sorts() -> None:
    taxonomy = load_taxonomy()
    merged = merge_labels(
        [taxonomy.label("Person", 40.0)], [taxonomy.label("Person", 90.0), taxonomy.label("Text", 60.0)]
    )
    assert [(label["Name"], label["Confidence"]) for label in merged] == [("Person", 90.0), ("Text", 60.0)]
