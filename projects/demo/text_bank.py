"""The demo's text bank: product catalogs, contacts, and what buyers and the store's bot say, in English, Chinese
and the code-switched Mandarin of a cross-border shop.

Pure data, read by the conversation generator (conversations.py), which draws from it and fills the placeholders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# ---------------------------------------------------------------------------
# Catalogs. Prices are in the catalog's currency; kinds decide which scenarios a product fits
# (nobody exchanges a rice cooker for a bigger size).

ENGLISH_PRODUCTS = (
    ("wireless headphones", 49, 249, "electronics"),
    ("rice cooker", 39, 129, "appliance"),
    ("running shoes", 59, 159, "shoes"),
    ("phone case", 9, 35, "accessory"),
    ("air purifier", 89, 299, "appliance"),
    ("kids' winter jacket", 35, 89, "kids"),
    ("robot vacuum", 149, 449, "appliance"),
    ("smartwatch", 79, 329, "electronics"),
    ("bluetooth speaker", 29, 149, "electronics"),
    ("air fryer", 49, 139, "appliance"),
    ("desk lamp", 19, 69, "home"),
    ("yoga mat", 19, 59, "home"),
    ("electric toothbrush", 29, 129, "electronics"),
    ("office chair", 119, 389, "furniture"),
    ("coffee grinder", 25, 99, "appliance"),
    ("down jacket", 79, 229, "apparel"),
    ("jeans", 39, 98, "apparel"),
    ("hoodie", 29, 69, "apparel"),
    ("building block set", 25, 119, "toy"),
    ("hiking backpack", 45, 149, "bag"),
    ("mechanical keyboard", 59, 179, "electronics"),
    ("stand mixer", 149, 399, "appliance"),
    ("bedding set", 49, 159, "home"),
    ("hiking boots", 89, 199, "shoes"),
)
CHINESE_PRODUCTS = (
    ("蓝牙耳机", 129, 899, "electronics"),
    ("电饭煲", 199, 799, "appliance"),
    ("跑鞋", 299, 899, "shoes"),
    ("手机壳", 19, 69, "accessory"),
    ("空气净化器", 599, 2499, "appliance"),
    ("儿童羽绒服", 199, 599, "kids"),
    ("扫地机器人", 999, 3599, "appliance"),
    ("智能手表", 399, 1999, "electronics"),
    ("空气炸锅", 199, 599, "appliance"),
    ("台灯", 79, 299, "home"),
    ("瑜伽垫", 59, 199, "home"),
    ("电动牙刷", 99, 499, "electronics"),
    ("办公椅", 399, 1599, "furniture"),
    ("破壁机", 299, 1299, "appliance"),
    ("加湿器", 99, 399, "appliance"),
    ("连衣裙", 129, 499, "apparel"),
    ("牛仔裤", 99, 399, "apparel"),
    ("卫衣", 89, 299, "apparel"),
    ("积木玩具", 99, 699, "toy"),
    ("充电宝", 79, 259, "electronics"),
    ("机械键盘", 199, 899, "electronics"),
    ("四件套", 159, 699, "home"),
    ("行李箱", 299, 1299, "accessory"),
    ("保温杯", 59, 199, "home"),
    ("登山鞋", 399, 1099, "shoes"),
)
# Mixed-language buyers shop cross-border: the product keeps the English name they paste from the listing.
MIXED_PRODUCTS = (
    ("AirPods Pro 2", 199, 249, "electronics"),
    ("Sony WH-1000XM5", 299, 399, "electronics"),
    ("Kindle Paperwhite", 119, 169, "electronics"),
    ("Dyson V12 Detect", 499, 649, "appliance"),
    ("Instant Pot Duo", 79, 129, "appliance"),
    ("Levoit Core 300 air purifier", 89, 119, "appliance"),
    ("Nike Pegasus 41", 119, 149, "shoes"),
    ("Adidas Ultraboost", 149, 199, "shoes"),
    ("Uniqlo Ultra Light Down jacket", 69, 99, "apparel"),
    ("Levi's 501 jeans", 59, 98, "apparel"),
    ("North Face kids jacket", 79, 139, "kids"),
    ("Anker 20000mAh power bank", 39, 69, "electronics"),
    ("Logitech MX Keys", 99, 129, "electronics"),
    ("LEGO Technic set", 49, 199, "toy"),
    ("Herman Miller Sayl chair", 495, 695, "furniture"),
    ("iPhone 15 clear case", 19, 49, "accessory"),
)

SCENARIO_KINDS: dict[str, frozenset[str]] = {
    "exchange_size": frozenset({"apparel", "shoes", "kids"}),
    "warranty_repair": frozenset({"electronics", "appliance"}),
    "missing_parts": frozenset({"electronics", "appliance", "furniture", "toy"}),
    "damaged": frozenset({"electronics", "appliance", "home", "furniture", "toy", "accessory"}),
}

ENGLISH_SIZES = {
    "apparel": ("XS", "S", "M", "L", "XL", "XXL"),
    "shoes": ("7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "12"),
    "kids": ("4", "5", "6", "7", "8", "10", "12"),
}
CHINESE_SIZES = {
    "apparel": ("S码", "M码", "L码", "XL码", "2XL码"),
    "shoes": ("37码", "38码", "39码", "40码", "41码", "42码", "43码", "44码"),
    "kids": ("110码", "120码", "130码", "140码", "150码"),
}
ENGLISH_PARTS = {
    "electronics": ("charging cable", "power adapter", "charging dock", "spare ear tips"),
    "appliance": ("power cord", "filter", "measuring cup", "accessory kit", "remote"),
    "furniture": ("screws", "armrest", "assembly tool", "caster wheels"),
    "toy": ("instruction booklet", "bag of pieces", "sticker sheet"),
}
CHINESE_PARTS = {
    "electronics": ("充电线", "充电头", "充电底座", "耳塞套"),
    "appliance": ("电源线", "滤网", "量杯", "配件包", "遥控器"),
    "furniture": ("螺丝", "扶手", "安装工具", "轮子"),
    "toy": ("说明书", "一袋零件", "贴纸"),
}
ENGLISH_COURIERS = ("UPS", "FedEx", "USPS", "DHL", "OnTrac")
CHINESE_COURIERS = ("顺丰", "中通", "圆通", "京东物流", "韵达", "申通", "EMS")
TRACKING_PREFIXES = {
    "UPS": "1Z",
    "FedEx": "7749",
    "USPS": "9400",
    "DHL": "JD01",
    "OnTrac": "C1",
    "顺丰": "SF",
    "中通": "ZTO",
    "圆通": "YT",
    "京东物流": "JDV",
    "韵达": "YD",
    "申通": "STO",
    "EMS": "EA",
}
ENGLISH_COMPANIES = (
    "Northwind Design LLC",
    "Bluebird Bakery Co.",
    "Harbor & Pine Studio",
    "Acme Test Supplies Inc.",
    "Lakeside Dental Group",
)
CHINESE_COMPANIES = (
    "杭州青禾示例科技有限公司",
    "上海星河示例文化传媒有限公司",
    "深圳示例贸易有限公司",
    "北京云朵示例设计工作室",
    "成都小满示例餐饮管理有限公司",
)
# Reserved or widely known placeholder contacts, so the demo never carries someone's real details.
ENGLISH_CONTACTS = (
    "my email is lena.w@example.com",
    "you can email me at j.morales@example.org",
    "reach me at sam.k.test@example.net if that's easier",
    "my number is (555) 010-4417 if you need to call",
    "call me at 555-0142, I'm home all day",
    "my email is priya.n@example.com and phone is 555-0199",
)
CHINESE_CONTACTS = (
    "电话 138 0013 8000",
    "有问题打我电话13800138000",
    "联系方式：138-0013-8000",
    "我的邮箱是xiaomei.test@example.com，发这里就行",
    "手机号 139 0000 0000，快递员可以打这个",
    "邮箱 wang.demo@example.cn",
)
MIXED_ORDER_NOTES = (
    "订单备注我写了 'Please leave at the front desk'",
    "order note: 'gift wrap please, no invoice in the box'",
    "我的 order note 是 'Deliver after 6pm'",
    "备注写了 'Call before delivery'，没人打给我",
    "order note 'Leave with neighbor in 2B' 你们看到了吗",
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
FIRST_ORDER_DATE = dt.date(2026, 1, 2)


# ---------------------------------------------------------------------------
# Text banks. Placeholders: {product} {order} {amount} {order_date} {expected_date} {days} {months}
# {hours} {courier} {size} {new_size} {part} {sale_price} {difference} {company} {tax_id}. Bot
# replies use the *_ref forms instead, which fall back to neutral words when the buyer never
# said the fact: a bot quoting a price nobody mentioned would be an accidental hallucination.


@dataclass(frozen=True)
class Bank:
    openings: dict[str, tuple[str, ...]]
    greetings: tuple[str, ...]
    greeted_starts: tuple[str, ...]
    endings: tuple[str, ...]
    order_suffixes: tuple[str, ...]
    ask_order: tuple[str, ...]
    give_order: tuple[str, ...]
    give_order_again: tuple[str, ...]
    ask_photo: tuple[str, ...]
    give_photo: tuple[str, ...]
    checking: tuple[str, ...]
    impatient: tuple[str, ...]
    still_checking: tuple[str, ...]
    details: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    resolved_yes: dict[str, tuple[str, ...]]
    resolved_partly: dict[str, tuple[str, ...]]
    partly_generic: tuple[str, ...]
    resolved_no: dict[str, tuple[str, ...]]
    no_generic: tuple[str, ...]
    reactions: dict[str, tuple[str, ...]]
    closings: dict[str, tuple[str, ...]]
    hallucinations: dict[str, tuple[str, ...]]
    contacts: tuple[str, ...]
    sentence_joiner: str


ENGLISH = Bank(
    openings={
        "refund": (
            "I want a refund for the {product} I ordered on {order_date}. It's not what I expected.",
            "how do I get my money back for the {product}? order {order}",
            "I returned the {product} two weeks ago and still haven't seen my refund of {amount}. What's going on?",
            "Requesting a refund for order {order}. The {product} has a defect and I don't want a replacement.",
            "REFUND PLEASE. the {product} is junk",
            "I was charged {amount} for the {product} but I'd rather get a refund than keep it. Is that possible?",
            "You charged me twice for the {product}!! I need one of the {amount} charges refunded",
            "Can I still get a refund on my {product}? I bought it {days} days ago and barely used it.",
            "Where is my refund? I was told 5 business days and it's been {days}.",
            "I'd like a refund please, the {product} doesn't work for me. Order {order}.",
        ),
        "return": (
            "I'd like to return the {product}, it's not what I need.",
            "How do I send back the {product}? Order {order}.",
            "can you send me a return label for the {product}? changed my mind",
            "I need to return a {product}. Do I have to pay for the return shipping?",
            "want to return my {product}, looks nothing like the pictures",
            "Is it too late to return the {product}? It arrived on {expected_date}.",
            "The {product} is still sealed, I'd like to return it for a refund please.",
            "I started a return for {order} on your website but it keeps giving me an error.",
            "Return request: {product}, order {order}. Color is way off from the listing.",
        ),
        "not_received": (
            "My order {order} says delivered but I never got it.",
            "Where is my {product}?? Ordered on {order_date} and nothing yet.",
            "Tracking hasn't updated in {days} days. Order {order}. Is my package lost?",
            "{courier} says delivered, there's nothing at my door. I checked with my neighbors too.",
            "still haven't received my {product}. can you check?",
            "I paid {amount} for a {product} and I have nothing to show for it. Where is it?",
            "Package never arrived. What are you going to do about it?",
            "My {product} was supposed to arrive on {expected_date} and it's still not here. Could you look into it?",
            "Order {order} never showed up. The {courier} tracking just says 'in transit' since {order_date}.",
        ),
        "damaged": (
            "The {product} arrived broken. The box was crushed too.",
            "my {product} came damaged, there's a big crack on the side",
            "Unfortunately the {product} I received is scratched and dented. Order {order}.",
            "Opened the box and the {product} is smashed. Really disappointed.",
            "The {product} arrived in a soaked, torn box and it's damaged. What now?",
            "Received my {product} today but it's damaged. Can I get a replacement?",
            "{courier} clearly threw this package around. The {product} is broken.",
            "Item damaged on arrival. Order {order}. Need a replacement asap",
            "The {product} I got looks used and one corner is chipped. I paid {amount} for a new one.",
        ),
        "wrong_item": (
            "I ordered a {product} but received something completely different.",
            "Wrong item in my package. Order {order}.",
            "You sent me the wrong {product}, it's the wrong color and model",
            "The box had someone else's order in it? I was expecting a {product}.",
            "This isn't the {product} I ordered. Can you send the right one?",
            "Received the wrong item for order {order}. What do I do with it?",
            "I paid {amount} for a {product} and you sent me a cheaper model. Not OK.",
            "got a totally different item than the {product} I paid for. please fix",
        ),
        "late_delivery": (
            "My {product} was supposed to be here by {expected_date}. Why is it late?",
            "order {order} is {days} days late. any update?",
            "Still waiting on my {product}. {courier} tracking shows it stuck in transit.",
            "This is ridiculous, I paid for express shipping and it's been {days} days.",
            "Could you let me know when my {product} will actually arrive? The estimated date has passed.",
            "I needed the {product} for a birthday on {expected_date}. It's late. Can you do anything?",
            "Why does the delivery date keep changing?? Order {order}",
            "It's been over a week and my order still says 'preparing to ship'.",
            "The {product} I ordered on {order_date} still hasn't shipped. What's the holdup?",
        ),
        "missing_parts": (
            "My {product} arrived but the {part} is missing.",
            "Missing pieces in my {product} order, {order}.",
            "The {product} box has no {part}, so I can't even use it.",
            "The {product} I received is missing accessories listed on the product page.",
            "no {part} in the box, just the {product}. is that normal??",
            "Order {order}: the {part} for the {product} wasn't in the package.",
            "Opened the {product} and the {part} isn't there. Can you send it?",
        ),
        "warranty_repair": (
            "My {product} stopped working after {months} months. Is it covered under warranty?",
            "{product} won't turn on anymore. I bought it on {order_date}. Warranty repair?",
            "The {product} started making a weird noise. Can I get it fixed under warranty?",
            "The {product} keeps shutting off by itself. Still under warranty I think. Order {order}.",
            "how do I send my {product} in for repair",
            "My {product} broke and it's only {months} months old. This should be covered.",
            "Does your warranty cover a {product} that overheats? It gets really hot after 10 minutes.",
        ),
        "exchange_size": (
            "Can I exchange the {product} for a size {new_size}? The {size} is too small.",
            "The {product} runs small. I need to swap it for a {new_size}.",
            "I'd like to exchange my {product} from size {size} to {new_size}, please.",
            "{product} doesn't fit. Exchange for a bigger size?",
            "I ordered a {size} in the {product} but it's way too big. Can you send a {new_size}?",
            "How does exchanging sizes work? Order {order}, {product}.",
            "need a different size for the {product}, the {size} doesn't fit at all",
            "Hello! Is size {new_size} of the {product} in stock? I'd like to swap mine.",
        ),
        "cancel_order": (
            "Please cancel my order {order}.",
            "I ordered a {product} by mistake, can I cancel it?",
            "Cancel the {product} order please, found it cheaper elsewhere.",
            "Is it too late to cancel order {order}? I don't think it has shipped yet.",
            "I want to cancel. Delivery is taking way too long.",
            "how do i cancel an order? i placed it {hours} hours ago",
            "Double-ordered the {product}, please cancel one of them.",
            "cancel {order} asap please, wrong address on it",
        ),
        "invoice_request": (
            "Can I get an invoice for order {order}? I need it for my company expenses.",
            "I need a VAT invoice for the {product} I bought on {order_date}.",
            "Where can I download the invoice for my {product}?",
            "Please send me an invoice for the {amount} I paid on {order_date}.",
            "My accountant needs an itemized invoice for order {order}.",
            "The invoice I got has the wrong company name. Can you reissue it?",
            "invoice for {order} please, need it by friday for reimbursement",
        ),
        "price_adjustment": (
            "I bought the {product} for {amount} on {order_date} and now it's on sale for {sale_price}. "
            "Can I get the difference?",
            "The price dropped on the {product} two days after I ordered. Do you do price adjustments?",
            "The {product} is {difference} cheaper now. Order {order}. Refund the difference?",
            "Do you offer price adjustments? I paid {amount} for the {product}.",
            "Not fair that the {product} went on sale right after I ordered. Can you adjust the price?",
            "Saw the {product} in your sale today. I paid full price last week, any chance of a partial refund?",
        ),
    },
    greetings=("Hi, ", "Hello, ", "hey ", "Hi there. ", "Good morning. ", "Hello? ", "Hi! "),
    greeted_starts=("Hi", "Hello", "hey", "Hey"),
    endings=(
        "Thanks.",
        "Please help.",
        "Thank you!",
        "This is ridiculous.",
        "Thanks in advance.",
        "Need this sorted today.",
    ),
    order_suffixes=("Order {order}.", "Order #{order}", "order number {order}", "Order no. {order}"),
    ask_order=(
        "I'm sorry to hear that. Could you share your order number so I can look into it?",
        "Sure, I can help with that. What's the order number?",
        "Thanks for reaching out. Please provide your order number (it starts with SO-).",
        "Happy to help! Can I get the order number?",
        "I can look into this. Which order is it? The order number is in your confirmation email.",
    ),
    give_order=(
        "{order}",
        "It's {order}",
        "order number is {order}",
        "Sure: {order}",
        "{order}. please hurry",
        "here: {order}",
    ),
    give_order_again=(
        "I ALREADY gave you the order number: {order}",
        "I just told you. {order}",
        "it's the same as before... {order}",
        "Are you even reading? {order}",
    ),
    ask_photo=(
        "Could you attach a photo of the {product_ref} and the packaging?",
        "Sorry about that! Please send a photo of the item so I can file this.",
        "To process this I'll need a picture of the {product_ref}. You can attach it right here in the chat.",
        "Could you upload a photo showing the problem?",
    ),
    give_photo=(
        "I attached a photo.",
        "photo attached",
        "Here you go, attached 2 pictures.",
        "Just uploaded a photo, you can clearly see it.",
        "ok sent. can you hurry up",
        "Attached a photo of the box and the item.",
    ),
    checking=(
        "Thanks! Let me check order {order}.",
        "One moment while I look this up.",
        "Got it, checking now...",
        "Thank you. Let me pull up the details for {order}.",
    ),
    impatient=("ok", "any update?", "hello??", "still there?", "it's been 10 minutes", "take your time", "ok thanks"),
    still_checking=(
        "Thanks for your patience, I'm still looking into this.",
        "Still here! Just a moment longer.",
        "Sorry for the wait, almost done.",
    ),
    details={
        "refund": (
            ("Is the {product_ref} unused and in its original packaging?",),
            ("yes, never used", "used it once, that's it", "it's in the box still", "yes"),
        ),
        "return": (
            ("Is the {product_ref} unused and in its original packaging?",),
            ("Yes, still sealed.", "opened it but didn't use it", "yes everything is in the box"),
        ),
        "not_received": (
            ("Have you checked with your neighbors or your building's front desk?",),
            ("Yes I checked. Nothing.", "yes, nobody has it", "Of course I did."),
        ),
        "late_delivery": (
            ("Is the shipping address on the order correct? Just a yes or no is fine.",),
            ("yes it's correct", "Yes, same address as always.", "yes"),
        ),
        "warranty_repair": (
            ("Could you describe what's happening with the {product_ref}?",),
            (
                "It won't turn on at all, even after charging overnight.",
                "Makes a loud grinding noise and then stops.",
                "It gets really hot and shuts off.",
                "the display flickers and then it dies",
            ),
        ),
        "exchange_size": (
            ("Which size would you like instead?", "No problem. What size do you need?"),
            ("{new_size} please", "a {new_size}", "size {new_size}"),
        ),
        "cancel_order": (
            ("Could you tell me why you'd like to cancel?", "May I ask the reason for cancelling?"),
            ("ordered by mistake", "found it cheaper somewhere else", "it's taking too long", "don't need it anymore"),
        ),
        "invoice_request": (
            ("What name should appear on the invoice?",),
            ("Company name: {company}", "{company}, same address as shipping", "put {company} on it"),
        ),
        "price_adjustment": (
            ("Could you tell me the price you're seeing now?",),
            ("it's {sale_price} right now on your site", "{sale_price}", "Currently {sale_price}, see your homepage"),
        ),
    },
    resolved_yes={
        "refund": (
            "I've issued a full refund{amount_ref} for order {order}. It goes back to your original payment "
            "method and usually shows up within 3-5 business days.",
            "Done! A refund{amount_ref} has been processed for order {order}. You'll get a confirmation email shortly.",
            "I've approved your refund{amount_ref}. No need to send the {product_ref} back.",
        ),
        "return": (
            "I've emailed you a prepaid return label for the {product_ref}. Once we receive it, "
            "your refund{amount_ref} will be issued.",
            "Your return for order {order} is approved. The prepaid label is in your inbox; "
            "just drop the package off with {courier_ref}.",
        ),
        "not_received": (
            "I'm sorry your {product_ref} never arrived. I've shipped a replacement at no cost; you'll get "
            "a shipping confirmation email once it leaves our warehouse.",
            "I've refunded order {order} in full{amount_ref} since the package didn't reach you. "
            "No need to return anything if it turns up.",
        ),
        "damaged": (
            "Sorry about the damage! I've sent out a replacement {product_ref} free of charge, "
            "and you don't need to return the damaged one.",
            "I've processed a full refund{amount_ref} for the damaged {product_ref}. You can keep or recycle the item.",
        ),
        "wrong_item": (
            "Apologies for the mix-up. The correct {product_ref} is on its way, and I've emailed you a prepaid "
            "label to send back the wrong item.",
            "Sorry about that! I've shipped the right {product_ref} today. Keep the wrong item, no need to return it.",
        ),
        "late_delivery": (
            "Sorry for the delay. I've cancelled the stuck shipment and sent a new {product_ref} with express "
            "shipping at our cost. You'll get a shipping confirmation email today.",
            "I've refunded your shipping fee for order {order} and asked {courier_ref} to prioritize the "
            "delivery. If it's not with you in 3 business days, reply here and I'll reship right away.",
        ),
        "missing_parts": (
            "Sorry about that! I've shipped the missing {part_ref} separately at no cost. You'll get a "
            "shipping confirmation email soon.",
            "I've sent a complete replacement {product_ref} so you're not waiting on parts. Keep the incomplete one.",
        ),
        "warranty_repair": (
            "Your {product_ref} is covered. I've created a repair request and emailed you a prepaid shipping "
            "label; repairs usually take 7-10 business days.",
            "Since it's within warranty, I've arranged a free replacement {product_ref} instead of a repair.",
        ),
        "exchange_size": (
            "Done! I've set up an exchange for {new_size_ref}. The new one ships today and the return "
            "label for the old one is in your email.",
            "Your exchange is confirmed: {new_size_ref} is reserved for you, and the prepaid return label "
            "has been emailed.",
        ),
        "cancel_order": (
            "Order {order} has been cancelled. The full payment{amount_ref} will be refunded to your original "
            "payment method.",
            "All set, I've cancelled order {order} before it shipped. You'll see the refund in a few business days.",
        ),
        "invoice_request": (
            "I've emailed the invoice for order {order} to the address on your account. You can also download it "
            "under My Orders > Invoice.",
            "The invoice for order {order} has been generated and sent to your email.",
        ),
        "price_adjustment": (
            "You're right, the price dropped. I've refunded the difference{difference_ref} to your original "
            "payment method.",
            "I've applied a price adjustment to order {order}; the difference{difference_ref} is on its way "
            "back to you.",
        ),
    },
    resolved_partly={
        "refund": (
            "I can refund the shipping cost right away, but the refund for the {product_ref} itself needs "
            "approval from our returns team. They'll email you within 2 business days.",
        ),
        "return": (
            "I've started the return, but the prepaid label has to be issued by our warehouse team. "
            "Please wait 1-2 business days for it.",
        ),
        "not_received": (
            "I've opened an investigation with {courier_ref}. These usually take 3-5 business days; we'll "
            "update you once we hear back.",
        ),
        "damaged": (
            "I can offer a partial refund{partial_ref} for the damage. For a full replacement I need to pass this "
            "to a human agent.",
        ),
        "wrong_item": (
            "I've reported this to the warehouse. They need to confirm stock before I can send the correct "
            "item, so please wait 1-2 days.",
        ),
        "late_delivery": (
            "I've opened a trace with {courier_ref}. If it isn't resolved in 3 business days, a human agent "
            "will contact you about a replacement.",
        ),
        "missing_parts": (
            "I've reported the missing {part_ref} to the warehouse. They need to check stock before "
            "anything can be sent; please allow 1-2 days.",
        ),
        "warranty_repair": (
            "I've logged your warranty claim, but the repair center has to inspect the {product_ref} before "
            "confirming it's covered.",
        ),
        "exchange_size": (
            "Sorry, {new_size_ref} is out of stock right now. I can process a return for a refund, or you can "
            "wait for the restock.",
        ),
        "cancel_order": (
            "The order has already been handed to the carrier, so I can't cancel it. Once it arrives you can "
            "return it for a refund.",
        ),
        "invoice_request": ("I've requested the invoice from our finance team. It can take up to 5 business days.",),
        "price_adjustment": (
            "I can't adjust the price on the original order myself, but I've forwarded your request to a "
            "supervisor for review.",
        ),
    },
    partly_generic=(
        "I've escalated this to our support team. A human agent will get back to you within 24-48 hours.",
        "I can't complete this here, so I'm transferring you to a live agent. Please hold on.",
        "I've opened a case for order {order}. Please allow 2 business days for our team to review it.",
    ),
    resolved_no={
        "refund": (
            "It looks like you're interested in the {product_ref}! You can add it to your cart from the product page.",
        ),
        "return": ("To track your package, please use the tracking link in your shipping confirmation email.",),
        "not_received": ("To start a return, go to My Orders and select the item you want to send back.",),
        "damaged": ("To track your package, please use the tracking link in your shipping confirmation email.",),
        "wrong_item": ("Our size guide is available on every product page. Please check it before ordering!",),
        "late_delivery": ("To start a return, go to My Orders and select the item you want to send back.",),
        "missing_parts": ("You can find user manuals for all our products in the Help Center.",),
        "warranty_repair": ("To start a return, go to My Orders and select the item you want to send back.",),
        "exchange_size": ("Our size guide is available on every product page. Please check it before ordering!",),
        "cancel_order": ("To track your package, please use the tracking link in your shipping confirmation email.",),
        "invoice_request": ("I can help with returns, refunds and delivery questions. Which one do you need?",),
        "price_adjustment": ("Check out our Deals page for the latest offers!",),
    },
    no_generic=(
        "I'm sorry, I didn't quite understand that. Could you please rephrase your question?",
        "Thanks for contacting us! You can see all your orders under My Orders. Is there anything else I can "
        "help you with?",
        "Could you please provide your order number?",
        "Our return policy can be found on our Help Center page. Have a great day!",
        "I understand this is frustrating. Please choose an option: 1) Track order 2) Returns 3) Other",
    ),
    reactions={
        "yes": (
            "thanks!",
            "Great, appreciate it.",
            "ok perfect",
            "Thank you so much!",
            "that was quick, thanks",
            "ok good",
        ),
        "partly": (
            "ok, how long will that take?",
            "fine. but I really want this sorted",
            "ok I'll wait",
            "so I just wait?",
            "Alright, thanks I guess.",
        ),
        "no": (
            "this is useless",
            "I want to talk to a real person",
            "are you even reading what I write?",
            "That's not what I asked.",
            "AGENT",
            "forget it, I'll dispute the charge",
        ),
    },
    closings={
        "yes": (
            "You're welcome! Anything else I can help with?",
            "Glad I could help. Have a great day!",
            "Happy to help! Take care.",
        ),
        "partly": (
            "It usually takes 1-2 business days. Thanks for your patience!",
            "Thanks for your patience, we'll be in touch by email.",
        ),
        "no": (
            "I'm sorry, I didn't quite get that. Could you rephrase?",
            "Thanks for contacting us! Is there anything else I can help you with?",
            "Please choose an option: 1) Track order 2) Returns 3) Other",
        ),
    },
    hallucinations={
        "policy": (
            "Just so you know, all our orders come with a 90-day no-questions-asked refund, so you're fully covered.",
            "Good news: our 90-day no-questions-asked return policy covers this automatically.",
        ),
        "price_policy": (
            "All our products include a 90-day price protection guarantee, so any future drop is refunded too.",
        ),
        "coupon": (
            "I've also added a {coupon} compensation coupon to your account for the trouble.",
            "As an apology, a {coupon} coupon has been applied to your account and will be used on your next order.",
        ),
        "wrong_status": (
            "According to our system, order {other_order} was already refunded on {other_date}.",
            "According to our system, this order was already cancelled on {other_date}.",
        ),
        "tracking": (
            "Your tracking number is {fake_tracking} with {other_courier}, and it's scheduled to arrive on "
            "{other_date}.",
            "I can see it's now with {other_courier}, the tracking number is {fake_tracking}, arriving {other_date}.",
        ),
        "locker": (
            "Our records show the package was delivered to a parcel locker near your address on {other_date}.",
            "It looks like {other_courier} left it in a pickup locker on {other_date}; the code was sent by text.",
        ),
        "signed": (
            "It was signed for at your front desk on {other_date} by 'J. Lee'.",
            "The delivery was signed for on {other_date}, so it should be with you.",
        ),
        "warranty": (
            "Good news: your {product_ref} comes with a lifetime warranty, so repairs are always free.",
            "Every {product_ref} we sell has a lifetime warranty, so this is fully covered.",
        ),
    },
    contacts=ENGLISH_CONTACTS,
    sentence_joiner=" ",
)

CHINESE = Bank(
    openings={
        "refund": (
            "{product}我不想要了，怎么申请退款？",
            "退款怎么还没到账？都{days}天了，订单号{order}",
            "我要退款！{product}质量太差了，用了两天就坏了",
            "{order_date}买的{product}，申请退款一直显示处理中，怎么回事",
            "东西已经退回去了，快递显示你们签收了，钱呢？",
            "{product}被扣了两次款，{amount}扣了两遍，麻烦退一笔",
            "我想退款，{product}跟描述完全不一样",
            "仅退款可以吗？{product}实在没法用",
            "退款申请提交{days}天了没人处理，你们客服是摆设吗",
            "买的{product}才{amount}，退个款这么麻烦？订单号{order}",
        ),
        "return": (
            "{product}想退货，支持七天无理由吗？",
            "我要退货，{product}不喜欢，怎么操作",
            "退货地址发我一下，订单号{order}",
            "{product}和图片色差太大了，我要退货",
            "退货运费谁出？{product}买回来就发现有问题",
            "请问{product}拆封了还能退吗",
            "申请退货的按钮是灰的点不了，怎么回事？订单{order}",
            "上周收到的{product}想退，有运费险吗",
            "{product}退货退款，{courier}上门取件可以吗",
        ),
        "not_received": (
            "物流显示已签收，但我根本没收到！订单号{order}",
            "我的{product}到底什么时候到？{order_date}就下单了",
            "{courier}物流{days}天没更新了，是不是丢件了",
            "快递一直没送到，打快递员电话也不接",
            "{product}还没收到，帮忙查一下",
            "怎么回事，钱都付了{amount}，东西影子都没看到",
            "快递显示派送中三天了，人呢？",
            "楼下驿站也没有，快递到底送哪去了？订单{order}",
            "{courier}说送到了，我问了门卫和邻居都没有",
        ),
        "damaged": (
            "收到的{product}是坏的，外包装都压扁了",
            "{product}到了但是有裂痕，怎么处理",
            "快递暴力运输吧？{product}摔坏了，订单号{order}",
            "刚拆开{product}就发现有划痕和磕碰，这是新的吗？",
            "{product}收到就坏了，能换新吗",
            "破损了！！！{product}碎了，你们怎么包装的",
            "收到货发现{product}有破损，已拍照，要怎么申请售后",
            "{courier}送来的箱子都烂了，{product}也磕坏了",
        ),
        "wrong_item": (
            "发错货了，我买的是{product}，寄来的完全不是",
            "你们发错颜色了，订单号{order}",
            "收到的{product}型号不对啊，怎么回事",
            "我买的{product}，收到一个别人的东西？？",
            "货不对板，{product}跟我下单的不一样，要求换货",
            "包裹里的东西不是我买的{product}，怎么处理",
            "发错了！{amount}买的{product}给我发个便宜款？",
            "订单{order}发错货了，赶紧给我换",
        ),
        "late_delivery": (
            "说好{expected_date}到的，{product}现在还没到？",
            "都{days}天了还没到，你们发的什么快递",
            "{courier}一直显示运输中，{product}啥时候能到？",
            "催一下发货，订单号{order}，等着急用",
            "为什么物流这么慢？买的{product}等了一个星期了",
            "不是说48小时发货吗？都超时了",
            "能不能帮我催一下快递，{product}{expected_date}之前一定要到",
            "下单{days}天了还是待发货，什么情况",
            "物流卡在中转站{days}天不动了，{order}",
        ),
        "missing_parts": (
            "{product}收到少了{part}",
            "{product}缺件了，订单号{order}",
            "打开{product}发现没有{part}，用不了",
            "你们{product}页面上写的配件没发全",
            "收到的{product}配件不全，{part}没有",
            "漏发了！{product}少了{part}",
            "{product}包装里缺{part}，能补发一下吗",
        ),
        "warranty_repair": (
            "{product}用了{months}个月就坏了，在保修期内吧？",
            "{product}开不了机了，怎么保修",
            "{product}有异响，能走售后维修吗？订单号{order}",
            "{product}突然不工作了，保修怎么申请",
            "我的{product}才买{months}个月就出问题，质量也太差了，要求维修",
            "{product}老是自动断电，保修期内能免费修吗",
            "售后维修寄到哪里？{product}坏了",
        ),
        "exchange_size": (
            "{product}码数小了，能换{new_size}吗",
            "买的{size}，{product}穿着太大了，想换{new_size}",
            "{product}尺码不合适，怎么换货",
            "想把{product}从{size}换成{new_size}，还有货吗",
            "尺码偏小！{product}换大一码可以吗",
            "{product}{size}穿不下，能换个码吗，订单号{order}",
            "换码要自己出运费吗？{product}",
        ),
        "cancel_order": (
            "拍错了，订单{order}帮我取消一下",
            "不想要了，{product}还没发货能取消吗",
            "取消订单！发货太慢了",
            "我要取消订单，买重复了",
            "{product}拍错型号了，麻烦取消，我重新拍",
            "怎么取消订单啊，找不到按钮",
            "还没发货吧？赶紧帮我取消，{order}",
            "下单{hours}小时了还没发货，我不要了，取消吧",
        ),
        "invoice_request": (
            "能开发票吗？订单号{order}",
            "{product}需要开增值税专用发票，怎么弄",
            "发票什么时候开？{order_date}下的单",
            "麻烦开个电子发票，公司报销用",
            "发票抬头开错了，能重开吗",
            "买的{product}，要开公司抬头的发票，税号等下发你",
        ),
        "price_adjustment": (
            "我{order_date}买的{product}，现在降价了，能退差价吗？",
            "刚买完就降价{difference}，保价吗？",
            "{product}我买的时候{amount}，现在活动价{sale_price}，差价退一下",
            "你们不是有价保吗？{product}降价了",
            "大促前买的{product}，现在便宜了好多，能补差价吗",
            "申请价保，订单号{order}",
        ),
    },
    greetings=("亲，", "在吗？", "你好，", "客服在吗，", "亲在吗？", "喂，", "您好，"),
    greeted_starts=("亲", "你好", "在吗", "客服"),
    endings=("谢谢", "急！", "麻烦尽快处理一下", "谢谢亲", "在线等，急", "赶紧的"),
    order_suffixes=("订单号{order}", "订单号：{order}", "订单{order}", "单号{order}"),
    ask_order=(
        "亲，麻烦提供一下订单号，这边帮您查询哦~",
        "您好，请问订单号是多少呢？",
        "亲亲，请发一下订单号哈",
        "收到，麻烦您把订单号发给我，马上帮您核实",
    ),
    give_order=("{order}", "订单号{order}", "{order}，快点", "给你：{order}", "订单号是{order}"),
    give_order_again=("刚才不是发了吗？{order}", "说了多少遍了，{order}", "{order}！！！你们看不到吗"),
    ask_photo=(
        "亲，麻烦拍一下商品和外包装的照片发过来哦",
        "辛苦亲提供一下问题部位的照片，方便为您处理",
        "亲，可以发一下{product_ref}的实物图吗？",
    ),
    give_photo=("[图片]", "图片已经发了", "照片发你了，你自己看", "[图片][图片] 你看这个", "拍好了，发了两张"),
    checking=("好的亲，正在为您查询，请稍等~", "收到，这边帮您核实一下哈", "亲稍等，马上为您查看订单{order}"),
    impatient=("好", "快点", "还要多久？", "人呢？？", "嗯嗯，辛苦", "在吗？"),
    still_checking=("亲，还在为您核实中，请再稍等一下哦", "让您久等了，马上就好~"),
    details={
        "refund": (("亲，商品有没有拆封使用过呢？",), ("没拆封", "就试了一下", "没用过，包装都在")),
        "return": (("亲，商品有没有拆封使用过呢？",), ("没拆封", "拆了但没用", "吊牌都在")),
        "not_received": (
            ("亲，麻烦确认下有没有问过家人、门卫或者附近驿站呢？",),
            ("都问了，没有", "问过了", "当然问了"),
        ),
        "late_delivery": (("亲，收货地址是正确的吧？",), ("对的", "地址没问题", "是的")),
        "warranty_repair": (
            ("亲，能具体描述一下故障情况吗？",),
            ("完全开不了机", "有异响，然后就停了", "充不进电", "用一会就很烫然后自己关机"),
        ),
        "exchange_size": (("亲想换成什么尺码呢？",), ("换{new_size}", "{new_size}", "要{new_size}的")),
        "cancel_order": (("请问取消原因是什么呢？",), ("拍错了", "不想要了", "别家更便宜", "发货太慢")),
        "invoice_request": (
            ("亲，请提供发票抬头和税号哦",),
            ("抬头：{company}，税号：{tax_id}", "{company} {tax_id}"),
        ),
        "price_adjustment": (("亲，麻烦截图一下现在的价格哦",), ("[图片] 现在{sale_price}", "现在卖{sale_price}")),
    },
    resolved_yes={
        "refund": (
            "亲，已经为您办理退款{amount_ref}，原路退回，1-3个工作日到账哦~",
            "退款{amount_ref}已提交成功，会原路返回到您的支付账户，请注意查收~",
            "亲，已为您同意退款，{product_ref}不用寄回了，钱会原路退回哦",
        ),
        "return": (
            "亲，退货申请已经帮您通过了，退货地址在订单详情里，运费我们承担哦",
            "已为您同意退货，仓库收到退货后会第一时间退款{amount_ref}",
        ),
        "not_received": (
            "非常抱歉亲，这边已经给您补发了{product_ref}，发货后可以在订单里查看物流~",
            "亲，已经为您办理全额退款{amount_ref}，不用退回，给您添麻烦了",
        ),
        "damaged": (
            "给您带来不好的体验非常抱歉！已经为您安排补发新的{product_ref}，破损的不用寄回啦",
            "亲，已为您办理破损全额退款{amount_ref}，原路退回",
        ),
        "wrong_item": (
            "实在抱歉发错了，正确的{product_ref}已经给您重新发出，错发的商品麻烦寄回，运费我们承担",
            "亲，非常抱歉！已经给您补发正确的{product_ref}，发错的那件不用退回了",
        ),
        "late_delivery": (
            "亲，非常抱歉让您久等了，已为您取消原包裹并加急补发，发货后可在订单里查看物流",
            "已经为您退还运费，并联系{courier_ref}加急派送，3天内还没到的话直接给您补发",
        ),
        "missing_parts": (
            "亲，缺少的{part_ref}已经给您补发了，请注意查收~",
            "非常抱歉漏发了，已为您单独补寄{part_ref}，不收任何费用",
        ),
        "warranty_repair": (
            "亲，您的{product_ref}在保修期内，已为您登记免费维修，寄修地址在订单详情里，来回运费我们承担",
            "保修期内的，已为您直接换新，新的{product_ref}今天安排发出",
        ),
        "exchange_size": (
            "亲，已经为您办理换货，{new_size_ref}今天安排发出，原来的收到后寄回就行，运费我们出",
            "换货已经提交成功啦，{new_size_ref}已为您预留，退回地址在订单详情里",
        ),
        "cancel_order": (
            "亲，订单{order}已经为您取消，货款{amount_ref}会原路退回哦",
            "已为您取消订单{order}，退款1-3个工作日原路到账",
        ),
        "invoice_request": (
            "亲，电子发票已经开好，发送到您的邮箱啦，也可以在订单详情里下载",
            "发票已为您开具，订单{order}的发票在“我的订单-发票”里可以查看",
        ),
        "price_adjustment": (
            "亲，已经为您申请价保，差价{difference_ref}已原路退回~",
            "核实降价了，差价{difference_ref}已经给您退回了哦",
        ),
    },
    resolved_partly={
        "refund": ("亲，可以先为您退运费，商品的退款需要仓库收到退货后才能处理哦",),
        "return": ("亲，退货申请已提交，需要仓库审核，1-2个工作日内会给您答复",),
        "not_received": ("亲，已经帮您联系{courier_ref}核实，一般3-5天会有结果，请您耐心等待~",),
        "damaged": ("亲，可以先为您补偿{partial_ref}，如需换新需要转售后专员处理哦",),
        "wrong_item": ("已经反馈给仓库核实了，确认后才能给您补发，请耐心等1-2天",),
        "late_delivery": ("亲，已经帮您催促{courier_ref}了，具体什么时候到需要等快递反馈哦",),
        "missing_parts": ("已经把缺{part_ref}的情况反馈给仓库了，核实后才能补发，请耐心等待",),
        "warranty_repair": ("已为您登记保修申请，需要售后检测后才能确定是否免费维修哦",),
        "exchange_size": ("亲，{new_size_ref}暂时缺货，可以先给您办理退货退款，或者等补货再换",),
        "cancel_order": ("亲，订单已经发货了，没法直接取消，收到后可以申请退货退款哦",),
        "invoice_request": ("亲，发票已经提交财务开具了，最晚5个工作日内开好",),
        "price_adjustment": ("亲，价保需要主管审核，已经为您提交申请了，请耐心等待",),
    },
    partly_generic=(
        "亲，这个问题已经帮您升级给售后专员了，24小时内会有专人联系您，请耐心等待哦~",
        "亲，正在为您转接人工客服，请稍候~",
        "已经为您提交工单，处理结果会在1-2个工作日内通知您哦",
    ),
    resolved_no={
        "refund": ("亲，查询物流请点击“我的订单”-“查看物流”哦~",),
        "return": ("亲，查询物流请点击“我的订单”-“查看物流”哦~",),
        "not_received": ("亲，申请退货请在订单页面点击“申请售后”哦~",),
        "damaged": ("亲，商品使用方法可以参考详情页说明哦~",),
        "wrong_item": ("亲，尺码推荐可以参考商品详情页的尺码表哦~",),
        "late_delivery": ("亲，申请退货请在订单页面点击“申请售后”哦~",),
        "missing_parts": ("亲，商品使用方法可以参考详情页说明哦~",),
        "warranty_repair": ("亲，查询物流请点击“我的订单”-“查看物流”哦~",),
        "exchange_size": ("亲，本店新品上架，欢迎进店选购哦~",),
        "cancel_order": ("亲，查询物流请点击“我的订单”-“查看物流”哦~",),
        "invoice_request": ("亲，申请退货请在订单页面点击“申请售后”哦~",),
        "price_adjustment": ("亲，更多活动请关注店铺首页哦~",),
    },
    no_generic=(
        "亲，非常抱歉给您带来不好的体验，请问有什么可以帮您的呢？",
        "亲亲，小助手没有理解您的问题呢，您可以换个说法试试哦~",
        "麻烦亲提供一下订单号哦~",
        "感谢您的咨询！祝您购物愉快~",
        "亲，退换货政策请查看商品详情页哦",
    ),
    reactions={
        "yes": ("谢谢亲", "好的，辛苦了", "好的收到", "行，谢谢", "可以，麻烦了", "好嘞"),
        "partly": ("就只能这样吗？", "行吧，那我等着", "还要等多久啊", "好吧，尽快", "那你们快点"),
        "no": ("转人工", "什么鬼，答非所问", "我要投诉", "你们这机器人听不懂人话吗", "人工！人工！", "无语"),
    },
    closings={
        "yes": ("不客气亲，祝您生活愉快~", "亲，还有其他可以帮您的吗？", "应该的，给您添麻烦了~"),
        "partly": ("亲，一般1-2个工作日内会有结果，请您耐心等待哦", "好的亲，有进展会第一时间通知您~"),
        "no": ("亲，小助手没有理解您的意思呢，您可以换个说法试试哦~", "感谢您的咨询！还有什么可以帮您的吗？"),
    },
    hallucinations={
        "policy": ("亲，本店全场支持180天无理由退货，您放心~", "我们店所有商品都是180天无理由退换的哦"),
        "price_policy": ("本店所有商品都享受180天价保，以后降价也都能退差价哦",),
        "coupon": (
            "另外给您补偿了一张{coupon}无门槛优惠券，已经放到您账户里了",
            "为表歉意，已给您发放{coupon}优惠券，下单自动抵扣哦",
        ),
        "wrong_status": (
            "系统显示您的订单{other_order}已于{other_date}退款成功了哦",
            "系统显示这个订单{other_date}已经取消了",
        ),
        "tracking": (
            "查到包裹已经转{other_courier}配送了，运单号{fake_tracking}，预计{other_date}送达",
            "亲，您的包裹{other_courier}运单号是{fake_tracking}，{other_date}就能到哦",
        ),
        "locker": (
            "亲，包裹已经在{other_date}投放到您家附近的快递柜了，取件码发您手机了哦",
            "物流这边查到{other_date}放进小区快递柜了，您去看看呢",
        ),
        "signed": ("亲，包裹{other_date}已经由门卫代签收了哦", "查询到{other_date}已签收，签收人是本人哦"),
        "warranty": ("亲，{product_ref}享受终身免费保修，随时都可以寄修哦", "我们的{product_ref}都是终身保修的，放心~"),
    },
    contacts=CHINESE_CONTACTS,
    sentence_joiner="",
)

# Mandarin buyers on a cross-border store: they code-switch and paste English from the listing.
MIXED_OPENINGS = {
    "refund": (
        "亲，我要 refund，{product} 根本用不了",
        "refund 什么时候到账啊？order number 是 {order}",
        "这个 {product} 我想 request a refund，怎么操作",
    ),
    "return": (
        "{product} 想 return，support free return 吗？",
        "我已经 submit 了 return request，一直没人处理",
        "How do I return 这个 {product}？不喜欢",
    ),
    "not_received": (
        "tracking 显示 delivered，但我没收到 {product}",
        "我的 package 到底在哪？{order}",
        "{courier} 说 delivered 了，门口什么都没有",
    ),
    "damaged": (
        "{product} 到的时候就 broken 了",
        "box 都压坏了，{product} 有 crack",
        "收到的 {product} 是 damaged 的，can I get a replacement？",
    ),
    "wrong_item": (
        "你们 send 错了，我买的是 {product}",
        "wrong item！订单 {order}",
        "收到的不是 {product}，是 another model",
    ),
    "late_delivery": (
        "{product} 说好 {expected_date} deliver 的，现在还没到",
        "shipping 也太慢了吧，{days} 天了",
        "tracking 一直 in transit，{product} 什么时候到？",
    ),
    "missing_parts": (
        "{product} 少了 {part}，box 里没有",
        "missing parts，{product} 用不了",
        "the {part} is missing，我的 {product} 缺件",
    ),
    "warranty_repair": (
        "{product} 坏了，还在 warranty 里吗",
        "想 send for repair，{product} 开不了机",
        "{product} 用了 {months} 个月就 broken 了，warranty cover 吗？",
    ),
    "exchange_size": (
        "{product} size 不对，想 exchange 成 {new_size}",
        "{size} 太 tight 了，能换 {new_size} 吗",
        "can I exchange 一下 size？{product} 太大了",
    ),
    "cancel_order": (
        "帮我 cancel 一下 order {order}",
        "买错了，cancel 可以吗？还没 ship 吧",
        "{product} 不要了，please cancel",
    ),
    "invoice_request": (
        "需要一张 invoice，公司 reimbursement 用",
        "invoice 可以发我吗？order {order}",
    ),
    "price_adjustment": (
        "{product} 降价了，能 refund the difference 吗",
        "price drop 了，可以 price adjustment 吗？我买的时候 {amount}",
    ),
}
MIXED_GIVE_PHOTO = ("photo 已经 upload 了", "[图片] attached", "我 attach 了两张 photo")
MIXED_IMPATIENT = ("还要多久？I'm in a hurry", "hello？？有人吗", "ok 我等")
MIXED_REACTIONS = {
    "yes": ("thanks 亲", "ok 好的，thank you", "great，谢谢"),
    "partly": ("ok 我等你们 email", "还要等？fine", "那 please 快点"),
    "no": ("这个 answer 完全不 relevant 啊", "可以转 human agent 吗", "I need a real person，转人工"),
}

# Which made-up claims are believable for a scenario: a locker story needs a parcel in transit.
HALLUCINATION_KINDS = {
    "refund": ("policy", "coupon", "wrong_status"),
    "return": ("policy", "coupon", "wrong_status"),
    "not_received": ("locker", "signed", "tracking", "coupon"),
    "damaged": ("coupon", "tracking", "warranty", "policy"),
    "wrong_item": ("tracking", "coupon", "wrong_status"),
    "late_delivery": ("tracking", "locker", "signed", "coupon"),
    "missing_parts": ("tracking", "coupon", "warranty"),
    "warranty_repair": ("warranty", "policy", "coupon"),
    "exchange_size": ("policy", "tracking", "coupon"),
    "cancel_order": ("wrong_status", "coupon", "policy"),
    "invoice_request": ("wrong_status", "coupon"),
    "price_adjustment": ("price_policy", "coupon", "wrong_status"),
}
PHOTO_SCENARIOS = frozenset({"damaged", "wrong_item", "missing_parts", "warranty_repair"})
