"""Language of a task's text: English, Chinese, mixed or other, from character counts."""

from __future__ import annotations

import re
from collections.abc import Iterable

# CJK Unified Ideographs with Extension A and the compatibility block: enough for
# Mandarin customer-service text in simplified or traditional script.
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

# A Mandarin message that names one English product ("AirPods 不见了") is still
# Mandarin; it is mixed only when each script carries a real share of the words.
MINORITY_SHARE_FOR_MIXED = 0.2


def detect_language(texts: Iterable[str]) -> str:
    """Return "en", "zh", "mixed" or "other" for the given texts taken together.

    Each Han character counts as one word (Mandarin has no spaces); each Latin
    word of two letters or more counts as one.
    """
    han = 0
    latin = 0
    for text in texts:
        for run in HAN_RUN.findall(text):
            han += len(run)
        latin += len(LATIN_WORD.findall(text))
    total = han + latin
    if total == 0:
        return "other"
    han_share = han / total
    if han_share >= 1 - MINORITY_SHARE_FOR_MIXED:
        return "zh"
    if han_share <= MINORITY_SHARE_FOR_MIXED:
        return "en"
    return "mixed"


def texts_of(value: object) -> Iterable[str]:
    """Every string inside a task's data, however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts_of(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_of(item)
