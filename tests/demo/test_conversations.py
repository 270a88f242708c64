"""The demo's synthetic conversations: reproducible, believable, and labelled the way the bot behaves."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from projects.demo.conversations import (
    HALLUCINATION_VALUES,
    RESOLVED_VALUES,
    SCENARIO_TITLES,
    SCENARIOS,
    Conversation,
    generate_conversation,
    generate_conversations,
)

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Written out here rather than imported: the test states what a made-up claim looks like to a reader.
HALLUCINATION_MARKERS = (
    "90-day",
    "according to our system",
    "tracking number is",
    "coupon",
    "locker",
    "signed for",
    "lifetime warranty",
    "180天",
    "系统显示",
    "运单号",
    "优惠券",
    "快递柜",
    "签收",
    "终身",
)
CONTACT = re.compile(r"@example\.|\b555-01\d\d\b|\(555\) 010-\d{4}|(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
ORDER_NUMBER = re.compile(r"SO-2026-\d{6}|E2026\d{8}")


@pytest.fixture(scope="module")
def conversations() -> list[Conversation]:
    return generate_conversations(random.Random(2026), 2000)


def bot_text(conversation: Conversation) -> str:
    return " ".join(turn["text"] for turn in conversation.turns if turn["author"] == "bot").lower()


def all_text(conversation: Conversation) -> str:
    return " ".join(turn["text"] for turn in conversation.turns)


def test_public_constants():
    assert SCENARIOS == (
        "refund",
        "return",
        "not_received",
        "damaged",
        "wrong_item",
        "late_delivery",
        "missing_parts",
        "warranty_repair",
        "exchange_size",
        "cancel_order",
        "invoice_request",
        "price_adjustment",
    )
    assert set(SCENARIO_TITLES) == set(SCENARIOS)
    assert SCENARIO_TITLES["refund"] == ("Refund", "退款")
    assert all(HAN.search(chinese) and not HAN.search(english) for english, chinese in SCENARIO_TITLES.values())
    assert RESOLVED_VALUES == ("yes", "partly", "no")
    assert HALLUCINATION_VALUES == ("no", "yes")


def test_same_seed_gives_identical_conversations():
    first = generate_conversations(random.Random(42), 300)
    second = generate_conversations(random.Random(42), 300)
    assert first == second


def test_different_seeds_differ():
    first = generate_conversations(random.Random(1), 50)
    second = generate_conversations(random.Random(2), 50)
    assert [item.turns for item in first] != [item.turns for item in second]
    assert sum(a.turns[0] == b.turns[0] for a, b in zip(first, second, strict=True)) < 5


def test_external_ids_follow_the_running_index():
    items = generate_conversations(random.Random(3), 3, start_index=121)
    assert [item.external_id for item in items] == ["conv-000121", "conv-000122", "conv-000123"]
    assert generate_conversation(random.Random(3), 7).external_id == "conv-000007"


def test_language_can_be_forced_and_is_checked():
    rng = random.Random(5)
    assert {generate_conversation(rng, index, "zh").language for index in range(30)} == {"zh"}
    with pytest.raises(ValueError):
        generate_conversation(rng, 1, "fr")


def test_every_scenario_appears_in_both_languages(conversations):
    for language in ("en", "zh"):
        seen = {item.scenario for item in conversations if item.language == language}
        assert seen == set(SCENARIOS), language


def test_label_and_language_distributions(conversations):
    total = len(conversations)
    languages = Counter(item.language for item in conversations)
    assert 0.40 < languages["en"] / total < 0.50
    assert 0.40 < languages["zh"] / total < 0.50
    assert 0.06 < languages["mixed"] / total < 0.14

    resolved = Counter(item.resolved for item in conversations)
    assert 0.48 < resolved["yes"] / total < 0.62
    assert 0.19 < resolved["partly"] / total < 0.31
    assert 0.14 < resolved["no"] / total < 0.26

    hallucinating = sum(item.hallucination == "yes" for item in conversations)
    assert 0.11 < hallucinating / total < 0.19
    assert {item.hallucination for item in conversations} == set(HALLUCINATION_VALUES)

    scenarios = Counter(item.scenario for item in conversations)
    common = ("refund", "not_received", "late_delivery")
    rare = ("invoice_request", "price_adjustment")
    assert min(scenarios[name] for name in common) > 2 * max(scenarios[name] for name in rare)
    assert min(scenarios[name] for name in common) > total / len(SCENARIOS)


def test_turns_alternate_starting_with_the_buyer(conversations):
    lengths = Counter()
    for item in conversations:
        assert 2 <= len(item.turns) <= 8
        lengths[len(item.turns)] += 1
        for position, turn in enumerate(item.turns):
            assert set(turn) == {"author", "text"}
            assert turn["author"] == ("buyer" if position % 2 == 0 else "bot")
            assert turn["text"].strip()
            assert not PLACEHOLDER.search(turn["text"]), turn["text"]
    assert set(lengths) == set(range(2, 9))


def test_scripts_match_the_language(conversations):
    for item in conversations:
        text = all_text(item)
        if item.language == "en":
            assert not HAN.search(text), text
        elif item.language == "zh":
            assert HAN.search(text), text
            assert all(HAN.search(turn["text"]) or turn["text"][0] in "E[" for turn in item.turns), text
        else:
            assert HAN.search(text), text
            assert LATIN_WORD.search(text), text


def test_order_numbers_are_fake_formats(conversations):
    for item in conversations:
        text = all_text(item)
        if item.language == "zh":
            # Lookarounds, not \b: Han characters count as word characters.
            assert re.search(r"(?<![A-Za-z0-9])E2026\d{8}(?!\d)", text), text
        else:
            assert re.search(r"(?<![A-Za-z0-9])SO-2026-\d{6}(?!\d)", text), text


@pytest.mark.parametrize("language", ["en", "zh"])
def test_first_buyer_turns_are_diverse(language):
    rng = random.Random(99)
    openings = {generate_conversation(rng, index, language).turns[0]["text"] for index in range(500)}
    assert len(openings) > 200


def test_hallucination_label_matches_made_up_claims(conversations):
    for item in conversations:
        text = bot_text(item)
        has_marker = any(marker in text for marker in HALLUCINATION_MARKERS)
        assert has_marker == (item.hallucination == "yes"), (item.hallucination, text)


def test_grounded_bots_only_quote_order_numbers_the_buyer_gave(conversations):
    made_up_orders = 0
    for item in conversations:
        buyer = " ".join(turn["text"] for turn in item.turns if turn["author"] == "buyer")
        quoted = set(ORDER_NUMBER.findall(bot_text(item).upper()))
        if item.hallucination == "no":
            assert quoted <= set(ORDER_NUMBER.findall(buyer)), item.turns
        else:
            # A hallucinated order status names an order this buyer never mentioned.
            made_up_orders += bool(quoted - set(ORDER_NUMBER.findall(buyer)))
    assert made_up_orders > 0


def test_unresolved_conversations_never_claim_a_fix(conversations):
    fixes = ("i've issued", "i've shipped", "refund has been processed", "已经为您办理", "已为您取消订单")
    for item in conversations:
        text = bot_text(item)
        if item.resolved == "no":
            assert not any(fix in text for fix in fixes), text


def test_a_few_conversations_carry_a_fake_contact(conversations):
    with_contact = [item for item in conversations if CONTACT.search(all_text(item))]
    assert 0.02 < len(with_contact) / len(conversations) < 0.09
    for item in with_contact:
        assert not any(CONTACT.search(turn["text"]) for turn in item.turns if turn["author"] == "bot")
