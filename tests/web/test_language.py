"""A person reads annotate in the language they chose: the switcher's cookie, kept on their account for the next
sign-in; Chinese dates in the vendor's time zone; the browser's language until they choose."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from projects.access.roles import VENDOR_MANAGER
from projects.languages import language_for, remember_language
from projects.models import LanguagePreference, VendorManager
from tests.factories import BatchFactory, UserFactory, VendorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # UserFactory's


@pytest.fixture
def vendor_manager():
    vendor = VendorFactory(name="华语数据 Huayu Data", time_zone="Asia/Shanghai")
    manager = UserFactory(username="manager-huayu")
    manager.groups.add(Group.objects.get(name=VENDOR_MANAGER))
    VendorManager.objects.create(user=manager, vendor=vendor)
    return manager


def test_choosing_chinese_sets_the_cookie_and_keeps_the_choice_on_the_account(client, vendor_manager):
    client.force_login(vendor_manager)

    response = client.post(reverse("set-language"), {"language": "zh-hans", "next": "/"})

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert language_for(vendor_manager) == "zh-hans"
    assert "<h1>我的批次</h1>" in client.get("/").content.decode()


def test_a_language_annotate_does_not_offer_is_not_kept(client, vendor_manager):
    client.force_login(vendor_manager)

    client.post(reverse("set-language"), {"language": "fr", "next": "/"})

    assert not LanguagePreference.objects.exists()
    assert language_for(vendor_manager) == "en"


def test_signing_in_from_another_browser_brings_the_remembered_language_back(client, vendor_manager):
    remember_language(vendor_manager, "zh-hans")

    response = client.post(reverse("login"), {"username": vendor_manager.username, "password": PASSWORD})

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert "退出登录" in client.get("/").content.decode()


def test_a_language_chosen_on_the_login_page_is_kept_once_signed_in(client, vendor_manager):
    client.post(reverse("set-language"), {"language": "zh-hans", "next": reverse("login")})
    assert "<h1>登录</h1>" in client.get(reverse("login")).content.decode()

    client.post(reverse("login"), {"username": vendor_manager.username, "password": PASSWORD})

    assert LanguagePreference.objects.get(user=vendor_manager).language == "zh-hans"


def test_the_browsers_language_serves_until_a_person_chooses(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").content.decode()

    assert '<html lang="zh-hans">' in page and "<h1>登录</h1>" in page
    assert "<h1>Sign in</h1>" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()


def test_due_times_read_in_chinese_in_the_vendors_time_zone(client, vendor_manager):
    vendor = vendor_manager.vendor_manager.vendor
    batch = BatchFactory(vendor=vendor, due_at=dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC))
    client.force_login(vendor_manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    home = client.get("/").content.decode()
    detail = client.get(reverse("portal-batch", args=[batch.pk])).content.decode()

    assert '12月6日 18:00</time> <small class="zone">Asia/Shanghai</small>' in home
    assert '2026年12月6日 18:00</time> <small class="zone">Asia/Shanghai</small>' in detail
    assert "计划中" in home  # the batch's status


def test_the_admin_speaks_djangos_own_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("admin:login")).content.decode()

    assert '<html lang="zh-hans"' in page and "用户名" in page and "密码" in page
