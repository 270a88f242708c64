"""A project manager opens a project's dashboard in the admin, then the weekly report page the command wrote."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from playwright.sync_api import expect

from projects.access.roles import PROJECT_MANAGER
from tests.admin.test_dashboard import WEEK, make_world
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"  # UserFactory's


def test_a_project_manager_reads_the_dashboard_charts_and_the_weekly_report(live_server, page, screenshot, tmp_path):
    world = make_world(tasks_per_vendor=12)
    manager = UserFactory(username="pm.zhang", is_staff=True, first_name="张伟")
    manager.groups.add(Group.objects.get(name=PROJECT_MANAGER))

    page.goto(f"{live_server.url}/admin/login/?next=/admin/projects/labelingproject/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{live_server.url}/admin/projects/labelingproject/{world.project.pk}/dashboard/")

    expect(page.locator("#progress .headline")).to_contain_text("24 of 48 target tasks annotated")
    progress = page.locator(".chart-progress svg")
    expect(progress.locator('polyline[data-series="annotated tasks"]')).to_have_count(1)
    expect(progress.locator('polyline[data-series="planned pace"]')).to_have_count(1)
    assert int(progress.locator('polyline[data-series="annotated tasks"]').get_attribute("data-points")) > 7
    bars = page.locator(".chart-throughput svg rect.bar")
    assert bars.count() > 7
    assert sum(float(bars.nth(index).get_attribute("data-value")) for index in range(bars.count())) == 24
    expect(page.locator("#sla-board .sla-badge").first).to_have_text("Breached")
    expect(page.locator("#quality .quality-row")).to_have_count(2)
    expect(page.locator("#costs .cost-row")).to_have_count(2)
    screenshot(page, "1-dashboard")

    call_command("report", world.project.slug, "--week", WEEK, "--output", str(tmp_path))
    page.goto((tmp_path / f"{world.project.slug}-{WEEK}.html").as_uri())

    expect(page.locator("h1")).to_have_text("售后场景分类 Aftersales triage")
    expect(page.locator("#annotated strong")).to_have_text("24")
    week_bars = page.locator(".chart-week svg rect.bar")
    expect(week_bars).to_have_count(7)
    assert [float(week_bars.nth(day).get_attribute("data-value")) for day in range(7)] == [4, 4, 4, 4, 4, 2, 2]
    expect(page.locator(".chart-errors svg rect.bar")).to_have_count(2)
    expect(page.locator(".chart-progress svg polyline.series")).to_have_count(2)
    expect(page.locator("#sla-events tbody tr")).to_have_count(1)
    expect(page.locator("#risks li")).to_contain_text("Gold accuracy 0.50 is below 0.90.")
    screenshot(page, "2-weekly-report")
