"""A dataset version's bytes, hash, splits and diffs: same labels, same hash; any change, another hash."""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from collections import Counter

import pytest

from projects.datasets.canonical import (
    ContentHasher,
    Relabel,
    canonical_bytes,
    canonical_json,
    content_hash,
    diff_versions,
    split_for,
    stream_content_hash,
)

SCENARIOS = ("refund", "exchange", "repair", "complaint")


def dataset_items(count: int = 200, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [
        {
            "external_id": f"conv-{index:06d}",
            "label": {"scenario": rng.choice(SCENARIOS), "hallucination": rng.choice(("yes", "no"))},
            "provenance": {"source": rng.choice(("qa_correction", "adjudication", "aggregate")), "confidence": 0.93},
            "language": rng.choice(("en", "zh")),
        }
        for index in range(count)
    ]


def test_building_twice_from_the_same_labels_gives_the_same_hash():
    assert content_hash(dataset_items()) == content_hash(dataset_items())


def test_same_items_in_any_order_give_the_same_bytes_and_hash():
    items = dataset_items()
    shuffled = list(items)
    random.Random(1).shuffle(shuffled)
    assert canonical_bytes(shuffled) == canonical_bytes(items)
    assert content_hash(shuffled) == content_hash(items)


def test_key_order_inside_an_item_does_not_matter():
    item = {"external_id": "a", "label": {"scenario": "refund", "hallucination": "no"}, "language": "en"}
    reordered = {"language": "en", "label": {"hallucination": "no", "scenario": "refund"}, "external_id": "a"}
    assert content_hash([item]) == content_hash([reordered])


@pytest.mark.parametrize("index", [0, 57, 199])
def test_any_change_of_one_label_gives_another_hash(index):
    items = dataset_items()
    original = content_hash(items)
    for scenario in SCENARIOS:
        changed = json.loads(json.dumps(items))
        if changed[index]["label"]["scenario"] == scenario:
            continue
        changed[index]["label"]["scenario"] = scenario
        assert content_hash(changed) != original


def test_adding_removing_or_changing_provenance_gives_another_hash():
    items = dataset_items()
    original = content_hash(items)
    assert content_hash(items[:-1]) != original
    assert content_hash([*items, {"external_id": "conv-999999", "label": {"scenario": "refund"}}]) != original
    changed = json.loads(json.dumps(items))
    changed[3]["provenance"]["source"] = "something else"
    assert content_hash(changed) != original


def test_hash_is_sha256_of_the_canonical_jsonl():
    items = dataset_items(5)
    data = canonical_bytes(items)
    assert content_hash(items) == hashlib.sha256(data).hexdigest()
    lines = data.decode("utf-8").splitlines()
    assert [json.loads(line)["external_id"] for line in lines] == [f"conv-{index:06d}" for index in range(5)]
    assert data.endswith(b"\n")


def test_canonical_json_has_sorted_keys_and_no_whitespace():
    assert canonical_json({"b": [1, 2], "a": {"y": None, "x": True}}) == '{"a":{"x":true,"y":null},"b":[1,2]}'


def test_mandarin_is_written_as_itself_in_utf8():
    line = canonical_bytes([{"external_id": "会话-1", "label": "退货退款"}])
    assert line == '{"external_id":"会话-1","label":"退货退款"}\n'.encode()


def test_unicode_is_nfc_normalised_in_values_keys_and_external_ids():
    composed = "café"  # é as one code point
    decomposed = unicodedata.normalize("NFD", composed)  # e + combining acute accent
    assert composed != decomposed
    nfc_item = {"external_id": f"id-{composed}", "label": composed, "notes": {composed: 1}}
    nfd_item = {"external_id": f"id-{decomposed}", "label": decomposed, "notes": {decomposed: 1}}
    assert canonical_bytes([nfc_item]) == canonical_bytes([nfd_item])
    assert content_hash([nfc_item]) == content_hash([nfd_item])


def test_full_width_and_half_width_stay_different_labels():
    # NFC, not NFKC: compatibility forms such as full-width letters are different text, so a different label.
    assert content_hash([{"external_id": "a", "label": "Ａ"}]) != content_hash([{"external_id": "a", "label": "A"}])


def test_numbers_are_written_by_value():
    assert canonical_json([1.0, -0.0, 2, 0.1, 1e-7, 123456789.5, 1e300]) == "[1,0,2,0.1,1e-07,123456789.5,1e+300]"
    assert content_hash([{"external_id": "a", "confidence": 1}]) == content_hash(
        [{"external_id": "a", "confidence": 1.0}]
    )
    assert content_hash([{"external_id": "a", "confidence": 0.1}]) != content_hash(
        [{"external_id": "a", "confidence": 0.1 + 1e-16 * 4}]
    )


def test_tuples_hash_like_lists():
    assert canonical_json({"spans": (0, 4, "claim")}) == canonical_json({"spans": [0, 4, "claim"]})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {1, 2}, b"bytes"])
def test_values_without_a_json_spelling_are_refused(value):
    with pytest.raises((TypeError, ValueError)):
        content_hash([{"external_id": "a", "label": value}])


def test_items_need_a_string_external_id_and_it_must_not_repeat():
    with pytest.raises(ValueError, match="external_id"):
        content_hash([{"label": "refund"}])
    with pytest.raises(ValueError, match="appears twice"):
        content_hash([{"external_id": "a", "label": "refund"}, {"external_id": "a", "label": "repair"}])


def test_streaming_hash_equals_the_whole_list_hash():
    items = dataset_items(1000)
    in_order = sorted(items, key=lambda item: item["external_id"])
    # A generator: the streaming hash never needs the list.
    assert stream_content_hash(item for item in in_order) == content_hash(items)


def test_streaming_hash_returns_the_lines_it_hashed():
    items = dataset_items(20)
    hasher = ContentHasher()
    lines = [hasher.add(item) for item in items]
    assert b"".join(lines) == canonical_bytes(items)
    assert hasher.hexdigest() == content_hash(items)
    assert hasher.items == 20


def test_streaming_hash_orders_by_code_point_not_by_language():
    # "Z" < "a" < "é" < "会" in code point (and UTF-8 byte) order, unlike en_US collation.
    ids = ["Z-1", "a-1", "é-1", "会话-1"]
    items = [{"external_id": external_id, "label": "refund"} for external_id in ids]
    assert stream_content_hash(items) == content_hash(list(reversed(items)))
    with pytest.raises(ValueError, match="code point order"):
        stream_content_hash([items[1], items[0]])


def test_streaming_hash_refuses_a_repeated_external_id():
    with pytest.raises(ValueError, match="appears twice"):
        stream_content_hash([{"external_id": "a"}, {"external_id": "a"}])


def test_content_hash_is_pinned():
    # Pinned: a change to the canonical form would change the hash of every version already published.
    items = [
        {"external_id": "会话-1", "label": {"scenario": "退货", "hallucination": "no"}, "confidence": 0.93},
        {"external_id": "conv-1", "label": {"scenario": "refund", "hallucination": "yes"}, "confidence": 1.0},
    ]
    assert canonical_bytes(items).decode("utf-8") == (
        '{"confidence":1,"external_id":"conv-1","label":{"hallucination":"yes","scenario":"refund"}}\n'
        '{"confidence":0.93,"external_id":"会话-1","label":{"hallucination":"no","scenario":"退货"}}\n'
    )
    assert content_hash(items) == "b9f3731eff0171633dc67c0a77cb9089bbf208f5da59d81bd8f061db1737b547"


def test_empty_version_hashes_the_empty_string():
    assert content_hash([]) == hashlib.sha256(b"").hexdigest()


# -- splits --------------------------------------------------------------------------------------------

IDS = [f"conv-{index:06d}" for index in range(100_000)]


def test_split_is_deterministic_and_pinned_across_machines():
    # Pinned values: a change here would move items between the splits of versions already published.
    assert [split_for(f"conv-{index:06d}", seed_name="aftersales") for index in range(12)] == [
        "test", "train", "validation", "train", "train", "train", "train", "train", "train", "train", "train", "train",
    ]  # fmt: skip
    # The rule behind them, spelled out: the first 8 bytes of SHA-256 as a number in [0, 1) against 0.8 and 0.9.
    draw = int.from_bytes(hashlib.sha256(b"aftersales\x00conv-000002").digest()[:8], "big") / 2**64
    assert 0.8 <= draw < 0.9


def test_splits_are_close_to_the_ratios_on_100000_ids():
    counts = Counter(split_for(external_id, seed_name="aftersales") for external_id in IDS)
    # Binomial standard deviation at n = 100,000 is under 0.0013; allow about 4 of them.
    assert counts["train"] / len(IDS) == pytest.approx(0.8, abs=0.005)
    assert counts["validation"] / len(IDS) == pytest.approx(0.1, abs=0.005)
    assert counts["test"] / len(IDS) == pytest.approx(0.1, abs=0.005)


def test_other_ratios_are_followed():
    counts = Counter(split_for(external_id, seed_name="s", ratios=(0.6, 0.2, 0.2)) for external_id in IDS[:20_000])
    assert counts["train"] / 20_000 == pytest.approx(0.6, abs=0.015)
    assert counts["validation"] / 20_000 == pytest.approx(0.2, abs=0.015)
    assert {split_for(external_id, seed_name="s", ratios=(1, 0, 0)) for external_id in IDS[:500]} == {"train"}
    assert {split_for(external_id, seed_name="s", ratios=(0, 0, 1)) for external_id in IDS[:500]} == {"test"}


def test_seed_name_draws_another_split():
    first = [split_for(external_id, seed_name="v1") for external_id in IDS[:2000]]
    second = [split_for(external_id, seed_name="v2") for external_id in IDS[:2000]]
    assert first != second


def test_an_external_id_spelled_nfd_gets_the_split_of_its_nfc_spelling():
    assert split_for("café-1", seed_name="s") == split_for(unicodedata.normalize("NFD", "café-1"), seed_name="s")


@pytest.mark.parametrize("ratios", [(0.8, 0.1), (0.8, 0.1, 0.2), (1.2, -0.1, -0.1), (float("nan"), 0.5, 0.5)])
def test_bad_ratios_are_refused(ratios):
    with pytest.raises(ValueError, match="ratios"):
        split_for("a", seed_name="s", ratios=ratios)


# -- diffs ---------------------------------------------------------------------------------------------


def test_diff_lists_added_removed_and_relabeled():
    old = {"a": "refund", "b": "repair", "c": "exchange", "d": "complaint"}
    new = {"b": "repair", "c": "refund", "d": "complaint", "e": "refund", "f": "repair"}
    diff = diff_versions(old, new)
    assert diff.added == ("e", "f")
    assert diff.removed == ("a",)
    assert diff.relabeled == (Relabel("c", "exchange", "refund"),)
    assert diff.unchanged == 2


def test_diff_compares_labels_as_the_hash_does():
    old = {"a": {"scenario": "café", "hallucination": "no"}, "b": {"score": 1}}
    new = {
        "a": {"hallucination": "no", "scenario": unicodedata.normalize("NFD", "café")},
        "b": {"score": 1.0},
    }
    diff = diff_versions(old, new)
    assert diff.relabeled == ()
    assert diff.unchanged == 2


def test_diff_of_identical_versions_is_empty():
    labels = {item["external_id"]: item["label"] for item in dataset_items()}
    diff = diff_versions(labels, dict(labels))
    assert (diff.added, diff.removed, diff.relabeled, diff.unchanged) == ((), (), (), len(labels))
