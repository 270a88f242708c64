"""factory-boy factories for annotate's models, in one place."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from projects.models import Annotation, Annotator, Batch, LabelingProject, Task, Vendor

TRIAGE_CONFIG = """<View>
  <Text name="message" value="$message"/>
  <Text name="reply" value="$reply"/>
  <Choices name="scenario" toName="message" choice="single">
    <Choice value="Refund 退款" alias="refund"/>
    <Choice value="Not received 未收到货" alias="not_received"/>
    <Choice value="Damaged 商品损坏" alias="damaged"/>
  </Choices>
  <Choices name="hallucination" toName="reply" choice="single">
    <Choice value="no"/><Choice value="yes"/>
  </Choices>
  <Rating name="helpfulness" toName="reply" maxRating="5"/>
</View>"""


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda number: f"user{number}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("a-long-test-password")


def member_of(role: str, **fields):
    """A user in one of annotate's role groups (a project manager, a QA reviewer...); `fields` go to UserFactory."""
    from django.contrib.auth.models import Group

    user = UserFactory(**fields)
    user.groups.add(Group.objects.get(name=role))
    return user


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor

    name = factory.Sequence(lambda number: f"Vendor {number}")
    slug = factory.Sequence(lambda number: f"vendor-{number}")
    languages = ["en", "zh"]


class AnnotatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotator

    user = factory.SubFactory(UserFactory)
    vendor = factory.SubFactory(VendorFactory)
    languages = ["en", "zh"]


class LabelingProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabelingProject

    slug = factory.Sequence(lambda number: f"triage-{number}")
    name = factory.Sequence(lambda number: f"Aftersales triage {number}")
    label_config = TRIAGE_CONFIG
    languages = ["en", "zh"]
    status = LabelingProject.Status.ACTIVE


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    project = factory.SubFactory(LabelingProjectFactory)
    name = factory.Sequence(lambda number: f"batch-{number}")
    vendor = factory.SubFactory(VendorFactory)
    target_count = 100
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(LabelingProjectFactory)
    external_id = factory.Sequence(lambda number: f"task-{number}")
    data = factory.LazyFunction(lambda: {"message": "Where is my parcel?", "reply": "It ships tomorrow."})
    language = "en"


class AnnotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotation

    task = factory.SubFactory(TaskFactory)
    annotator = factory.SubFactory(AnnotatorFactory)
    result = factory.LazyFunction(
        lambda: [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": ["refund"]}}]
    )
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


# -- quality -----------------------------------------------------------------------------------------


class ErrorCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.ErrorCategory"
        django_get_or_create = ["project", "name"]

    project = factory.SubFactory(LabelingProjectFactory)
    name = factory.Sequence(lambda number: f"wrong scenario {number}")
    description = "The scenario chosen does not match what the buyer asked for."


class QASampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.QASample"

    batch = factory.SubFactory(BatchFactory)
    seed = factory.Sequence(lambda number: number)


class QASampleItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.QASampleItem"

    sample = factory.SubFactory(QASampleFactory)
    annotation = factory.SubFactory(AnnotationFactory)
    reasons = factory.LazyFunction(lambda: ["base_rate"])


# -- SLA -------------------------------------------------------------------------------------------


class VendorManagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.VendorManager"

    user = factory.SubFactory(UserFactory)
    vendor = factory.SubFactory(VendorFactory)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.SlaPolicy"

    project = factory.SubFactory(LabelingProjectFactory)
    window_days = 7
    grace_hours = 24


class VendorRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "projects.VendorRate"

    vendor = factory.SubFactory(VendorFactory)
    unit = "per_task"
    amount = "0.50"
    currency = "USD"
    valid_from = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=365))
