"""Scoring an annotation against a gold answer (pure): both are Label Studio result lists."""

from __future__ import annotations


def _answers(result: list[dict]) -> dict[str | None, object]:
    answers: dict[str | None, object] = {}
    for region in result or []:
        value = region.get("value") or {}
        name = region.get("from_name")
        if "choices" in value:
            answers[name] = frozenset(value["choices"])
        elif "rating" in value:
            answers[name] = value["rating"]
        elif "labels" in value:
            spans = answers.setdefault(name, set())
            assert isinstance(spans, set), f"control {name!r} gives labels and another kind of answer"
            spans.add((value.get("start"), value.get("end"), tuple(value["labels"])))
    return {name: frozenset(item) if isinstance(item, set) else item for name, item in answers.items()}


def gold_agrees(gold_answer: list[dict], result: list[dict]) -> bool:
    """True when the annotation gives the gold answer on every control the gold answer covers."""
    expected = _answers(gold_answer)
    given = _answers(result)
    return all(given.get(name) == value for name, value in expected.items())
