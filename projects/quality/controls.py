"""The controls of a project's label config that the quality use cases compare, with their label types: gold
scores and agreement take the choice, span and rating controls; consensus, adjudication and QA sampling the
choice and rating controls (spans are compared, not aggregated); free text is reviewed, not compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from defusedxml import ElementTree

from projects.labeling.label_config import cached_label_config
from projects.models import LabelingProject
from projects.quality.stats.comparison import DEFAULT_MAX_RATING, LabelType, label_type

# Label types with a score against gold and an agreement statistic; free text is reviewed, not compared.
PASS_KINDS = (LabelType.SINGLE_CHOICE, LabelType.MULTIPLE_CHOICE, LabelType.SPANS, LabelType.RATING)
# Label types with one consensus label per item; spans are compared, not aggregated.
AGGREGATED_TYPES = (LabelType.SINGLE_CHOICE, LabelType.MULTIPLE_CHOICE, LabelType.RATING)


@dataclass(frozen=True)
class Control:
    name: str
    kind: LabelType
    options: tuple[str, ...] = ()
    max_rating: int = DEFAULT_MAX_RATING


def project_controls(project: LabelingProject) -> dict[str, Control]:
    """The project's controls that annotate compares, with their label types, in config order."""
    config = cached_label_config(project.label_config)
    max_ratings = {
        element.get("name"): int(element.get("maxRating", DEFAULT_MAX_RATING))
        for element in ElementTree.fromstring(project.label_config).iter("Rating")
    }
    controls = {}
    for name, tag in config.controls.items():
        kind = label_type(tag)
        if kind is not None:
            controls[name] = Control(name, kind, tag.options, max_ratings.get(name, DEFAULT_MAX_RATING))
    return controls
