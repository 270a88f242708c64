"""A project manager opens a project's dashboard: progress, throughput, quality, the SLA board and costs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from projects.access.roles import PROJECT_MANAGER
from projects.models import Annotation, Batch, LabelingProject, Review, SlaEvent, SlaState, SlaStatus
from projects.reporting.charts import Series, bar_chart, line_chart
from tests.factories import (
    AnnotationFactory,
    AnnotatorFactory,
    BatchFactory,
    ErrorCategoryFactory,
    LabelingProjectFactory,
    TaskFactory,
    UserFactory,
    VendorFactory,
    VendorRateFactory,
)
from tests.quality.simulated_workforce import simulate_batch

pytestmark = pytest.mark.django_db

# ISO week 2026-W47: Monday 16 to Sunday 22 November 2026.
WEEK = "2026-W47"
MONDAY = dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC)


def _scenario(value: str) -> list[dict]:
    return [{"from_name": "scenario", "to_name": "message", "type": "choices", "value": {"choices": [value]}}]


@dataclass
class World:
    project: LabelingProject
    labels: int
    annotated_tasks: int


def make_world(*, tasks_per_vendor: int, slug: str = "triage-dashboard") -> World:
    """Two vendors labeling one project through 2026-W47, each day a few tasks; a third of them gold.

    Lingua misses every other gold task; Huayu none. QA rejects one Lingua label in three ("wrong scenario").
    Lingua's batch is breached, Huayu's on track.
    """
    project = LabelingProjectFactory(slug=slug, name="售后场景分类 Aftersales triage")
    reviewer = UserFactory(username=f"qa-{slug}")
    wrong_scenario = ErrorCategoryFactory(project=project, name="wrong scenario")
    missed_evidence = ErrorCategoryFactory(project=project, name="missed evidence")
    labels = 0
    for vendor_name, vendor_slug, misses in (("Lingua Works", "lingua", True), ("华语数据 Huayu Data", "huayu", False)):
        vendor = VendorFactory(name=vendor_name, slug=f"{vendor_slug}-{slug}")
        VendorRateFactory(vendor=vendor, amount="0.50", valid_from=MONDAY - dt.timedelta(days=30))
        batch = BatchFactory(
            project=project,
            vendor=vendor,
            name=f"{vendor_slug}-w47",
            target_count=tasks_per_vendor * 2,
            due_at=MONDAY + dt.timedelta(days=14),
        )
        annotator = AnnotatorFactory(vendor=vendor, user=UserFactory(username=f"{vendor_slug}-{slug}-annotator"))
        for number in range(tasks_per_vendor):
            is_gold = number % 3 == 0
            task = TaskFactory(
                project=project,
                batch=batch,
                external_id=f"{vendor_slug}-{number}",
                is_gold=is_gold,
                gold_answer=_scenario("refund") if is_gold else None,
            )
            made_at = MONDAY + dt.timedelta(days=number % 7, minutes=number)
            given = "not_received" if misses and is_gold and number % 2 == 0 else "refund"
            annotation = AnnotationFactory(
                task=task,
                annotator=annotator,
                result=_scenario(given),
                lead_time=60.0,
                created_at=made_at,
                updated_at=made_at,
            )
            labels += 1
            if number % 2 == 1:
                rejected = misses and number % 3 == 1
                category = wrong_scenario if number % 4 == 1 else missed_evidence
                review = Review.objects.create(
                    annotation=annotation,
                    reviewer=reviewer,
                    verdict=Review.Verdict.REJECT if rejected else Review.Verdict.ACCEPT,
                    error_category=category if rejected else None,
                    severity=Review.Severity.MAJOR if rejected else None,
                )
                Review.objects.filter(pk=review.pk).update(created_at=made_at + dt.timedelta(hours=2))
        state = SlaState.BREACHED if misses else SlaState.ON_TRACK
        reasons = [{"figure": "gold_accuracy", "message": "Gold accuracy 0.50 is below 0.90."}] if misses else []
        SlaStatus.objects.create(
            batch=batch,
            vendor=vendor,
            state=state,
            since=MONDAY + dt.timedelta(days=3),
            reasons=reasons,
            checked_at=MONDAY + dt.timedelta(days=6),
        )
        if misses:
            SlaEvent.objects.create(
                batch=batch,
                vendor=vendor,
                from_state=SlaState.ON_TRACK,
                to_state=SlaState.BREACHED,
                reasons=reasons,
                created_at=MONDAY + dt.timedelta(days=3),
            )
    return World(project=project, labels=labels, annotated_tasks=labels)


def project_manager(client) -> None:
    user = UserFactory(username="pm", is_staff=True)
    user.groups.add(Group.objects.get(name=PROJECT_MANAGER))
    client.force_login(user)


def dashboard_url(project: LabelingProject) -> str:
    return f"/admin/projects/labelingproject/{project.pk}/dashboard/"


def test_a_project_manager_sees_progress_quality_sla_board_and_costs(client):
    world = make_world(tasks_per_vendor=9)
    project_manager(client)

    response = client.get(dashboard_url(world.project))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<strong>{world.annotated_tasks}</strong> of <strong>36</strong> target tasks annotated" in page
    assert 'data-series="annotated tasks"' in page
    assert 'data-series="planned pace"' in page
    assert page.count('class="bar"') > 0
    # Worst first on the SLA board.
    assert page.index("sla-badge sla-breached") < page.index("sla-badge sla-on_track")
    assert "Gold accuracy 0.50 is below 0.90." in page
    # Lingua: 3 gold tasks (0, 3, 6), misses 0 and 6; Huayu: 3 of 3.
    assert "Lingua Works" in page and "华语数据 Huayu Data" in page
    assert "33%" in page and "100%" in page
    # Costs: 9 labels each at 0.50, Lingua's rejected labels are still paid (no rework sent).
    assert "4.50 USD" in page
    costs = page.split('id="costs"')[1]
    assert ">Kept</th>" in costs and "Per kept label" in costs and "Accepted" not in costs


def test_the_project_list_links_each_dashboard(client):
    world = make_world(tasks_per_vendor=2)
    project_manager(client)

    page = client.get("/admin/projects/labelingproject/").content.decode()

    assert f'href="{dashboard_url(world.project)}"' in page


# The page once its batches are counted and its flags kept (the beat does both): session, user and permissions,
# the project, a stale-batch check before each tally read, progress (plan, first labels, labels), quality (gold,
# reviews), the SLA board, the flag snapshot and the flagged annotators, the open batches, costs (tallies, rates,
# vendors), the overlap policy, and the admin's sidebar.
DASHBOARD_QUERIES = 31


@pytest.mark.parametrize("tasks_per_vendor", [3, 30])
def test_the_dashboard_runs_the_same_queries_however_many_rows(client, tasks_per_vendor):
    world = make_world(tasks_per_vendor=tasks_per_vendor)
    project_manager(client)
    assert client.get(dashboard_url(world.project)).status_code == 200  # counts the batches, keeps the flags

    with CaptureQueriesContext(connection) as queries:
        response = client.get(dashboard_url(world.project))

    assert response.status_code == 200
    assert Annotation.objects.filter(task__project=world.project).count() == 2 * tasks_per_vendor
    assert len(queries) == DASHBOARD_QUERIES, "\n".join(query["sql"][:160] for query in queries)


def test_a_vendor_side_user_cannot_open_the_dashboard(client):
    world = make_world(tasks_per_vendor=2)
    client.force_login(UserFactory(username="outsider", is_staff=True))

    assert client.get(dashboard_url(world.project)).status_code == 403


def test_charts_escape_their_text_and_say_when_empty():
    assert "no data yet" in line_chart([], [], title="Progress")
    assert "no data yet" in bar_chart(["a"], [0.0], title="Labels")
    svg = line_chart(["<d1>", "d2"], [Series("a&b", [1, None])], title="<script>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'data-points="1"' in svg


def test_a_lone_point_shows_as_a_dot_and_grid_lines_fall_on_round_numbers():
    svg = line_chart(["11-24", "11-25", "11-26"], [Series("annotated", [None, 180, None])], title="Progress")
    assert svg.count('class="lone-point"') == 1  # a one-point polyline draws nothing
    joined = line_chart(["a", "b"], [Series("annotated", [1, 2])], title="Progress")
    assert 'class="lone-point"' not in joined
    ticks = line_chart(["a", "b"], [Series("labels", [0, 190])], title="Labels")
    assert ">50<" in ticks and ">150<" in ticks and ">62.5<" not in ticks  # top 200, not 250


def test_an_empty_project_renders(client):
    project = LabelingProjectFactory(slug="empty")
    project_manager(client)

    page = client.get(dashboard_url(project)).content.decode()

    assert "no data yet" in page
    assert "No SLA has been checked for this project yet." in page


def test_the_dashboard_lists_anomaly_flags_with_their_reasons_and_leaves_the_careful_out(client):
    simulated = simulate_batch(seed=11)
    project_manager(client)

    page = client.get(dashboard_url(simulated.project)).content.decode()

    assert "Anomaly flags" in page
    (spammer,) = simulated.annotators_with("spammer")
    (fast_sloppy,) = simulated.annotators_with("fast_sloppy")
    for annotator in (spammer, fast_sloppy):
        assert f"<td>{annotator.user.username}</td>" in page
    assert "straight_lining</span>: scenario: answered &#x27;refund&#x27;" in page
    assert "recent median lead time" in page
    for careful in simulated.annotators_with("careful"):
        assert f"<td>{careful.user.username}</td>" not in page


def _labeled_days(batch, annotators, *, days: int, per_day: int) -> None:
    """`per_day` labels a day by each annotator over the last `days` whole days, one minute of work each."""
    today = dt.datetime.now(dt.UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    for day in range(1, days + 1):
        for annotator in annotators:
            for number in range(per_day):
                made_at = today - dt.timedelta(days=day, minutes=number)
                AnnotationFactory(
                    task=TaskFactory(project=batch.project, batch=batch),
                    annotator=annotator,
                    lead_time=60.0,
                    created_at=made_at,
                    updated_at=made_at,
                )


def test_a_what_if_shows_the_forecast_the_headcount_needed_and_more_annotators(client, django_assert_max_num_queries):
    project = LabelingProjectFactory(slug="what-if", overlap=1)
    vendor = VendorFactory(name="Lingua Works", slug="lingua-what-if")
    batch = BatchFactory(
        project=project,
        vendor=vendor,
        name="w48",
        target_count=500,
        status="in_progress",
        due_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=5),
    )
    Batch.objects.filter(pk=batch.pk).update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=6))
    annotators = [AnnotatorFactory(vendor=vendor) for _ in range(2)]
    _labeled_days(batch, annotators, days=5, per_day=5)  # 10 labels a day; 450 to go
    project_manager(client)

    first = client.get(dashboard_url(project)).content.decode()
    assert f'name="batch" value="{batch.pk}"' in first and "completes" not in first

    with django_assert_max_num_queries(40):
        response = client.get(dashboard_url(project), {"batch": batch.pk, "add_annotators": 8, "hours_per_day": 8})
    page = response.content.decode()

    # Measured: 10 a day leaves 450 labels for 45 days, far past the due date five days out.
    assert "450 labels to go" in page and 'class="misses-due"' in page
    # 60 labels an hour each, 8 hours: 480 a day per annotator; 450 in 5 or 6 days needs 1, already there.
    assert "60.0 labels an hour" in page and "needed" in page
    # Eight more add 3,840 a day: done on the first forecast day, the day after yesterday (the last whole day).
    assert f'class="what-if-completion">{timezone.localdate():%Y-%m-%d}<' in page


def test_a_what_if_with_a_bad_number_says_so(client):
    batch = BatchFactory(status="in_progress")
    project_manager(client)

    page = client.get(dashboard_url(batch.project), {"batch": batch.pk, "add_annotators": "many"}).content.decode()

    assert 'class="errornote"' in page and "add_annotators" in page


def test_a_vendor_without_rates_is_said_to_have_none_not_to_cost_nothing(client):
    project = LabelingProjectFactory(slug="unpriced")
    batch = BatchFactory(project=project, vendor=VendorFactory(name="Rateless Co"))
    AnnotationFactory(task=TaskFactory(project=project, batch=batch), annotator=AnnotatorFactory(vendor=batch.vendor))
    project_manager(client)

    page = client.get(dashboard_url(project)).content.decode()

    assert "no rate set for this vendor" in page
    assert ">0.00 </td>" not in page.split('id="costs"')[1]  # a total of nothing in no currency
