"""A new project can reject from its first review: it starts with the default error taxonomy."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from projects.access.roles import PROJECT_MANAGER
from projects.models import ErrorCategory, LabelingProject
from projects.quality.review.taxonomy import DEFAULT_ERROR_CATEGORIES, ensure_default_error_categories
from tests.access.admin_forms import change_form_data
from tests.factories import ErrorCategoryFactory, LabelingProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

LABEL_CONFIG = """<View><Text name="message" value="$message"/>
<Choices name="scenario" toName="message"><Choice value="refund"/><Choice value="return"/></Choices></View>"""


def test_a_project_created_in_the_admin_starts_with_five_error_categories(client):
    manager = UserFactory(username="pat", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    client.force_login(manager)
    page = client.get("/admin/projects/labelingproject/add/")
    assert "a sample needs at least 73 clean reviews to accept" in page.content.decode()
    data = change_form_data(page) | {"slug": "refunds", "name": "Refunds", "label_config": LABEL_CONFIG}

    saved = client.post("/admin/projects/labelingproject/add/", data)

    assert saved.status_code == 302, saved.context["adminform"].form.errors if saved.context else saved
    project = LabelingProject.objects.get(slug="refunds")
    names = list(ErrorCategory.objects.filter(project=project, active=True).values_list("name", flat=True))
    assert sorted(names) == sorted(name for name, _ in DEFAULT_ERROR_CATEGORIES)
    assert len(names) == 5 and "Wrong label" in names and "Other" in names


def test_a_project_with_its_own_categories_keeps_them(triage_project):
    ErrorCategoryFactory(project=triage_project, name="wrong scenario")
    assert ensure_default_error_categories(project=triage_project) == []
    assert list(triage_project.error_categories.values_list("name", flat=True)) == ["wrong scenario"]


def test_the_project_form_says_how_many_clean_reviews_its_aql_needs(client):
    manager = UserFactory(username="pat", is_staff=True, is_superuser=True)
    client.force_login(manager)
    project = LabelingProjectFactory(acceptable_quality_level="0.100")
    page = client.get(f"/admin/projects/labelingproject/{project.pk}/change/").content.decode()
    assert "With AQL 10.0%, a sample needs at least 35 clean reviews to accept." in page
