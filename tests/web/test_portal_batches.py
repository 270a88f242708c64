"""What the portal tells a vendor about a batch: the vendor's time zone, QA's reason for a rejection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects.access.roles import PROJECT_MANAGER, VENDOR_MANAGER
from projects.models import BatchDecision, Vendor, VendorManager
from tests.factories import BatchFactory, UserFactory, VendorFactory
from tests.web.review_world import build_review_world

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["Asia/Shanghai", "Europe/Berlin", "UTC"])
def test_a_vendor_time_zone_is_an_iana_name(name):
    VendorFactory(time_zone=name).full_clean()


@pytest.mark.parametrize("name", ["Mars/Olympus", "CST+8", "", "asia/shanghai "])
def test_a_time_zone_that_is_not_an_iana_name_is_refused(name):
    with pytest.raises(ValidationError) as refused:
        VendorFactory(time_zone=name).full_clean()
    assert "time_zone" in refused.value.message_dict


def test_a_new_vendor_reads_times_in_utc():
    assert Vendor.objects.create(name="Acme", slug="acme").time_zone == "UTC"


def test_the_admin_refuses_a_time_zone_it_cannot_read(client):
    manager = UserFactory(username="pm", is_staff=True)
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    client.force_login(manager)
    form = {"name": "华语数据 Huayu Data", "slug": "huayu", "languages": '["zh"]', "daily_capacity": 100}

    refused = client.post(reverse("admin:projects_vendor_add"), {**form, "time_zone": "Beijing"})
    saved = client.post(reverse("admin:projects_vendor_add"), {**form, "time_zone": "Asia/Shanghai"})

    assert "is not an IANA time zone name" in refused.content.decode()
    assert saved.status_code == 302
    assert Vendor.objects.get(slug="huayu").time_zone == "Asia/Shanghai"


def test_a_vendor_manager_reads_due_times_in_their_vendors_zone_and_another_vendors_batch_is_not_found(client):
    vendor = VendorFactory(time_zone="America/Sao_Paulo")
    batch = BatchFactory(vendor=vendor, due_at=dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC))
    rival = BatchFactory()
    manager = UserFactory()
    manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))
    VendorManager.objects.create(user=manager, vendor=vendor)
    client.force_login(manager)

    page = client.get(reverse("portal-batch", args=[batch.pk])).content.decode()

    assert 'Jul 1, 2026 09:00</time> <small class="zone">America/Sao_Paulo</small>' in page
    assert client.get(reverse("portal-batch", args=[rival.pk])).status_code == 404


def test_the_reviewer_deciding_a_batch_leaves_a_comment_for_the_vendor(client):
    world = build_review_world()
    client.force_login(world.project_manager)
    for item in world.sample.items.all():
        client.post(reverse("review-queue", args=[world.batch.pk]), {"item": item.pk, "verdict": "accept"})

    client.post(
        reverse("review-decide", kwargs={"batch_id": world.batch.pk}), {"comment": "  Clean work, thank you.  "}
    )

    assert BatchDecision.objects.get(batch=world.batch).comment == "Clean work, thank you."
