"""PII redaction of task data: every planted contact, card and ID masked; ordinary numbers left alone."""

from __future__ import annotations

import copy

import pytest

from projects.ingest.redaction import (
    RedactionConfigError,
    RedactionReport,
    is_card_number,
    is_cn_id,
    parse_policy,
    redact_data,
    redact_text,
)
from tests.ingest.pii import (
    AMEX,
    BEIJING_ID,
    MASTERCARD,
    SHANGHAI_ID,
    SHENZHEN_ID,
    UNIONPAY_19,
    VISA,
    cn_id,
    cn_id_broken,
    luhn_broken,
    luhn_complete,
    spaced,
)

EVERY_KIND = parse_policy({})
WITH_ORDER_NUMBERS = parse_policy({"patterns": [{"name": "order_no", "regex": r"SO-\d{4}-\d{6}"}]})


def redacted(text: str, policy=EVERY_KIND) -> str:
    return redact_text(text, policy)[0]


def test_the_test_data_check_digits_follow_the_standards():
    # The worked examples of ISO/IEC 7812 test cards and of GB 11643-1999 itself.
    assert luhn_complete("411111111111111") == "4111111111111111"
    assert luhn_complete("37828224631000") == "378282246310005"
    assert cn_id("110105", "19491231", "002") == "11010519491231002X"


# -- e-mail ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi, my email is lena.w@example.com, please send the label there.",
         "Hi, my email is [EMAIL], please send the label there."),
        ("You can email me at j.morales+returns@mail.example.org.", "You can email me at [EMAIL]."),
        ("我的邮箱是xiaomei.test@example.com，发这里就行", "我的邮箱是[EMAIL]，发这里就行"),
        ("邮箱wang_demo@example.cn发我发票", "邮箱[EMAIL]发我发票"),
        ("(cc: a.b@sub.example.co.uk; c@example.io)", "(cc: [EMAIL]; [EMAIL])"),
    ],
)  # fmt: skip
def test_email_addresses_are_masked_in_english_and_mandarin(text, expected):
    assert redacted(text) == expected


def test_an_at_sign_that_is_no_address_is_left_alone():
    text = "2 items @ $45.99 each, ping me @lena on the app"
    assert redacted(text) == text


# -- phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call me on +44 20 7946 0958 after 6pm.", "Call me on [PHONE] after 6pm."),
        ("My number is +1 (415) 555-0134, thanks!", "My number is [PHONE], thanks!"),
        ("or the office: +49 30 901820", "or the office: [PHONE]"),
        ("US cell (415) 555-0134 or 415-555-0199", "US cell [PHONE] or [PHONE]"),
        ("call (415) 555-0134 today", "call [PHONE] today"),
        ("(212) 555-0175", "[PHONE]"),
        ("有问题打我电话13800138000", "有问题打我电话[PHONE]"),
        ("电话 138 0013 8000，快递员可以打这个", "电话 [PHONE]，快递员可以打这个"),
        ("联系方式：138-0013-8000", "联系方式：[PHONE]"),
        ("手机+8613912345678谢谢", "手机[PHONE]谢谢"),
        ("手机号(+86) 139-0000-0000，下单2件", "手机号[PHONE]，下单2件"),
        ("电话+86 150 1234 5678", "电话[PHONE]"),
        ("全角的手机号１８６１２３４５６７８", "全角的手机号[PHONE]"),
        ("座机021-68888888，白天有人", "座机[PHONE]，白天有人"),
        ("Reach me at +44 20 7946 0958 12 times a day if needed", "Reach me at [PHONE] 12 times a day if needed"),
    ],
)  # fmt: skip
def test_phone_numbers_are_masked_in_international_and_mainland_formats(text, expected):
    assert redacted(text) == expected


# -- payment cards --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card",
    [
        VISA,
        spaced(VISA, (4, 4, 4, 4)),
        spaced(MASTERCARD, (4, 4, 4, 4), "-"),
        spaced(AMEX, (4, 6, 5)),
        UNIONPAY_19,
        spaced(UNIONPAY_19, (4, 4, 4, 4, 3)),
    ],
)
def test_luhn_valid_card_numbers_are_masked_with_spaces_dashes_or_none(card):
    assert redacted(f"I paid with card {card} yesterday") == "I paid with card [CARD] yesterday"
    assert redacted(f"扣款的卡号是{card}，请退回原卡") == "扣款的卡号是[CARD]，请退回原卡"


@pytest.mark.parametrize(
    "number",
    [
        luhn_broken("411111111111111"),
        spaced(luhn_broken("555555555555444"), (4, 4, 4, 4)),
        spaced(luhn_broken("37828224631000"), (4, 6, 5)),
    ],
)
def test_card_shaped_numbers_failing_luhn_are_left_alone(number):
    text = f"card {number} was declined"
    assert redacted(text) == text


def test_a_quantity_or_date_next_to_a_card_stays_and_only_the_card_is_masked():
    text = f"qty 2 {spaced(VISA, (4, 4, 4, 4))} exp 12/28, charged 2026-11-24"
    assert redacted(text) == "qty 2 [CARD] exp 12/28, charged 2026-11-24"


def test_long_order_numbers_that_pass_luhn_by_chance_are_not_cards():
    # Order numbers start with a date or a 1; no card network issues those prefixes.
    order_number = luhn_complete("20261124000123")
    assert not is_card_number(order_number)
    assert redacted(f"订单号{order_number}还没发货") == f"订单号{order_number}还没发货"


# -- mainland China resident IDs ------------------------------------------------------------------


@pytest.mark.parametrize("id_number", [BEIJING_ID, BEIJING_ID.lower(), SHANGHAI_ID, SHENZHEN_ID])
def test_resident_id_numbers_are_masked(id_number):
    assert redacted(f"身份证号{id_number}，姓名王小明") == "身份证号[CN_ID]，姓名王小明"
    assert redacted(f"my ID number is {id_number}.") == "my ID number is [CN_ID]."


def test_a_resident_id_written_in_groups_is_masked():
    grouped = f"{SHANGHAI_ID[:6]} {SHANGHAI_ID[6:14]} {SHANGHAI_ID[14:]}"
    assert redacted(f"身份证 {grouped}") == "身份证 [CN_ID]"


@pytest.mark.parametrize(
    "number",
    [
        cn_id_broken("110105", "19491231", "002"),  # wrong check character
        cn_id("110105", "19901332", "002"),  # month 13
        cn_id("110105", "20230229", "002"),  # no 29 February in 2023
        cn_id("110105", "20991231", "002"),  # born in the future
        cn_id("110105", "18491231", "002"),  # born before 1900
    ],
)
def test_id_shaped_numbers_without_a_valid_check_or_birth_date_are_not_ids(number):
    assert not is_cn_id(number)
    text = f"编号{number}"
    assert "[CN_ID]" not in redacted(text)


# -- what must never be touched -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The rice cooker was ¥1299.00 and the case $45.99; refund 1,299.00 CNY.",
        "Ordered on 2026-11-24 at 14:30, delivered 2026/11/27 09:05.",
        "2026年11月24日下单，11月27日下午3点送到，共3件，单价¥89.90",
        "I ordered 2 pairs, size 42, and got 1. Order #884213, 25 kg box.",
        "订单号E202611040017，快递单号SF1234567890123，取件码 8-2-4012",
        "中通快递单号75123456789012，重量1.25kg",
        "Order 112-4859301-2278834 shipped; tracking 1Z999AA10123456784.",
        "Call between 9:00-18:00, Mon-Fri; extension 4417.",
        "数量：12，总价：¥15,588.00，优惠券 -¥200",
        "a timestamp 1732435200 and a version 2.13.0",
    ],
)
def test_prices_dates_times_quantities_and_order_numbers_are_left_alone(text):
    assert redacted(text) == text
    assert redact_text(text, EVERY_KIND)[1] == {}


# -- a realistic conversation ---------------------------------------------------------------------


def test_a_mandarin_conversation_loses_every_planted_item_and_keeps_everything_else():
    conversation = [
        {"author": "buyer", "text": "你好，我11月24日买的空气净化器（¥1299.00，2台）到现在没发货"},
        {"author": "agent", "text": "亲，请提供订单号和联系方式哦"},
        {"author": "buyer", "text": f"订单SO-2026-004417，手机13800138000，邮箱xm@example.com，身份证{BEIJING_ID}"},
        {"author": "buyer", "text": f"退款退到这张卡：{spaced(UNIONPAY_19, (4, 4, 4, 4, 3))}，谢谢"},
        {"author": "agent", "text": "好的亲，预计3个工作日内到账，2026年11月27日前处理完毕"},
    ]  # fmt: skip
    original = copy.deepcopy(conversation)

    result = redact_data({"dialogue": conversation, "channel": "app"}, WITH_ORDER_NUMBERS)

    turns = [turn["text"] for turn in result.data["dialogue"]]
    assert turns == [
        "你好，我11月24日买的空气净化器（¥1299.00，2台）到现在没发货",
        "亲，请提供订单号和联系方式哦",
        "订单[ORDER_NO]，手机[PHONE]，邮箱[EMAIL]，身份证[CN_ID]",
        "退款退到这张卡：[CARD]，谢谢",
        "好的亲，预计3个工作日内到账，2026年11月27日前处理完毕",
    ]
    assert result.findings == {
        ("dialogue[].text", "order_no"): 1,
        ("dialogue[].text", "phone"): 1,
        ("dialogue[].text", "email"): 1,
        ("dialogue[].text", "cn_id"): 1,
        ("dialogue[].text", "card"): 1,
    }
    assert conversation == original


def test_an_english_conversation_loses_every_planted_item_and_keeps_everything_else():
    data = {
        "message": (
            f"Hi, I bought 2 pairs of running shoes for $45.99 on 2026-11-24 with card {spaced(VISA, (4, 4, 4, 4))}. "
            "Please call +1 (415) 555-0134 or email lena.w@example.com, order SO-2026-118204."
        ),
        "reply": "Sorry! A refund of $91.98 will reach your card in 3-5 days.",
    }

    result = redact_data(data, WITH_ORDER_NUMBERS)

    assert result.data == {
        "message": (
            "Hi, I bought 2 pairs of running shoes for $45.99 on 2026-11-24 with card [CARD]. "
            "Please call [PHONE] or email [EMAIL], order [ORDER_NO]."
        ),
        "reply": "Sorry! A refund of $91.98 will reach your card in 3-5 days.",
    }
    assert result.changed


def test_structured_data_keeps_its_shape_and_non_text_values():
    data = {"meta": {"rating": 4, "verified": True, "contacts": ["a@example.com", None]}, "dialogue": []}

    result = redact_data(data, EVERY_KIND)

    assert result.data == {"meta": {"rating": 4, "verified": True, "contacts": ["[EMAIL]", None]}, "dialogue": []}
    assert result.findings == {("meta.contacts[]", "email"): 1}


def test_the_report_counts_kinds_and_fields_across_tasks_and_holds_no_values():
    report = RedactionReport()
    for data in (
        {"message": "mail a@example.com or b@example.com", "reply": "ok"},
        {"message": "call 13800138000", "reply": "we will call 13900000000"},
        {"message": "nothing here", "reply": "ok"},
    ):
        report.add(redact_data(data, EVERY_KIND))

    assert report.as_json() == {
        "tasks": 2,
        "values": 4,
        "kinds": {"email": 2, "phone": 2},
        "fields": {"message": {"email": 2, "phone": 1}, "reply": {"phone": 1}},
    }
    assert "example.com" not in str(report.as_json())


# -- the project's policy -------------------------------------------------------------------------


def test_an_empty_config_means_every_built_in_kind_and_no_patterns():
    assert parse_policy({}).names == ["email", "phone", "card", "cn_id"]
    assert parse_policy({"patterns": []}).names == ["email", "phone", "card", "cn_id"]


def test_only_the_chosen_kinds_are_masked():
    policy = parse_policy({"kinds": ["email"]})
    assert redacted("a@example.com, 13800138000", policy) == "[EMAIL], 13800138000"


def test_no_kinds_and_no_patterns_switches_redaction_off():
    policy = parse_policy({"kinds": []})
    assert policy.is_off
    assert redacted("a@example.com, 13800138000", policy) == "a@example.com, 13800138000"


def test_project_patterns_are_masked_under_their_upper_cased_name():
    policy = parse_policy(
        {
            "kinds": [],
            "patterns": [{"name": "order_no", "regex": r"SO-\d{4}-\d{6}"}, {"name": "Member", "regex": "VIP\\d+"}],
        }
    )

    text, counts = redact_text("订单SO-2026-000123和SO-2026-000124，会员VIP8841", policy)

    assert text == "订单[ORDER_NO]和[ORDER_NO]，会员[MEMBER]"
    assert counts == {"order_no": 2, "member": 1}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"kinds": ["email", "ssn"]}, "unknown kind 'ssn'; use one of email, phone, card, cn_id"),
        ({"kinds": "email"}, "'kinds' must be a list"),
        ({"patterns": [{"name": "order_no", "regex": "SO-(\\d{4}"}]}, "pattern 1 (order_no): the regex does not"),
        ({"patterns": [{"name": "anything", "regex": "\\d*"}]}, "matches empty text"),
        ({"patterns": [{"name": "phone", "regex": "x\\d+"}]}, "the name 'phone' is already taken"),
        ({"patterns": [{"name": "a", "regex": "x"}, {"name": "A", "regex": "y"}]}, "pattern 2: the name 'a'"),
        ({"patterns": [{"name": "order no", "regex": "x"}]}, "must be a letter then letters, digits or '_'"),
        ({"patterns": [{"regex": "x"}]}, 'expected {"name": "order_no", "regex": "..."}'),
        ({"patterns": {"order_no": "x"}}, "'patterns' must be a list"),
        ({"kind": ["email"]}, "unknown key 'kind'"),
        (["email"], "expected a JSON object"),
    ],
)  # fmt: skip
def test_a_bad_config_is_refused_with_a_plain_reason(config, message):
    with pytest.raises(RedactionConfigError) as refused:
        parse_policy(config)
    assert message in str(refused.value)
