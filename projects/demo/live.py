"""The demo comes alive: push the demo batches to the vendors' local Label Studio servers,
let the simulated annotators label through the API as their own users, pull, then give
QA and the SLA monitor something to show.

One local server per vendor (Label Studio Community has no roles, so a server serves one
vendor), started by `scripts/labelstudio start VENDOR_SLUG PORT` before this runs.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test.utils import override_settings

from projects.audit import Actor
from projects.demo import DEMO
from projects.demo.services import ANNOTATORS, LIVE_BATCH_NAMES, PROJECT_SLUG
from projects.demo.simulation import PROFILES, simulated_answer, simulated_lead_time
from projects.errors import Refusal
from projects.labeling.label_config import answer_to_result, parse_label_config
from projects.labelstudio.accounts import label_studio_email
from projects.labelstudio.client import LabelStudioClient
from projects.labelstudio.push import push_batch
from projects.labelstudio.sync import SyncOutcome, sync_all
from projects.labelstudio.webhooks import ensure_webhook
from projects.models import (
    Annotation,
    AnnotatorAccount,
    Batch,
    LabelingProject,
    LabelStudioConnection,
    LabelStudioProject,
    QASample,
    Task,
    Vendor,
)
from projects.quality.answer_key import load_answer_key
from projects.quality.sampling.review_queue import open_review_queue
from projects.sla.monitor import SlaCheck, check_slas

ROOT = Path(settings.BASE_DIR)
SERVER_SCRIPT = ROOT / "scripts" / "labelstudio"
# Demo vendors and the local port each one's server runs on (the Makefile starts them).
LOCAL_SERVERS = {"lingua-works": 8081, "huayu-data": 8082}
# Share of each batch the simulated workforce labels: last week's batches are done,
# this week's are half-way, so a newcomer finds work left to do in the browser.
LABELED_SHARE = {"2026-W47": 1.0, "2026-W48": 0.5}

Say = Callable[[str], None]


class DemoServerMissing(Refusal):
    pass


@dataclass
class LiveOutcome:
    pushed: int
    labeled: int
    syncs: list[SyncOutcome]
    webhooks: int
    qa_samples: list[QASample]
    sla: SlaCheck
    connections: list[LabelStudioConnection] = field(default_factory=list)


def connect_local_servers() -> list[LabelStudioConnection]:
    """One Community connection per demo vendor, to the server `scripts/labelstudio` runs for it."""
    connections = []
    for vendor_slug, port in LOCAL_SERVERS.items():
        state = settings.VAR_DIR / "labelstudio" / vendor_slug
        token_file = state / "token"
        if not token_file.exists():
            raise DemoServerMissing(
                f"No local Label Studio server for vendor {vendor_slug}: "
                f"start it with `scripts/labelstudio start {vendor_slug} {port}`."
            )
        port = int((state / "port").read_text().strip()) if (state / "port").exists() else port
        connection, _ = LabelStudioConnection.objects.update_or_create(
            name=f"{vendor_slug} (local)",
            defaults={
                "url": f"http://127.0.0.1:{port}",
                "vendor": Vendor.objects.get(slug=vendor_slug),
                "edition": LabelStudioConnection.Edition.COMMUNITY,
                "is_active": True,
            },
        )
        connection.set_token(token_file.read_text().strip())
        connection.save(update_fields=["encrypted_token"])
        connections.append(connection)
    return connections


def push_demo_batches(project: LabelingProject, say: Say) -> int:
    pushed = 0
    for batch in project.batches.filter(name__in=LIVE_BATCH_NAMES).select_related("vendor").order_by("name"):
        result = push_batch(batch=batch, actor=DEMO)
        pushed += result.pushed
        say(f"  pushed {batch.name}: {result.pushed} new tasks → {result.project_url}")
    return pushed


def label_like_the_workforce(project: LabelingProject, *, seed: int, say: Say) -> int:
    """Each profile labels its share of the pushed tasks through the API, as its own Label Studio user.

    Idempotent: tasks that already carry annotations in Label Studio are left alone.
    """
    truth = load_answer_key()
    config = parse_label_config(project.label_config)
    profiles = {item.username: PROFILES[item.profile] for item in ANNOTATORS}
    rng = random.Random(seed)
    made = 0
    for label_studio_project in LabelStudioProject.objects.filter(
        batch__project=project, kind=LabelStudioProject.Kind.LABELING
    ).select_related("batch", "connection"):
        batch: Batch = label_studio_project.batch
        share = next((value for prefix, value in LABELED_SHARE.items() if batch.name.startswith(prefix)), 0.5)
        client = LabelStudioClient.for_connection(label_studio_project.connection)
        accounts = list(
            AnnotatorAccount.objects.filter(connection=label_studio_project.connection)
            .select_related("annotator__user")
            .order_by("annotator__user__username")
        )
        tasks = sorted(client.iter_tasks(label_studio_project.label_studio_id), key=lambda task: task["id"])
        to_label = tasks[: round(len(tasks) * share)]
        before = made
        for task in to_label:
            if task.get("annotations"):
                continue
            external_id = (task.get("meta") or {}).get("external_id") or ""
            answer_key = truth.get(external_id)
            if answer_key is None:
                continue
            prediction = _short_prediction(task)
            for account in rng.sample(accounts, k=min(project.overlap, len(accounts))):
                profile = profiles.get(account.annotator.user.username, PROFILES["steady"])
                answer = simulated_answer(rng, profile, answer_key, prediction)
                client.create_annotation(
                    task["id"],
                    result=answer_to_result(config, answer),
                    completed_by=account.label_studio_user_id,
                    lead_time=simulated_lead_time(rng, profile),
                )
                made += 1
        say(f"  labeled {batch.name}: {made - before} annotations")
    return made


def _short_prediction(task: dict) -> dict[str, str] | None:
    for prediction in task.get("predictions") or []:
        return {
            region["from_name"]: region["value"]["choices"][0]
            for region in prediction.get("result") or []
            if region.get("value", {}).get("choices")
        }
    return None


def set_local_passwords(password: str, say: Say) -> None:
    """Give every demo annotator a Label Studio password (the API cannot set one; the local CLI can)."""
    jobs = [
        (account.connection.vendor.slug, label_studio_email(account.annotator))
        for account in AnnotatorAccount.objects.select_related("annotator__user", "connection__vendor")
        if account.connection.vendor and account.connection.vendor.slug in LOCAL_SERVERS
    ]

    def set_one(job: tuple[str, str]) -> None:
        server, email = job
        subprocess.run([str(SERVER_SCRIPT), "password", server, email, password], check=True, capture_output=True)

    # Each call starts Label Studio's CLI (about 3 s); a few at once.
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(set_one, jobs))
    say(f"  Label Studio passwords set for {len(jobs)} annotators")


def register_webhooks(project: LabelingProject) -> int:
    """Register each of the project's Label Studio projects' webhook; idempotent (`ensure_webhook` finds it)."""
    registered = 0
    for label_studio_project in LabelStudioProject.objects.filter(batch__project=project).select_related("connection"):
        ensure_webhook(LabelStudioClient.for_connection(label_studio_project.connection), label_studio_project)
        registered += label_studio_project.webhook_id is not None
    return registered


def draw_demo_qa_samples(project: LabelingProject, say: Say) -> list[QASample]:
    """Open the review queue (aggregate, draw the QA sample) of each fully labeled batch, as the admin action
    does (the batch id is the seed, the project manager draws); idempotent: a rerun finds the samples drawn."""
    drawn_by = get_user_model().objects.get(username="pm")
    unlabeled = Task.objects.filter(batch_id__in=project.batches.values("pk")).exclude(
        status__in=(Task.Status.ANNOTATED, Task.Status.COMPLETED)
    )
    samples = []
    live_batches = project.batches.filter(name__in=LIVE_BATCH_NAMES)  # the weeks before were reviewed back then
    for batch in live_batches.exclude(pk__in=unlabeled.values("batch_id")).filter(tasks__isnull=False).distinct():
        sample = open_review_queue(batch=batch, actor=Actor.person(drawn_by, via="command demo"))
        say(f"  QA sample of {batch.name}: {sample.items.count()} annotations")
        samples.append(sample)
    return samples


def work_the_demo(project: LabelingProject, *, seed: int, say: Say) -> LiveOutcome:
    """Push, label as the workforce, pull, register the webhooks, draw QA samples and run the SLA monitor once.

    Idempotent: a rerun pushes, labels, draws and records nothing twice.
    """
    # The workforce labels before annotate serves, so a webhook would fail on every label: push and pull
    # without them (the pull brings every label back), and register them once the labels are in.
    with override_settings(ANNOTATE_WEBHOOK_BASE_URL=""):
        say("Pushing the demo batches to each vendor's Label Studio ...")
        pushed = push_demo_batches(project, say)
        say("The simulated annotators label through Label Studio's API ...")
        labeled = label_like_the_workforce(project, seed=seed, say=say)
        say("Pulling the labels back ...")
        syncs = sync_all(actor=DEMO, project_slug=project.slug)
    webhooks = register_webhooks(project)
    if webhooks:
        say(f"  webhooks registered on {webhooks} Label Studio projects")
    say("Aggregating the fully labeled batches and drawing their QA samples ...")
    qa_samples = draw_demo_qa_samples(project, say)
    sla = check_slas(actor=DEMO)
    say(f"SLA monitor: {sla.checked} batches checked, {len(sla.changes)} state changes")
    return LiveOutcome(pushed=pushed, labeled=labeled, syncs=syncs, webhooks=webhooks, qa_samples=qa_samples, sla=sla)


class DemoLabeledOffline(Refusal):
    pass


def bring_demo_to_life(*, password: str, seed: int, say: Say) -> LiveOutcome:
    project = LabelingProject.objects.get(slug=PROJECT_SLUG)
    offline = Annotation.objects.filter(task__batch__in=project.batches.filter(name__in=LIVE_BATCH_NAMES))
    if offline.filter(connection__isnull=True).exists():
        raise DemoLabeledOffline(
            "This demo was labeled without Label Studio (`demo` alone): rebuild it with `demo --reset --label-studio`."
        )
    connections = connect_local_servers()
    outcome = work_the_demo(project, seed=seed, say=say)
    outcome.connections = connections
    if outcome.pushed:  # first run only: a password is set once per user
        say("Setting the annotators' Label Studio passwords ...")
        set_local_passwords(password, say)
    return outcome


def suggested_login(connection: LabelStudioConnection) -> str:
    """The e-mail of an annotator worth watching on the connection: a careful one, else the first by e-mail."""
    careful = [item.username for item in ANNOTATORS if item.profile == "careful"]
    accounts = connection.accounts.order_by("email")
    account = accounts.filter(annotator__user__username__in=careful).first() or accounts.first()
    return account.email if account else "(no annotator yet)"
