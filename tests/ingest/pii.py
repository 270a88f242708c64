"""Made-up PII for redaction tests, with check digits computed here, independently of the code under test."""

from __future__ import annotations

# GB 11643-1999: the weight of position i (from the left, 0-based) is 2^(17 - i) mod 11.
GB11643_WEIGHTS = [2 ** (17 - position) % 11 for position in range(17)]


def luhn_complete(partial: str) -> str:
    """The card number made of `partial` followed by its Luhn check digit."""
    total = 0
    # Once the check digit is appended, every second digit from the right of `partial` is doubled.
    for position, character in enumerate(reversed(partial)):
        digit = int(character)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return partial + str((10 - total % 10) % 10)


def luhn_broken(partial: str) -> str:
    """The same number with a wrong check digit."""
    valid = luhn_complete(partial)
    return valid[:-1] + str((int(valid[-1]) + 1) % 10)


def cn_id(region: str, birth_date: str, sequence: str) -> str:
    """A mainland China resident ID: 6-digit region, YYYYMMDD, 3-digit sequence, check character."""
    body = region + birth_date + sequence
    assert len(body) == 17
    remainder = sum(int(digit) * weight for digit, weight in zip(body, GB11643_WEIGHTS, strict=True)) % 11
    check = (12 - remainder) % 11
    return body + ("X" if check == 10 else str(check))


def cn_id_broken(region: str, birth_date: str, sequence: str) -> str:
    valid = cn_id(region, birth_date, sequence)
    wrong = "0" if valid[-1] in "X9" else str(int(valid[-1]) + 1)
    return valid[:-1] + wrong


def spaced(number: str, groups: tuple[int, ...], separator: str = " ") -> str:
    """'4111111111111111', (4, 4, 4, 4) → '4111 1111 1111 1111'."""
    pieces = []
    start = 0
    for size in groups:
        pieces.append(number[start : start + size])
        start += size
    assert start == len(number)
    return separator.join(pieces)


VISA = luhn_complete("411111111111111")
MASTERCARD = luhn_complete("555555555555444")
AMEX = luhn_complete("37828224631000")
UNIONPAY_19 = luhn_complete("622202100112345678")
BEIJING_ID = cn_id("110105", "19491231", "002")
SHANGHAI_ID = cn_id("310104", "19880615", "317")
SHENZHEN_ID = cn_id("440305", "20000229", "021")  # a leap day
