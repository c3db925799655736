"""The seller's product names, read from catalogue titles, are masked as "item"."""

from __future__ import annotations

from bot.retrieval.items import ItemVocabulary

CATALOGUE = [
    "Stainless steel electric kettle, 1.7 L",
    "Cotton bath towels, set of 4",
    "Ceramic non-stick pan set, 3 pieces",
    "Oak knife block, 6 slots",
    "Chef's knife, 20 cm",
    "Slim straight stretch jeans, indigo, W31 L32",
]


def test_names_and_their_plurals_are_masked() -> None:
    items = ItemVocabulary(CATALOGUE)
    assert items.mask("status of my towels?") == "status of my item?"
    assert items.mask("is one towel missing") == "is one item missing"
    assert items.mask("both knives are blunt") == "both item are blunt"
    assert items.mask("my jeans shrank") == "my item shrank"


def test_describing_words_go_with_the_name_but_not_alone() -> None:
    items = ItemVocabulary(CATALOGUE)
    assert items.mask("the stainless steel Kettle leaks") == "the item leaks"
    assert items.mask("can the pan set come back?") == "can the item come back?"
    assert items.mask("my knife block") == "my item"
    # "set" and "steel" on their own are ordinary words, not products.
    assert items.mask("how do I set up my address") == "how do I set up my address"
    assert items.mask("is it steel or aluminium") == "is it steel or aluminium"


def test_without_a_catalogue_nothing_changes() -> None:
    empty = ItemVocabulary()
    assert not empty
    assert empty.mask("status of my towels?") == "status of my towels?"
    assert ItemVocabulary(["1.7 L, 20 cm"]).names == frozenset()
