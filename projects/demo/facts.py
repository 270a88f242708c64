"""The facts of one demo conversation, and the placeholders they fill in the buyer's and the bot's language.

`build_facts` draws the product, price, order number, dates, courier and the rest from the caller's random.Random;
`buyer_text_slots` writes them the way the buyer does, `bot_text_slots` the way the bot may (only what the buyer said).
"""

from __future__ import annotations

import datetime as dt
import random

from projects.demo.text_bank import (
    CHINESE_COMPANIES,
    CHINESE_COURIERS,
    CHINESE_PARTS,
    CHINESE_SIZES,
    ENGLISH_COMPANIES,
    ENGLISH_COURIERS,
    ENGLISH_PARTS,
    ENGLISH_SIZES,
    FIRST_ORDER_DATE,
    MONTHS,
    TRACKING_PREFIXES,
)


def english_date(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}"


def chinese_date(day: dt.date) -> str:
    return f"{day.month}月{day.day}日"


def money(value: float, in_yuan: bool, yuan_style: int) -> str:
    if not in_yuan:
        return f"${value:,.2f}"
    whole = round(value)
    return f"¥{whole}" if yuan_style == 0 else f"{whole}元"


def build_facts(
    rng: random.Random, language: str, products: tuple[tuple[str, int, int, str], ...]
) -> dict[str, str | dt.date | float | bool]:
    """The facts of one conversation (product, price, order, dates, courier, ...), the product one of `products`."""
    name, low, high, kind = rng.choice(products)
    in_yuan = language == "zh"
    if in_yuan:
        # Chinese shops price at ...9 yuan; US shops at ...99 cents.
        price = float(rng.randint(low // 10 + 1, high // 10 + 1) * 10 - 1)
    else:
        price = rng.randint(low, high) + rng.choice((0.99, 0.99, 0.95, 0.0, 0.49))
    difference = round(price * rng.uniform(0.1, 0.3), 0 if in_yuan else 2)
    order_date = FIRST_ORDER_DATE + dt.timedelta(days=rng.randint(0, 320))
    chinese_sizes = language == "zh"
    sizes = (CHINESE_SIZES if chinese_sizes else ENGLISH_SIZES).get(kind)
    size = new_size = ""
    if sizes:
        position = rng.randrange(len(sizes) - 1)
        # Most exchanges go one size up or down; the "too small" templates would be odd otherwise.
        size, new_size = sizes[position], sizes[position + 1]
        if rng.random() < 0.3:
            size, new_size = new_size, size
    parts = (CHINESE_PARTS if language == "zh" else ENGLISH_PARTS).get(kind, ("",))
    couriers = CHINESE_COURIERS if language == "zh" else ENGLISH_COURIERS
    courier = rng.choice(couriers)
    other_courier = rng.choice([item for item in couriers if item != courier])
    if language == "zh":
        order = f"E{order_date.year}{order_date.month:02d}{order_date.day:02d}{rng.randint(1000, 9999)}"
        other_order = f"E{order_date.year}{order_date.month:02d}{order_date.day:02d}{rng.randint(1000, 9999)}"
    else:
        order = f"SO-{order_date.year}-{rng.randint(100000, 999999)}"
        other_order = f"SO-{order_date.year}-{rng.randint(100000, 999999)}"
    company_pool = CHINESE_COMPANIES if language == "zh" else ENGLISH_COMPANIES
    return {
        "product": name,
        "in_yuan": in_yuan,
        "yuan_style": rng.randrange(2),
        "price": price,
        "difference": difference,
        "partial": round(price * rng.choice((0.1, 0.15, 0.2, 0.3)), 0 if in_yuan else 2),
        "coupon": rng.choice((20, 30, 50, 100)) if in_yuan else rng.choice((10, 15, 20, 25)),
        "order_date": order_date,
        "expected_date": order_date + dt.timedelta(days=rng.randint(3, 7)),
        # Claimed by a hallucinating bot; before the expected date so it cannot be true.
        "other_date": order_date + dt.timedelta(days=rng.randint(1, 2)),
        "days": str(rng.randint(3, 15)),
        "months": str(rng.randint(2, 14)),
        "hours": str(rng.randint(1, 12)),
        "courier": courier,
        "other_courier": other_courier,
        "size": size,
        "new_size": new_size,
        "part": rng.choice(parts),
        "order": order,
        "other_order": other_order,
        "fake_tracking": f"{TRACKING_PREFIXES[other_courier]}{rng.randrange(10**12):012d}",
        "company": rng.choice(company_pool),
        "tax_id": f"91{rng.randrange(10**6):06d}MA{rng.randrange(10**6):06d}XX",
    }


def buyer_text_slots(facts: dict, language: str) -> dict[str, str]:
    """The placeholders of buyer text, the facts written the way the buyer writes them."""
    in_yuan = facts["in_yuan"]
    yuan_style = facts["yuan_style"]
    date_format = english_date if language == "en" else chinese_date
    price = facts["price"]
    return {
        "product": facts["product"],
        "order": facts["order"],
        "amount": money(price, in_yuan, yuan_style),
        "sale_price": money(price - facts["difference"], in_yuan, yuan_style),
        "difference": money(facts["difference"], in_yuan, yuan_style),
        "order_date": date_format(facts["order_date"]),
        "expected_date": date_format(facts["expected_date"]),
        "days": facts["days"],
        "months": facts["months"],
        "hours": facts["hours"],
        "courier": facts["courier"],
        "size": facts["size"],
        "new_size": facts["new_size"],
        "part": facts["part"],
        "company": facts["company"],
        "tax_id": facts["tax_id"],
    }


def bot_text_slots(facts: dict, buyer_slots: dict[str, str], bot_language: str, said: str) -> dict[str, str]:
    """Slots for bot text; a fact the buyer never wrote becomes a neutral word."""
    english = bot_language == "en"

    def grounded(key: str, fallback: str, prefix: str = "") -> str:
        value = buyer_slots[key]
        return f"{prefix}{value}" if value and value in said else fallback

    in_yuan = facts["in_yuan"]
    yuan_style = facts["yuan_style"]
    other_date = facts["other_date"]
    slots = dict(buyer_slots)
    slots.update(
        product_ref=grounded("product", "item" if english else "商品"),
        amount_ref=grounded("amount", "", " of " if english else ""),
        difference_ref=grounded("difference", "", " of " if english else ""),
        courier_ref=grounded("courier", "the carrier" if english else "快递"),
        part_ref=grounded("part", "parts" if english else "配件"),
        new_size_ref=grounded("new_size", "the new size" if english else "新尺码", "size " if english else ""),
        partial_ref=(" of " if english else "") + money(facts["partial"], in_yuan, yuan_style),
        coupon=money(facts["coupon"], in_yuan, yuan_style).replace(".00", ""),
        other_order=facts["other_order"],
        other_courier=facts["other_courier"],
        other_date=english_date(other_date) if english else chinese_date(other_date),
        fake_tracking=facts["fake_tracking"],
    )
    return slots
