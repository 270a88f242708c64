"""PII redaction of task data before it reaches a vendor: pure functions, no ORM.

Built-in kinds: e-mail addresses, phone numbers, payment card numbers (Luhn) and
mainland China resident ID numbers (GB 11643 check digit, plausible birth date);
a project may add its own named regex patterns (order numbers and the like).
Each finding is replaced by a mask such as "[PHONE]"; a report counts findings
per kind and per field, never the values.

Mandarin text has no spaces between words, so `\\b` is useless next to Han
characters: numbers are delimited by lookarounds on digits and Latin letters.
Full-width digits (１３８…), which Mandarin keyboards produce, count as digits.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import phonenumbers
from stdnum import luhn
from stdnum.cn import ric

from projects.errors import InputRefused

KINDS = ("email", "phone", "card", "cn_id")
MASKS = {"email": "[EMAIL]", "phone": "[PHONE]", "card": "[CARD]", "cn_id": "[CN_ID]"}
PATTERN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")

_DIGIT = "[0-9０-９]"
# A number must not start or end inside a longer number or a Latin word ("SO13800138000").
_START = "(?<![0-9０-９A-Za-z])"
_END = "(?![0-9０-９A-Za-z])"
_TO_ASCII_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

# Cheap gates, so that most strings are scanned once or twice, not once per kind: e-mails
# need an '@', international phones a '+', every other number kind a run of at least ten
# digits (cards and IDs thirteen) with at most two separators between digits.
_TEN_DIGIT_RUN = re.compile(f"{_DIGIT}(?:[ \\-.)]{{0,2}}{_DIGIT}){{9}}")
_THIRTEEN_DIGIT_RUN = re.compile(f"{_DIGIT}(?:[ \\-]?{_DIGIT}){{12}}")

# The lookbehind makes every match start at the beginning of a local part, so a long
# run of address characters without a domain is scanned once, not once per character.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")

# 18 characters, optionally grouped 6-8-4 (region, birth date, sequence and check).
_CN_ID = re.compile(f"{_START}{_DIGIT}{{6}} ?{_DIGIT}{{8}} ?{_DIGIT}{{3}}[0-9０-９Xx]{_END}")
_OLDEST_BIRTH_YEAR = 1900

# At least 13 digits in groups joined by single spaces or dashes; which groups form a card is decided after.
_DIGIT_RUN = re.compile(f"{_START}{_DIGIT}(?:[ \\-]?{_DIGIT}){{12,}}{_END}")
_GROUP = re.compile(f"{_DIGIT}+")
_CARD_DIGITS = range(13, 20)

# International numbers start with '+' (or "(+86)"): digit groups, parsed by phonenumbers.
# Groups are always split by a separator, so a long digit run is matched one way only.
_INTERNATIONAL = re.compile(
    f"(?<![0-9０-９A-Za-z+＋])(?:\\( ?)?[+＋]{_DIGIT}+(?:(?:[ \\-.]|\\s?\\(|\\)[ \\-.]?){_DIGIT}+)*\\)?{_END}"
)
_MAX_E164_DIGITS = 15
_NATIONAL_PHONE = re.compile(
    f"{_START}(?:"
    # Mainland China mobile: 1[3-9]X XXXX XXXX, unbroken or grouped 3-4-4 by spaces or dashes.
    f"[1１][3-9３-９]{_DIGIT}(?:{_DIGIT}{{8}}|([ \\-]){_DIGIT}{{4}}\\1{_DIGIT}{{4}})"
    # Mainland China landline with its area code: 010-12345678, 0755-1234567.
    f"|[0０]{_DIGIT}{{2,3}}-{_DIGIT}{{7,8}}"
    # North American numbers written with separators: (415) 555-0134, 415-555-0134, 415.555.0134.
    f"|(?:\\([2-9]{_DIGIT}{{2}}\\) ?|[2-9]{_DIGIT}{{2}}[\\-.]){_DIGIT}{{3}}[\\-.]{_DIGIT}{{4}}"
    f"){_END}"
)


class RedactionConfigError(InputRefused, ValueError):
    """The project's redaction config cannot be applied."""


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]

    @property
    def mask(self) -> str:
        return f"[{self.name.upper()}]"


@dataclass(frozen=True)
class RedactionPolicy:
    kinds: frozenset[str]
    patterns: tuple[Pattern, ...] = ()

    @property
    def is_off(self) -> bool:
        return not self.kinds and not self.patterns

    @property
    def names(self) -> list[str]:
        """The built-in kinds, then the project's pattern names, that this policy masks."""
        return [kind for kind in KINDS if kind in self.kinds] + [pattern.name for pattern in self.patterns]


@dataclass(slots=True)  # not frozen: it is built for every imported task, and frozen init is slower
class RedactedData:
    data: object
    # (field path, kind) → how many values were masked; field paths write list items as "[]".
    findings: dict[tuple[str, str], int]

    @property
    def changed(self) -> bool:
        return bool(self.findings)


@dataclass
class RedactionReport:
    """What one import redacted, as counts only: safe to store and show."""

    tasks: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    fields: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, redacted: RedactedData) -> None:
        if not redacted.findings:
            return
        self.tasks += 1
        for (path, kind), count in redacted.findings.items():
            self.kinds[kind] += count
            self.fields.setdefault(path, Counter())[kind] += count

    @property
    def values(self) -> int:
        return sum(self.kinds.values())

    def as_json(self) -> dict:
        return {
            "tasks": self.tasks,
            "values": self.values,
            "kinds": dict(sorted(self.kinds.items())),
            "fields": {path: dict(sorted(counts.items())) for path, counts in sorted(self.fields.items())},
        }


def parse_policy(config: object) -> RedactionPolicy:
    """Turn a project's redaction JSON into a policy, or raise RedactionConfigError saying what is wrong.

    {} means every built-in kind and no patterns; without "kinds" every built-in
    kind applies; "kinds": [] switches the built-in kinds off.
    """
    if config is None or config == {}:
        return RedactionPolicy(kinds=frozenset(KINDS))
    if not isinstance(config, dict):
        raise RedactionConfigError(f'expected a JSON object like {{"kinds": [...], "patterns": [...]}}, got {config!r}')
    unknown_keys = sorted(set(config) - {"kinds", "patterns"})
    if unknown_keys:
        raise RedactionConfigError(f"unknown key {unknown_keys[0]!r}; use 'kinds' and 'patterns'")
    kinds = config.get("kinds", list(KINDS))
    if not isinstance(kinds, list) or not all(isinstance(kind, str) for kind in kinds):
        raise RedactionConfigError(f"'kinds' must be a list of names from {', '.join(KINDS)}")
    for kind in kinds:
        if kind not in KINDS:
            raise RedactionConfigError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    raw_patterns = config.get("patterns", [])
    if not isinstance(raw_patterns, list):
        raise RedactionConfigError('\'patterns\' must be a list of {"name": ..., "regex": ...}')
    patterns: list[Pattern] = []
    for position, raw in enumerate(raw_patterns, start=1):
        patterns.append(_parse_pattern(position, raw, taken={*KINDS, *(pattern.name for pattern in patterns)}))
    return RedactionPolicy(kinds=frozenset(kinds), patterns=tuple(patterns))


def _parse_pattern(position: int, raw: object, *, taken: set[str]) -> Pattern:
    where = f"pattern {position}"
    if not isinstance(raw, dict) or set(raw) != {"name", "regex"}:
        raise RedactionConfigError(f'{where}: expected {{"name": "order_no", "regex": "..."}}, got {raw!r}')
    name, regex = raw["name"], raw["regex"]
    if not isinstance(name, str) or not PATTERN_NAME.fullmatch(name):
        raise RedactionConfigError(f"{where}: name {name!r} must be a letter then letters, digits or '_'")
    name = name.lower()
    if name in taken:
        raise RedactionConfigError(f"{where}: the name {name!r} is already taken")
    if not isinstance(regex, str) or not regex:
        raise RedactionConfigError(f"{where} ({name}): 'regex' must be a non-empty string")
    try:
        compiled = re.compile(regex)
    except re.error as error:
        raise RedactionConfigError(f"{where} ({name}): the regex does not compile: {error}") from None
    if compiled.fullmatch(""):
        raise RedactionConfigError(f"{where} ({name}): the regex matches empty text, so it would mask everywhere")
    return Pattern(name=name, regex=compiled)


def redact_data(data: object, policy: RedactionPolicy) -> RedactedData:
    """Mask every finding in every string of a task's data, however nested; the input is not changed."""
    findings: dict[tuple[str, str], int] = {}
    redacted = _redact_value(data, "", policy, findings)
    return RedactedData(data=redacted, findings=findings)


def _redact_value(value: object, path: str, policy: RedactionPolicy, findings: dict[tuple[str, str], int]) -> object:
    if isinstance(value, str):
        text, counts = redact_text(value, policy)
        if counts:
            _add_findings(findings, path, counts)
        return text
    if isinstance(value, dict):
        redacted: dict[object, object] = {}
        for key, item in value.items():
            if isinstance(item, str):
                # Most task data is a flat dict of strings: this inlined case keeps imports fast.
                text, counts = redact_text(item, policy)
                if counts:
                    _add_findings(findings, _field_path(path, key), counts)
                redacted[key] = text
            else:
                redacted[key] = _redact_value(item, _field_path(path, key), policy, findings)
        return redacted
    if isinstance(value, list):
        return [_redact_value(item, f"{path}[]", policy, findings) for item in value]
    return value


def _field_path(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _add_findings(findings: dict[tuple[str, str], int], path: str, counts: dict[str, int]) -> None:
    for kind, count in counts.items():
        findings[(path, kind)] = findings.get((path, kind), 0) + count


def redact_text(text: str, policy: RedactionPolicy) -> tuple[str, dict[str, int]]:
    """Return the text with every finding masked, and the count per kind."""
    counts: dict[str, int] = {}
    for pattern in policy.patterns:
        text = _masked(pattern.regex, text, _always(pattern.mask), pattern.mask, pattern.name, counts)
    kinds = policy.kinds
    if "email" in kinds and "@" in text:
        text = _masked(_EMAIL, text, lambda match: MASKS["email"], MASKS["email"], "email", counts)
    if "phone" in kinds and ("+" in text or "＋" in text):
        text = _masked(_INTERNATIONAL, text, _international_mask, MASKS["phone"], "phone", counts)
    long_run = _TEN_DIGIT_RUN.search(text)
    if long_run is None:
        return text, counts
    # Nothing to find before the first long run (or the '(' of an area code just before
    # it): later scans start there, the common case being one order number near the end.
    start = max(long_run.start() - 1, 0)
    # Longest numbers first, so a phone shape is never looked for inside an ID or a card.
    if _THIRTEEN_DIGIT_RUN.search(text, start):
        if "cn_id" in kinds:
            text = _masked(_CN_ID, text, _cn_id_mask, MASKS["cn_id"], "cn_id", counts)
        if "card" in kinds:
            text = _masked(_DIGIT_RUN, text, _card_mask, MASKS["card"], "card", counts)
    if "phone" in kinds and _NATIONAL_PHONE.search(text, start):
        text = _masked(_NATIONAL_PHONE, text, lambda match: MASKS["phone"], MASKS["phone"], "phone", counts)
    return text, counts


def _always(mask: str) -> Callable[[re.Match[str]], str]:
    """A mask function that puts the same token in for every match."""
    return lambda match: mask


def _masked(
    regex: re.Pattern[str],
    text: str,
    mask: Callable[[re.Match[str]], str | None],
    token: str,
    kind: str,
    counts: dict[str, int],
) -> str:
    """Replace each match by mask(match), or keep it when mask returns None; count the tokens put in."""
    found = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal found
        replacement = mask(match)
        if replacement is None:
            return match.group()
        found += replacement.count(token)
        return replacement

    text = regex.sub(replace, text)
    if found:
        counts[kind] = counts.get(kind, 0) + found
    return text


def _cn_id_mask(match: re.Match[str]) -> str | None:
    return MASKS["cn_id"] if is_cn_id(match.group()) else None


def is_cn_id(candidate: str) -> bool:
    """An 18-character mainland China resident ID: GB 11643 check character and a plausible birth date."""
    number = candidate.replace(" ", "").translate(_TO_ASCII_DIGITS).upper()
    if len(number) != 18 or not number[:17].isdigit() or ric.calc_check_digit(number) != number[17]:
        return False
    try:
        birth_date = ric.get_birth_date(number)
    except ValueError:  # stdnum's InvalidComponent: no such calendar date
        return False
    return birth_date.year >= _OLDEST_BIRTH_YEAR and birth_date <= datetime.date.today()


def _card_mask(match: re.Match[str]) -> str | None:
    # A run like "2 4111 1111 1111 1111" holds a card after a quantity: try every
    # stretch of whole groups, longest first from the left, and keep the rest as it was.
    run = match.group()
    groups = [(group.start(), group.end()) for group in _GROUP.finditer(run)]
    digits_of = [run[start:end].translate(_TO_ASCII_DIGITS) for start, end in groups]
    if sum(map(len, digits_of)) < _CARD_DIGITS.start:
        return None
    pieces: list[str] = []
    kept_to = 0
    first = 0
    while first < len(groups):
        last = _longest_card_from(digits_of, first)
        if last is None:
            first += 1
            continue
        pieces.append(run[kept_to : groups[first][0]])
        pieces.append(MASKS["card"])
        kept_to = groups[last][1]
        first = last + 1
    if not pieces:
        return None
    pieces.append(run[kept_to:])
    return "".join(pieces)


def _longest_card_from(digits_of: list[str], first: int) -> int | None:
    best = None
    number = ""
    for last in range(first, len(digits_of)):
        number += digits_of[last]
        if len(number) > _CARD_DIGITS.stop - 1:
            break
        if len(number) in _CARD_DIGITS and is_card_number(number):
            best = last
    return best


def is_card_number(digits: str) -> bool:
    """13 to 19 digits from a major card network (Visa, Mastercard, Amex, UnionPay, JCB, Discover...), Luhn-valid.

    The network prefix keeps long order numbers that pass Luhn by chance (one in ten)
    from being masked: those usually start with a year or a 1.
    """
    if not (digits[0] in "3456" or 2221 <= int(digits[:4]) <= 2720):
        return False
    return luhn.is_valid(digits)


def _international_mask(match: re.Match[str]) -> str | None:
    # The run may carry a number after the phone ("+44 20 7946 0958 12 items"): try the
    # longest leading groups first, down to the first, until phonenumbers finds a number
    # of a possible length.
    text = match.group()
    prefixes: list[tuple[str, int]] = []
    digits = ""
    for group in _GROUP.finditer(text):
        digits += group.group().translate(_TO_ASCII_DIGITS)
        if len(digits) > _MAX_E164_DIGITS:
            break
        prefixes.append((digits, group.end()))
    for digits, end in reversed(prefixes):
        if _is_possible_phone("+" + digits):
            if text.startswith("(") and text[end : end + 1] == ")":
                end += 1
            return MASKS["phone"] + text[end:]
    return None


def _is_possible_phone(number: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False
