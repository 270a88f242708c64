"""Synthetic aftersales conversations between a buyer and a store chatbot, for the demo project.

Every conversation carries the answers an annotator is asked for (scenario, resolved,
hallucination), and the bot replies are written to agree with them, so the demo's gold
tasks and the simulated annotators have something real to be right or wrong about.

Everything is drawn from the caller's random.Random: the same seed gives the same
conversations, which keeps `manage.py demo --seed N` reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TypeVar

from projects.demo.facts import bot_text_slots, build_facts, buyer_text_slots
from projects.demo.text_bank import (
    CHINESE,
    CHINESE_CONTACTS,
    CHINESE_PRODUCTS,
    ENGLISH,
    ENGLISH_CONTACTS,
    ENGLISH_PRODUCTS,
    HALLUCINATION_KINDS,
    MIXED_GIVE_PHOTO,
    MIXED_IMPATIENT,
    MIXED_OPENINGS,
    MIXED_ORDER_NOTES,
    MIXED_PRODUCTS,
    MIXED_REACTIONS,
    PHOTO_SCENARIOS,
    SCENARIO_KINDS,
    Bank,
)

SCENARIOS: tuple[str, ...] = (
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
SCENARIO_TITLES: dict[str, tuple[str, str]] = {
    "refund": ("Refund", "退款"),
    "return": ("Return", "退货"),
    "not_received": ("Not received", "未收到货"),
    "damaged": ("Damaged", "商品损坏"),
    "wrong_item": ("Wrong item", "发错货"),
    "late_delivery": ("Late delivery", "物流延迟"),
    "missing_parts": ("Missing parts", "缺件"),
    "warranty_repair": ("Warranty repair", "保修维修"),
    "exchange_size": ("Exchange size", "换尺码"),
    "cancel_order": ("Cancel order", "取消订单"),
    "invoice_request": ("Invoice request", "开发票"),
    "price_adjustment": ("Price adjustment", "价保"),
}
RESOLVED_VALUES = ("yes", "partly", "no")
HALLUCINATION_VALUES = ("no", "yes")


@dataclass(frozen=True)
class Conversation:
    external_id: str
    language: str
    scenario: str
    resolved: str
    hallucination: str
    turns: list[dict[str, str]]


_LANGUAGES = ("en", "zh", "mixed")

# Real aftersales queues are dominated by money and parcels; paperwork is the long tail.
_SCENARIO_WEIGHTS = {
    "refund": 16,
    "return": 10,
    "not_received": 14,
    "damaged": 9,
    "wrong_item": 7,
    "late_delivery": 13,
    "missing_parts": 6,
    "warranty_repair": 6,
    "exchange_size": 7,
    "cancel_order": 7,
    "invoice_request": 2,
    "price_adjustment": 3,
}
_LANGUAGE_WEIGHTS = {"en": 45, "zh": 45, "mixed": 10}
_RESOLVED_WEIGHTS = {"yes": 55, "partly": 25, "no": 20}
_HALLUCINATION_RATE = 0.15
# A few pasted contacts give the privacy redaction something to find; more would make the demo look careless.
_CONTACT_RATE = 0.05
_TYPO_RATE = 0.1
_TURN_COUNT_WEIGHTS = {2: 10, 3: 12, 4: 22, 5: 16, 6: 18, 7: 10, 8: 12}


_Choice = TypeVar("_Choice")


def _cumulative(weights: dict[_Choice, int]) -> tuple[tuple[_Choice, ...], tuple[int, ...]]:
    # random.choices with precomputed cumulative weights skips re-summing on every draw.
    total = 0
    cumulative = []
    for weight in weights.values():
        total += weight
        cumulative.append(total)
    return tuple(weights), tuple(cumulative)


def _draw(rng: random.Random, draw: tuple[tuple[_Choice, ...], tuple[int, ...]]) -> _Choice:
    values, cumulative = draw
    return rng.choices(values, cum_weights=cumulative)[0]


_SCENARIO_DRAW = _cumulative(_SCENARIO_WEIGHTS)
_LANGUAGE_DRAW = _cumulative(_LANGUAGE_WEIGHTS)
_RESOLVED_DRAW = _cumulative(_RESOLVED_WEIGHTS)
_TURN_COUNT_DRAW = _cumulative(_TURN_COUNT_WEIGHTS)


def _resolution_pools(bank: Bank) -> dict[tuple[str, str], tuple[str, ...]]:
    pools = {}
    for scenario in SCENARIOS:
        pools[scenario, "yes"] = bank.resolved_yes[scenario]
        pools[scenario, "partly"] = bank.resolved_partly[scenario] * 2 + bank.partly_generic
        pools[scenario, "no"] = bank.resolved_no[scenario] * 2 + bank.no_generic
    return pools


_RESOLUTION_POOLS = {"en": _resolution_pools(ENGLISH), "zh": _resolution_pools(CHINESE)}


def _products_by_scenario(catalog: tuple[tuple[str, int, int, str], ...]) -> dict[str, tuple]:
    products = {}
    for scenario in SCENARIOS:
        kinds = SCENARIO_KINDS.get(scenario)
        products[scenario] = tuple(item for item in catalog if kinds is None or item[3] in kinds)
    return products


_PRODUCTS = {
    "en": _products_by_scenario(ENGLISH_PRODUCTS),
    "zh": _products_by_scenario(CHINESE_PRODUCTS),
    "mixed": _products_by_scenario(MIXED_PRODUCTS),
}


# ---------------------------------------------------------------------------
# Assembly.


def _with_typo(rng: random.Random, text: str) -> str:
    words = text.split(" ")
    # Lowercase words only: a slip inside "Order" or a brand name reads as a generator bug, not a human.
    candidates = [
        position for position, word in enumerate(words) if len(word) > 4 and word.isalpha() and word.islower()
    ]
    if not candidates:
        return text
    position = rng.choice(candidates)
    word = words[position]
    cut = rng.randrange(1, len(word) - 2)
    if rng.random() < 0.5:
        words[position] = word[:cut] + word[cut + 1] + word[cut] + word[cut + 2 :]
    else:
        words[position] = word[:cut] + word[cut + 1 :]
    return " ".join(words)


def _opening(rng: random.Random, language: str, scenario: str, bank: Bank) -> str:
    if language == "mixed" and rng.random() < 0.6:
        template = rng.choice(MIXED_OPENINGS[scenario])
    else:
        template = rng.choice(bank.openings[scenario])
    text = template
    if rng.random() < 0.45 and not text.startswith(bank.greeted_starts):
        greeting = rng.choice(bank.greetings)
        if greeting.endswith((". ", "? ", "! ")):
            text = text[0].upper() + text[1:]
        elif text[:2].istitle() and not text.startswith(("I ", "I'")):
            # "Hi, the box..." rather than "Hi, The box..."; shouted openings keep their capitals.
            text = text[0].lower() + text[1:]
        text = greeting + text
    if rng.random() < 0.2:
        text = _join(bank, text, rng.choice(bank.endings))
    return text


def _join(bank: Bank, first: str, second: str) -> str:
    """Two sentences as one message, punctuated the way the language expects."""
    if bank.sentence_joiner:
        # A trailing "}" is a placeholder such as {order}, which also wants a full stop after it.
        if first[-1].isalnum() or first[-1] == "}":
            first += "."
        return f"{first}{bank.sentence_joiner}{second}"
    if first[-1] not in "。！？!?~，":
        return f"{first}，{second}"
    return first + second


def _middle_steps(rng: random.Random, scenario: str, step_count: int, order_in_opening: bool) -> list[str]:
    candidates = []
    if not order_in_opening:
        candidates.append("ask_order")
    if scenario in PHOTO_SCENARIOS:
        candidates.append("photo")
    if scenario in ENGLISH.details:
        candidates.append("detail")
    candidates.append("checking")
    if step_count <= len(candidates):
        chosen = sorted(rng.sample(range(len(candidates)), step_count))
        return [candidates[position] for position in chosen]
    return candidates + ["wait"] * (step_count - len(candidates))


@dataclass(frozen=True)
class _Parties:
    """Who talks: the buyer's language and text bank, and the bot's."""

    language: str
    buyer: Bank
    bot_language: str
    bot: Bank


@dataclass
class _Script:
    """A conversation being written: the buyer's turns, the bot's reply templates, where the bot looks things up."""

    buyer_turns: list[str]
    bot_templates: list[str] = field(default_factory=list)
    lookup_positions: list[int] = field(default_factory=list)


def generate_conversation(rng: random.Random, index: int, language: str | None = None) -> Conversation:
    """One conversation whose bot replies agree with its scenario, resolved and hallucination labels."""
    if language is None:
        language = _draw(rng, _LANGUAGE_DRAW)
    elif language not in _LANGUAGES:
        raise ValueError(f"language must be one of {_LANGUAGES}, not {language!r}")
    scenario = _draw(rng, _SCENARIO_DRAW)
    resolved = _draw(rng, _RESOLVED_DRAW)
    hallucination = "yes" if rng.random() < _HALLUCINATION_RATE else "no"
    # A mixed buyer is talking to a cross-border store whose bot answers in English.
    bot_language = "zh" if language == "zh" else "en"
    parties = _Parties(
        language, ENGLISH if language == "en" else CHINESE, bot_language, CHINESE if bot_language == "zh" else ENGLISH
    )
    facts = build_facts(rng, language, _PRODUCTS[language][scenario])
    buyer_slots = buyer_text_slots(facts, language)

    step_count, tail = _turn_shape(rng)
    script, steps, order_known = _start(rng, parties, scenario, step_count, buyer_slots)
    _middle(rng, script, parties, steps, scenario, resolved, order_known, buyer_slots)
    _ending(rng, script, parties, scenario, resolved, tail)
    if hallucination == "yes":
        _slip_in_claim(rng, script, parties.bot, scenario, answer_position=len(steps))
    _buyer_noise(rng, script, parties)

    bot_slots = bot_text_slots(facts, buyer_slots, bot_language, " ".join(script.buyer_turns))
    turns: list[dict[str, str]] = []
    for position, buyer_text in enumerate(script.buyer_turns):
        turns.append({"author": "buyer", "text": buyer_text})
        if position < len(script.bot_templates):
            turns.append({"author": "bot", "text": script.bot_templates[position].format_map(bot_slots)})
    return Conversation(
        external_id=f"conv-{index:06d}",
        language=language,
        scenario=scenario,
        resolved=resolved,
        hallucination=hallucination,
        turns=turns,
    )


def _turn_shape(rng: random.Random) -> tuple[int, int]:
    """How many buyer-bot exchanges the middle has, and the tail after the answer (0, a reaction, or both)."""
    turn_count = _draw(rng, _TURN_COUNT_DRAW)
    if turn_count % 2:
        tail = 1
    elif turn_count >= 4 and rng.random() < 0.35:
        tail = 2
    else:
        tail = 0
    return (turn_count - 2 - tail) // 2, tail


def _start(
    rng: random.Random, parties: _Parties, scenario: str, step_count: int, buyer_slots: dict[str, str]
) -> tuple[_Script, list[str], bool]:
    """The buyer's opening, the steps of the middle, and whether the bot knows the order number yet."""
    opening_template = _opening(rng, parties.language, scenario, parties.buyer)
    order_in_opening = "{order}" in opening_template
    steps = _middle_steps(rng, scenario, step_count, order_in_opening)
    if not order_in_opening and "ask_order" not in steps:
        # The resolution names the order, so the buyer must have given it somewhere.
        opening_template = _join(parties.buyer, opening_template, rng.choice(parties.buyer.order_suffixes))
    if parties.language == "mixed" and rng.random() < 0.3:
        opening_template = _join(parties.buyer, opening_template, rng.choice(MIXED_ORDER_NOTES))
    script = _Script(buyer_turns=[opening_template.format_map(buyer_slots)])
    return script, steps, order_in_opening or "ask_order" not in steps


def _middle(
    rng: random.Random,
    script: _Script,
    parties: _Parties,
    steps: list[str],
    scenario: str,
    resolved: str,
    order_known: bool,
    buyer_slots: dict[str, str],
) -> None:
    """One bot question or holding reply and the buyer's answer per step."""
    for position, step in enumerate(steps):
        if step == "checking" and resolved == "no" and order_known and rng.random() < 0.5:
            step = "ask_order_again"
        if step in ("checking", "wait"):
            script.lookup_positions.append(position)
        bot_template, buyer_turn = _exchange(rng, step, parties, scenario, buyer_slots)
        script.bot_templates.append(bot_template)
        script.buyer_turns.append(buyer_turn)
        if step == "ask_order":
            order_known = True


def _exchange(
    rng: random.Random, step: str, parties: _Parties, scenario: str, buyer_slots: dict[str, str]
) -> tuple[str, str]:
    """The bot's template and the buyer's reply for one step, drawn in that order."""
    language, buyer, bot = parties.language, parties.buyer, parties.bot
    if step == "ask_order":
        return rng.choice(bot.ask_order), rng.choice(buyer.give_order).format_map(buyer_slots)
    if step == "ask_order_again":
        # A bot that forgets the order number it was just given is the classic unresolved loop.
        return rng.choice(bot.ask_order), rng.choice(buyer.give_order_again).format_map(buyer_slots)
    if step == "photo":
        bot_template = rng.choice(bot.ask_photo)
        photo_pool = MIXED_GIVE_PHOTO if language == "mixed" and rng.random() < 0.5 else buyer.give_photo
        return bot_template, rng.choice(photo_pool)
    if step == "detail":
        bot_template = rng.choice(bot.details[scenario][0])
        return bot_template, rng.choice(buyer.details[scenario][1]).format_map(buyer_slots)
    bot_template = rng.choice(bot.checking if step == "checking" else bot.still_checking)
    impatient_pool = MIXED_IMPATIENT if language == "mixed" and rng.random() < 0.5 else buyer.impatient
    return bot_template, rng.choice(impatient_pool)


def _ending(rng: random.Random, script: _Script, parties: _Parties, scenario: str, resolved: str, tail: int) -> None:
    """The bot's answer, then the buyer's reaction and the bot's closing when the tail has them."""
    script.bot_templates.append(rng.choice(_RESOLUTION_POOLS[parties.bot_language][scenario, resolved]))
    if tail:
        reaction_pool = parties.buyer.reactions[resolved]
        if parties.language == "mixed" and rng.random() < 0.5:
            reaction_pool = MIXED_REACTIONS[resolved]
        script.buyer_turns.append(rng.choice(reaction_pool))
    if tail == 2:
        script.bot_templates.append(rng.choice(parties.bot.closings[resolved]))


def _slip_in_claim(rng: random.Random, script: _Script, bot: Bank, scenario: str, *, answer_position: int) -> None:
    """A made-up claim in a bot reply: mostly in the answer itself, sometimes in an earlier "let me check"."""
    claim = rng.choice(bot.hallucinations[rng.choice(HALLUCINATION_KINDS[scenario])])
    position = answer_position
    if script.lookup_positions and rng.random() < 0.25:
        position = rng.choice(script.lookup_positions)
    script.bot_templates[position] = _join(bot, script.bot_templates[position], claim)


def _buyer_noise(rng: random.Random, script: _Script, parties: _Parties) -> None:
    """What real buyers add: now and then a pasted contact, and typos in English."""
    buyer_turns = script.buyer_turns
    if rng.random() < _CONTACT_RATE:
        position = rng.randrange(len(buyer_turns))
        contact_pool = ENGLISH_CONTACTS if parties.language == "en" else CHINESE_CONTACTS
        buyer_turns[position] = _join(parties.buyer, buyer_turns[position], rng.choice(contact_pool))
    if parties.language == "en":
        script.buyer_turns = [_with_typo(rng, text) if rng.random() < _TYPO_RATE else text for text in buyer_turns]


def generate_conversations(rng: random.Random, count: int, start_index: int = 1) -> list[Conversation]:
    """count conversations numbered from start_index, drawing language, scenario and labels from rng."""
    return [generate_conversation(rng, start_index + offset) for offset in range(count)]
