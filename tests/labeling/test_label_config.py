"""Label configs: a bad one is refused with the tag named; results are checked against it."""

from __future__ import annotations

import pytest

from projects.labeling.label_config import LabelConfigError, answer_to_result, parse_label_config, result_errors
from tests.factories import TRIAGE_CONFIG

BAD_CONFIGS = {
    "": "empty",
    "<View><Text name='t' value='$text'>": "not valid XML (line 1",
    "<Form><Text name='t' value='$text'/></Form>": "must start with <View>, not <Form>",
    "<View><Text name='t' value='$text'/></View>": "no control tag",
    "<View><Choices name='c' toName='t'><Choice value='a'/></Choices></View>": "no object tag",
    "<View><Text name='t' value='$text'/><Choices name='c' toName='dialog'><Choice value='a'/></Choices></View>": (
        '<Choices name="c">: toName "dialog" names no object tag (object tags: t)'
    ),
    "<View><Text name='t' value='$text'/><Choices name='c'><Choice value='a'/></Choices></View>": (
        '<Choices name="c"> has no toName'
    ),
    "<View><Text name='t' value='$text'/><Choices name='t' toName='t'><Choice value='a'/></Choices></View>": (
        '<Choices name="t">: the name "t" is used by two tags'
    ),
    "<View><Text value='$text'/><Choices name='c' toName='t'><Choice value='a'/></Choices></View>": (
        "<Text> has no name"
    ),
    "<View><Text name='t'/><Choices name='c' toName='t'><Choice value='a'/></Choices></View>": (
        '<Text name="t"> has no value'
    ),
    "<View><Text name='t' value='$text'/><Choices name='c' toName='t'></Choices></View>": (
        '<Choices name="c"> has no <Choice> inside'
    ),
    (
        "<View><Text name='t' value='$text'/>"
        "<Labels name='l' toName='t'><Label value='A'/><Label value='A'/></Labels></View>"
    ): ("<Labels name=\"l\">: Label 'A' appears twice"),
}


@pytest.mark.parametrize("xml", sorted(BAD_CONFIGS))
def test_bad_config_is_refused_naming_the_tag(xml):
    with pytest.raises(LabelConfigError) as error:
        parse_label_config(xml)
    assert BAD_CONFIGS[xml] in str(error.value)


def test_config_lists_the_data_keys_tasks_must_carry():
    config = parse_label_config(TRIAGE_CONFIG)
    assert config.data_keys == ("message", "reply")
    assert config.controls["scenario"].options == ("refund", "not_received", "damaged")
    assert config.controls["scenario"].single_choice


def test_short_gold_answer_becomes_a_label_studio_result():
    config = parse_label_config(TRIAGE_CONFIG)
    result = answer_to_result(config, {"scenario": "refund", "helpfulness": 4})
    assert result == [
        {"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": ["refund"]}},
        {"from_name": "helpfulness", "to_name": "reply", "type": "rating", "value": {"rating": 4}},
    ]
    assert result_errors(config, result) == []


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ([{"from_name": "nope", "to_name": "message", "type": "choices", "value": {"choices": ["refund"]}}], "nope"),
        ([{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": ["lost"]}}], "lost"),
        (
            [
                {
                    "from_name": "scenario",
                    "to_name": "message",
                    "type": "choices",
                    "value": {"choices": ["refund", "damaged"]},
                }
            ],
            "single choice",
        ),
        ([{"from_name": "scenario", "to_name": "reply", "type": "choices", "value": {"choices": ["refund"]}}], "reply"),
        ("refund", "expected a list"),
    ],
)
def test_invalid_results_are_explained(result, problem):
    errors = result_errors(parse_label_config(TRIAGE_CONFIG), result)
    assert errors
    assert problem in " ".join(errors)


def test_project_admin_form_refuses_a_bad_config(db):
    from django.core.exceptions import ValidationError

    from projects.models import LabelingProject

    project = LabelingProject(slug="bad", name="Bad", label_config="<View><Text name='t' value='$x'/></View>")
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "no control tag" in str(error.value)
