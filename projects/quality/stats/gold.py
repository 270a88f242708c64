"""Scoring an annotation against a gold answer (pure): both are Label Studio result lists."""

from __future__ import annotations


def _answers(result: list[dict]) -> dict[str, object]:
    answers: dict[str, object] = {}
    for region in result or []:
        value = region.get("value") or {}
        name = region.get("from_name")
        if "choices" in value:
            answers[name] = frozenset(value["choices"])
        elif "rating" in value:
            answers[name] = value["rating"]
        elif "labels" in value:
            spans = answers.setdefault(name, set())
            spans.add((value.get("start"), value.get("end"), tuple(value["labels"])))  # type: ignore[union-attr]
    return {name: frozenset(item) if isinstance(item, set) else item for name, item in answers.items()}


def gold_agrees(gold_answer: list[dict], result: list[dict]) -> bool:
    """True when the annotation gives the gold answer on every control the gold answer covers."""
    expected = _answers(gold_answer)
    given = _answers(result)
    return all(given.get(name) == value for name, value in expected.items())
