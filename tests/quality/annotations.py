"""Label Studio results and annotations as the quality tests write them."""

from __future__ import annotations

from tests.factories import AnnotationFactory


def choice(name: str, value: str, to_name: str = "message") -> dict:
    return {"from_name": name, "to_name": to_name, "type": "choices", "value": {"choices": [value]}}


def label(task, annotator, *regions, **fields):
    return AnnotationFactory(task=task, annotator=annotator, result=list(regions), **fields)
