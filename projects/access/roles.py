"""The four roles, as Django groups with model permissions, created after every migrate."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

PROJECT_MANAGER = "project manager"
QA_REVIEWER = "QA reviewer"
VENDOR_MANAGER = "vendor manager"
ANNOTATOR = "annotator"
ROLES = (PROJECT_MANAGER, QA_REVIEWER, VENDOR_MANAGER, ANNOTATOR)
INTERNAL_ROLES = (PROJECT_MANAGER, QA_REVIEWER)

_ALL = ("add", "change", "delete", "view")
# Model permissions per role; vendor roles' views are further scoped to their vendor (scoping.py).
PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    PROJECT_MANAGER: {
        model: _ALL
        for model in (
            "vendor",
            "annotator",
            "vendormanager",
            "labelstudioconnection",
            "labelingproject",
            "batch",
            "task",
            "taskimport",
            "annotation",
            "labelstudioproject",
        )
    }
    | {"syncrun": ("view",), "webhookevent": ("view",), "annotationversion": ("view",), "logentry": ("view",)}
    # Viewing users lets a PM pick the account when adding an annotator or a vendor manager (the
    # admin's user autocomplete). Not changing them: whoever can change users can make themself
    # a superuser, so role (group) changes stay with superusers.
    | {"user": ("view",)}
    # Quality: the PM keeps the error taxonomy; verdicts, adjudications and decisions are made through
    # the quality services, and computed rows (samples, consensus, retirements) are only read.
    | {"errorcategory": _ALL}
    | {model: ("add", "change", "view") for model in ("review", "adjudication")}
    | {model: ("view",) for model in ("qasample", "qasampleitem", "itemconsensus", "goldretirement")}
    | {"batchdecision": ("add", "view")}
    # SLA: the PM keeps policies and rates; statuses and events are written by the monitor, and the PM
    # acknowledges events (a change of the acknowledgement fields only, through the SLA services).
    | {model: _ALL for model in ("slapolicy", "vendorrate")}
    | {"slastatus": ("view",), "slaevent": ("change", "view")}
    | {model: ("add", "view") for model in ("datasetversion",)}
    | {model: ("view",) for model in ("datasetitem", "datasetexclusion", "rework")}
    | {model: ("view",) for model in ("evaluationrun", "evaluationprediction")}
    # Dynamic overlap: the PM keeps the policy; its changes to tasks' overlap are the policy's, only read.
    | {"overlappolicy": _ALL, "overlapchange": ("view",)},
    QA_REVIEWER: {
        model: ("view",)
        for model in ("vendor", "annotator", "labelingproject", "batch", "task", "annotation", "annotationversion")
    }
    | {model: ("add", "change", "view") for model in ("review", "adjudication")}
    | {
        model: ("view",)
        for model in ("errorcategory", "qasample", "qasampleitem", "itemconsensus", "goldretirement", "batchdecision")
    }
    | {model: ("view",) for model in ("slapolicy", "slastatus", "slaevent")}
    | {model: ("view",) for model in ("datasetversion", "datasetitem", "datasetexclusion", "rework")}
    | {model: ("view",) for model in ("evaluationrun", "evaluationprediction", "overlappolicy", "overlapchange")},
    VENDOR_MANAGER: {
        model: ("view",)
        for model in (
            "vendor",
            "annotator",
            "labelingproject",
            "batch",
            "annotation",
            "review",
            "slastatus",
            "slaevent",
        )
    },
    ANNOTATOR: {model: ("view",) for model in ("labelingproject", "batch", "annotation", "review")},
}


def ensure_roles(**kwargs) -> None:
    """Create the role groups and (re)grant their permissions; idempotent, run after migrate."""
    for role, grants in PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [f"{action}_{model}" for model, actions in grants.items() for action in actions]
        group.permissions.set(Permission.objects.filter(codename__in=codenames))


def role_of(user) -> str | None:
    """The user's role: the first of the four groups they belong to (superusers count as project managers)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return PROJECT_MANAGER
    names = {group.name for group in user.groups.all()}
    return next((role for role in ROLES if role in names), None)
