"""The demo: a bilingual aftersales project with two vendors, six annotators and gold tasks."""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from projects.access.grants import grant_role
from projects.access.roles import ANNOTATOR, PROJECT_MANAGER, QA_REVIEWER, VENDOR_MANAGER, ensure_roles
from projects.demo import DEMO
from projects.demo.conversations import Conversation, generate_conversations
from projects.demo.history import DemoPerson, import_history
from projects.demo.simulation import model_prediction
from projects.ingest.services import import_tasks
from projects.labeling.label_config import LabelConfig, answer_to_result, parse_label_config
from projects.models import Annotator, Batch, LabelingProject, SlaPolicy, Vendor, VendorManager, VendorRate
from projects.quality.answer_key import default_answer_key_path
from projects.quality.review.taxonomy import ensure_default_error_categories

DEMO_DIR = Path(__file__).parent
PROJECT_SLUG = "aftersales-cs"
MODEL_VERSION = "triage-bot-2026.11"


@dataclass(frozen=True)
class DemoAnnotator:
    username: str
    full_name: str
    vendor_slug: str
    languages: tuple[str, ...]
    # How the simulated annotator labels (used when the demo labels through Label Studio).
    profile: str
    hourly_cost: Decimal


VENDORS = (
    {"slug": "lingua-works", "name": "Lingua Works", "languages": ["en", "zh"], "daily_capacity": 400},
    {"slug": "huayu-data", "name": "Huayu Data 华语数据", "languages": ["zh", "en"], "daily_capacity": 600},
)
# What each vendor charges (unit, amount, currency): one prices by the task, the other by the hour.
VENDOR_RATES = {
    "lingua-works": (VendorRate.Unit.PER_TASK, Decimal("0.12"), "USD"),
    "huayu-data": (VendorRate.Unit.PER_HOUR, Decimal("9.50"), "USD"),
}
# The rates start this long before the demo is built, so every simulated label is priced.
RATES_VALID_FOR = dt.timedelta(days=45)
# The project's SLA: a week from push to labels, and quality floors the spammer's vendor should struggle with.
# Throughput is left unchecked: nobody labels a demo left idle, and the due-date forecast already watches pace.
# No agreement floor: the simulated workforce agrees little everywhere (alpha about 0.2 on its weakest control,
# careful vendor included), so a floor would breach every batch and hide the vendor the spammer drags down.
SLA_POLICY = {
    "turnaround_hours": 168,
    "min_gold_accuracy": Decimal("0.800"),
    "min_qa_acceptance": Decimal("0.900"),
    "window_days": 7,
    "grace_hours": 24,
}
ANNOTATORS = (
    DemoAnnotator("alice.chen", "Alice Chen", "lingua-works", ("en", "zh"), "careful", Decimal("18.00")),
    DemoAnnotator("ben.okafor", "Ben Okafor", "lingua-works", ("en",), "steady", Decimal("16.50")),
    DemoAnnotator("carla.diaz", "Carla Diaz", "lingua-works", ("en",), "fast_sloppy", Decimal("15.00")),
    DemoAnnotator("wang.fang", "王芳 Wang Fang", "huayu-data", ("zh", "en"), "careful", Decimal("9.00")),
    DemoAnnotator("li.wei", "李伟 Li Wei", "huayu-data", ("zh",), "spammer", Decimal("7.50")),
    DemoAnnotator("zhou.min", "周敏 Zhou Min", "huayu-data", ("zh",), "steady", Decimal("8.00")),
)
STAFF = (("pm", "Pat Morgan", True, PROJECT_MANAGER), ("qa", "Quinn Avery", False, QA_REVIEWER))
# One vendor manager per vendor: they see their own vendor's batches and team in the portal.
VENDOR_MANAGERS = (("mia.ross", "Mia Ross", "lingua-works"), ("zhang.lei", "张磊 Zhang Lei", "huayu-data"))
BATCHES = (
    ("2026-W47 Lingua Works", "lingua-works", 5),
    ("2026-W47 Huayu Data", "huayu-data", 6),
    ("2026-W48 Lingua Works", "lingua-works", 12),
    ("2026-W48 Huayu Data", "huayu-data", 13),
)
# The batches labeled through the vendors' servers (or offline); the weeks before them come from history.py.
LIVE_BATCH_NAMES = tuple(name for name, _, _ in BATCHES)


@dataclass
class DemoResult:
    project: LabelingProject
    created: bool
    password: str
    logins: list[tuple[str, str]] = field(default_factory=list)


def demo_password() -> str:
    """The demo accounts' password: DEMO_PASSWORD, else one made on first use and kept in var/."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD
    stored = settings.VAR_DIR / "demo-password"
    if not stored.exists():
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_text(f"demo-{secrets.token_urlsafe(9)}\n")
        stored.chmod(0o600)
    return stored.read_text().strip()


def _gold_answer(conversation: Conversation) -> dict[str, str]:
    return {
        "scenario": conversation.scenario,
        "resolved": conversation.resolved,
        "hallucination": conversation.hallucination,
    }


def _task_line(conversation: Conversation, is_gold: bool, config: LabelConfig, rng: random.Random) -> str:
    row: dict = {"external_id": conversation.external_id, "dialogue": conversation.turns}
    if is_gold:
        row["gold_answer"] = _gold_answer(conversation)
    else:
        # The triage model's guess, shown to annotators as a pre-annotation.
        answer, score = model_prediction(rng, _gold_answer(conversation))
        row["predictions"] = [
            {"model_version": MODEL_VERSION, "score": score, "result": answer_to_result(config, answer)}
        ]
    return json.dumps(row, ensure_ascii=False)


def answer_key_path() -> Path:
    return default_answer_key_path()


def save_answer_key(conversations: list[Conversation]) -> None:
    """The demo's hidden truth, which the simulated annotators label against; never pushed."""
    path = answer_key_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({item.external_id: _gold_answer(item) for item in conversations}, ensure_ascii=False),
        encoding="utf-8",
    )


def build_demo(*, seed: int = 7, tasks_per_batch: int = 60, reset: bool = False) -> DemoResult:
    """Create the demo project, vendors, people and batches; deterministic for a seed.

    Idempotent: when the demo project exists it is left as it is unless reset is set; either way each demo
    vendor has a rate and the project an SLA policy, added once when missing.
    """
    password = demo_password()
    logins = [(username, role) for username, role in _logins()]
    existing = LabelingProject.objects.filter(slug=PROJECT_SLUG).first()
    if existing and not reset:
        with transaction.atomic():
            _ensure_rates_and_sla_policy(existing)
            ensure_default_error_categories(project=existing)
        return DemoResult(project=existing, created=False, password=password, logins=logins)

    rng = random.Random(seed)
    with transaction.atomic():
        if existing:
            existing.delete()
        _create_people(password)
        project = LabelingProject.objects.create(
            slug=PROJECT_SLUG,
            name="Aftersales chatbot conversations 售后机器人对话",
            label_config=(DEMO_DIR / "label_config.xml").read_text(encoding="utf-8"),
            guidelines=(DEMO_DIR / "guidelines.html").read_text(encoding="utf-8"),
            languages=["en", "zh"],
            overlap=2,
            status=LabelingProject.Status.ACTIVE,
            created_by=get_user_model().objects.get(username="pm"),
        )
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        config = parse_label_config(project.label_config)
        everything = _import_live_batches(project, config, rng, tasks_per_batch, now)
        everything += import_history(
            project=project, config=config, people=_history_people(), rng=rng, tasks_per_batch=tasks_per_batch,
            start_index=len(everything) + 1, now=now,
        )  # fmt: skip
        _ensure_rates_and_sla_policy(project)
        ensure_default_error_categories(project=project)
        save_answer_key(everything)
    return DemoResult(project=project, created=True, password=password, logins=logins)


def _import_live_batches(
    project: LabelingProject, config: LabelConfig, rng: random.Random, tasks_per_batch: int, now: dt.datetime
) -> list[Conversation]:
    """Last week's and this week's batches, imported as a PM imports a week's tasks."""
    start_index = 1
    everything: list[Conversation] = []
    for name, vendor_slug, due_in_days in BATCHES:
        batch = Batch.objects.create(
            project=project,
            name=name,
            vendor=Vendor.objects.get(slug=vendor_slug),
            target_count=tasks_per_batch,
            due_at=now + dt.timedelta(days=due_in_days),
        )
        conversations = generate_conversations(rng, tasks_per_batch, start_index=start_index)
        start_index += tasks_per_batch
        everything += conversations
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{batch.name}.jsonl"
            gold_rate = float(project.gold_rate)
            lines = [_task_line(item, rng.random() < gold_rate, config, rng) for item in conversations]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            import_tasks(project=project, path=path, file_name=path.name, batch=batch, actor=DEMO)
    return everything


def _history_people() -> dict[str, list[DemoPerson]]:
    """The demo annotators by vendor, with the user ids their vendor's Label Studio gave them (the admin is 1)."""
    people: dict[str, list[DemoPerson]] = {}
    for number, item in enumerate(ANNOTATORS, start=2):
        person = DemoPerson(item.username, item.full_name, item.profile, label_studio_user_id=number)
        people.setdefault(item.vendor_slug, []).append(person)
    return people


def _ensure_rates_and_sla_policy(project: LabelingProject) -> None:
    # A vendor that already has a rate keeps it: a rerun, or a PM's own rate, is left alone.
    valid_from = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - RATES_VALID_FOR
    for vendor_slug, (unit, amount, currency) in VENDOR_RATES.items():
        vendor = Vendor.objects.get(slug=vendor_slug)
        if not vendor.rates.exists():
            rate = VendorRate(vendor=vendor, unit=unit, amount=amount, currency=currency, valid_from=valid_from)
            rate.full_clean()
            rate.save()
    if not SlaPolicy.objects.filter(project=project, batch__isnull=True, vendor__isnull=True).exists():
        policy = SlaPolicy(project=project, created_by=project.created_by, **SLA_POLICY)
        policy.full_clean()
        policy.save()


def _logins() -> list[tuple[str, str]]:
    rows = [("pm", "project manager (admin)"), ("qa", "QA reviewer")]
    rows += [(username, f"vendor manager, {vendor_slug}") for username, _, vendor_slug in VENDOR_MANAGERS]
    rows += [(item.username, f"annotator, {item.vendor_slug}, {item.profile}") for item in ANNOTATORS]
    return rows


def _create_people(password: str) -> None:
    ensure_roles()
    user_model = get_user_model()
    for username, full_name, is_superuser, role in STAFF:
        user, _ = user_model.objects.get_or_create(username=username)
        user.first_name, _, user.last_name = full_name.partition(" ")
        user.email = f"{username}@annotate.local"
        user.is_staff = True
        user.is_superuser = is_superuser
        user.set_password(password)
        user.save()
        grant_role(user=user, role=role, actor=DEMO)
    for vendor in VENDORS:
        Vendor.objects.update_or_create(slug=vendor["slug"], defaults=vendor)
    for username, full_name, vendor_slug in VENDOR_MANAGERS:
        user, _ = user_model.objects.get_or_create(username=username)
        user.first_name = full_name
        user.email = f"{username}@annotate.local"
        user.set_password(password)
        user.save()
        grant_role(user=user, role=VENDOR_MANAGER, actor=DEMO)
        VendorManager.objects.update_or_create(user=user, defaults={"vendor": Vendor.objects.get(slug=vendor_slug)})
    for item in ANNOTATORS:
        user, _ = user_model.objects.get_or_create(username=item.username)
        user.first_name = item.full_name
        user.email = f"{item.username}@annotate.local"
        user.set_password(password)
        user.save()
        grant_role(user=user, role=ANNOTATOR, actor=DEMO)
        Annotator.objects.update_or_create(
            user=user,
            defaults={
                "vendor": Vendor.objects.get(slug=item.vendor_slug),
                "languages": list(item.languages),
                "skills": ["aftersales", "hallucination"],
                "hourly_cost": item.hourly_cost,
            },
        )
