"""The counts on a dataset version's datasheet, gathered while its items stream by during the build.

`DatasetStatistics` counts items per split, language, label and method and the consensus confidence per control;
`as_dict` is what the version stores in `statistics` and the datasheet shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from projects.datasets.consolidation import ADJUDICATION, CORRECTION
from projects.models import ItemConsensus


class DatasetStatistics:
    """Counts gathered while the items stream by, stored on the version for its datasheet."""

    def __init__(self) -> None:
        self.splits: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.split_languages: dict[str, Counter[str]] = defaultdict(Counter)
        self.labels: dict[str, dict[str, dict[str, Counter[str]]]] = defaultdict(
            lambda: defaultdict(lambda: defaultdict(Counter))
        )
        self.methods: Counter[str] = Counter()
        self.confidence_sum: dict[str, float] = defaultdict(float)
        self.confidence_count: Counter[str] = Counter()
        self.aggregated_controls = 0
        self.aggregated_certain = 0

    def add(self, item: dict[str, Any]) -> None:
        split, language = item["split"], item["language"]
        self.splits[split] += 1
        self.languages[language] += 1
        self.split_languages[split][language] += 1
        self.methods[item["method"]] += 1
        for control, value in item["label"].items():
            key = "|".join(map(str, value)) if isinstance(value, list) else str(value)
            self.labels[control][split][language][key] += 1
        for control, entry in item["provenance"]["controls"].items():
            self.confidence_sum[control] += entry["confidence"]
            self.confidence_count[control] += 1
            if entry["method"] not in (CORRECTION, ADJUDICATION, ItemConsensus.Method.GOLD):
                self.aggregated_controls += 1
                self.aggregated_certain += entry["confidence"] >= 0.9

    def as_dict(self) -> dict[str, Any]:
        return {
            "splits": dict(self.splits),
            "languages": dict(self.languages),
            "split_languages": {split: dict(counts) for split, counts in self.split_languages.items()},
            "labels": {
                control: {
                    split: {language: dict(counts) for language, counts in by_language.items()}
                    for split, by_language in by_split.items()
                }
                for control, by_split in self.labels.items()
            },
            "methods": dict(self.methods),
            "agreement": {
                "mean_confidence": {
                    control: round(self.confidence_sum[control] / count, 4)
                    for control, count in self.confidence_count.items()
                },
                "aggregated_labels": self.aggregated_controls,
                "aggregated_share_at_0_9": round(self.aggregated_certain / self.aggregated_controls, 4)
                if self.aggregated_controls
                else None,
            },
        }
