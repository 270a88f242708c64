"""QA review pages: a reviewer's batches, the queue one sampled annotation at a time, adjudication, the decision.

Project managers and QA reviewers only; vendor roles get 403. Verdicts, adjudications and decisions
go through projects.quality.review.verdicts, which record who and when; these views parse and render.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from projects.access.scoping import viewer_for, visible
from projects.audit import Actor
from projects.models import Adjudication, Batch, ErrorCategory, QASample, QASampleItem, Review
from projects.quality.review.pages.adjudication import (
    PAGE_KEYS,
    adjudicated_items,
    adjudication_item,
    adjudication_label,
    adjudication_order,
    consensus_items,
)
from projects.quality.review.pages.choices import corrected_result
from projects.quality.review.pages.decision import acceptance_rule, bound_text, shown_decision
from projects.quality.review.pages.queue import batches_for_review, review_item, sample_items, sample_order
from projects.quality.review.queries import (
    active_error_categories,
    adjudication_queue,
    batch_decisions,
    next_review_item,
    review_progress,
)
from projects.quality.review.verdicts import (
    AdjudicationRefused,
    DecisionRefused,
    ReviewRefused,
    adjudicate,
    decide_batch,
    record_review,
)
from projects.quality.sampling.queries import current_sample

CONTROL_FIELD = "control-"
_PAGE_KEYS = ", ".join(sorted(PAGE_KEYS))
QUEUE_KEYS = (
    ("a", gettext_lazy("Accept the annotation")),
    ("r", gettext_lazy("Reject: choose an error category and severity")),
    ("c", gettext_lazy("Correct the label")),
    ("j", gettext_lazy("Next item")),
    ("k", gettext_lazy("Previous item")),
    ("o", gettext_lazy("Show or hide the other annotators' labels")),
    ("?", gettext_lazy("Show these shortcuts")),
    ("Esc", gettext_lazy("Close a panel or this help")),
)
ADJUDICATION_KEYS = (
    ("1–9, 0", gettext_lazy("Pick the option shown with that key (the tenth is 0)")),
    (
        "a–z",
        format_lazy(gettext_lazy("Past ten options, the letters (but {keys}) pick the next ones"), keys=_PAGE_KEYS),
    ),
    ("/", gettext_lazy("Filter the options by name; Enter picks the only match")),
    ("Enter", gettext_lazy("Save the final label, once one is picked")),
    ("j", gettext_lazy("Next item")),
    ("k", gettext_lazy("Previous item")),
    ("?", gettext_lazy("Show these shortcuts")),
    ("Esc", gettext_lazy("Clear the filter or close this help")),
)


def review_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in as a project manager or QA reviewer; everyone else gets 403 before anything is read."""

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        viewer = viewer_for(request.user)
        if not viewer.is_internal:
            return render(request, "review/forbidden.html", {"viewer": viewer}, status=403)
        return view(request, *args, **kwargs)

    return guarded


def _batch(request: HttpRequest, batch_id: int) -> Batch:
    return get_object_or_404(visible(request.user, Batch.objects.select_related("project", "vendor")), pk=batch_id)


def _id(value: str | None) -> int:
    """An id from a query string or form; a malformed one answers 404 like an unknown one."""
    if not value or not (value.isascii() and value.isdigit()):
        raise Http404("No such item.")
    return int(value)


def _neighbours(order: list[int], current: int | None) -> tuple[int | None, int | None, int | None]:
    """(position from 1, previous id, next id) of `current` in `order`; past the end when `current` is None."""
    if current not in order:
        return None, (order[-1] if order else None), None
    index = order.index(current)
    return index + 1, order[index - 1] if index else None, order[index + 1] if index + 1 < len(order) else None


class VerdictForm(forms.Form):
    item = forms.IntegerField(label=gettext_lazy("Item"))
    verdict = forms.ChoiceField(choices=Review.Verdict.choices, label=gettext_lazy("Verdict"))
    error_category = forms.ModelChoiceField(
        queryset=ErrorCategory.objects.none(), required=False, label=gettext_lazy("Error category")
    )
    severity = forms.ChoiceField(choices=Review.Severity.choices, required=False, label=gettext_lazy("Severity"))
    comment = forms.CharField(required=False, max_length=4000, label=gettext_lazy("Comment"))

    def __init__(self, *args, batch: Batch, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["error_category"].queryset = active_error_categories(project=batch.project)


def _form_errors(form: forms.Form) -> list[str]:
    return [
        f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(problems)}"
        if name in form.fields
        else " ".join(problems)
        for name, problems in form.errors.items()
    ]


@review_page
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "review/home.html", {"viewer": viewer_for(request.user), "rows": batches_for_review(request.user)}
    )


def _render_queue(
    request: HttpRequest,
    batch: Batch,
    item: QASampleItem | None,
    *,
    errors: list[str] | None = None,
    posted: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    sample: QASample | None = item.sample if item else current_sample(batch=batch)
    order = sample_order(sample) if sample else []
    position, previous_item, next_item = _neighbours(order, item.pk if item else None)
    progress = review_progress(sample=sample) if sample else None
    detail = review_item(item=item, user=request.user) if item else None
    context = {
        "viewer": viewer_for(request.user),
        "batch": batch,
        "sample": sample,
        "progress": progress,
        "percent": round(100 * progress.reviewed / progress.total) if progress and progress.total else 0,
        "detail": detail,
        "position": position,
        "count": len(order),
        "previous_item": previous_item,
        "next_item": next_item,
        "own_annotation": bool(item and getattr(item.annotation.annotator, "user_id", None) == request.user.pk),
        "categories": active_error_categories(project=batch.project),
        "severities": Review.Severity.choices,
        "decision": shown_decision(batch_decisions(batch=batch).first()),
        "rule": acceptance_rule(batch.project.acceptable_quality_level, len(order) if sample else None),
        "categories_admin_url": _categories_admin_url(request, batch),
        "awaiting_adjudication": adjudication_queue(batch=batch).count(),
        "errors": errors or [],
        "posted": posted or {},
        "keys": QUEUE_KEYS,
    }
    return render(request, "review/queue.html", context, status=status)


def _categories_admin_url(request: HttpRequest, batch: Batch) -> str | None:
    """Where the project's error categories are edited, for a person allowed to add them; else None."""
    if not request.user.has_perm("projects.add_errorcategory"):
        return None
    return reverse("admin:projects_errorcategory_changelist") + f"?project__id__exact={batch.project_id}"


@review_page
def queue(request: HttpRequest, batch_id: int) -> HttpResponse:
    """GET: one sampled annotation (?item=<id>, else the next pending one). POST: a verdict on it."""
    batch = _batch(request, batch_id)
    if request.method == "POST":
        return _record_verdict(request, batch)
    if "item" in request.GET:
        item = get_object_or_404(sample_items(batch), pk=_id(request.GET["item"]))
    else:
        item = next_review_item(reviewer=request.user, batch=batch)
    return _render_queue(request, batch, item)


def _record_verdict(request: HttpRequest, batch: Batch) -> HttpResponse:
    item = get_object_or_404(sample_items(batch), pk=_id(request.POST.get("item")))
    form = VerdictForm(request.POST, batch=batch)
    posted = {"verdict": request.POST.get("verdict", ""), "comment": request.POST.get("comment", "")}
    if not form.is_valid():
        return _render_queue(request, batch, item, errors=_form_errors(form), posted=posted, status=400)
    verdict = form.cleaned_data["verdict"]
    rejecting = verdict == Review.Verdict.REJECT
    try:
        correction = None
        if verdict == Review.Verdict.CORRECT:
            values = {
                key.removeprefix(CONTROL_FIELD): request.POST.getlist(key)
                for key in request.POST
                if key.startswith(CONTROL_FIELD)
            }
            correction = corrected_result(annotation=item.annotation, values=values)
        review = record_review(
            annotation=item.annotation,
            actor=Actor.person(request.user, via="pages"),
            verdict=verdict,
            error_category=form.cleaned_data["error_category"] if rejecting else None,
            severity=form.cleaned_data["severity"] if rejecting else None,
            comment=form.cleaned_data["comment"],
            corrected_result=correction,
            sample_item=item,
        )
    except ReviewRefused as error:
        return _render_queue(request, batch, item, errors=[str(error)], posted=posted, status=400)
    task = item.annotation.task
    messages.success(
        request,
        gettext("%(verdict)s: annotation %(annotation)s of %(task)s.")
        % {"verdict": review.get_verdict_display(), "annotation": item.annotation_id, "task": task.external_id},
    )
    return redirect("review-queue", batch_id=batch.pk)


@review_page
def adjudication(request: HttpRequest, batch_id: int) -> HttpResponse:
    """GET: one item without consensus (?item=<consensus id>, else the least confident), or a settled one to
    revise. POST: its final label; a revision names the adjudication it revises and says why."""
    batch = _batch(request, batch_id)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        consensus = get_object_or_404(consensus_items(batch), pk=_id(request.POST.get("item")))
        revises = None
        if request.POST.get("revises"):
            revises = get_object_or_404(
                Adjudication.objects.filter(task=consensus.task, control_name=consensus.control_name),
                pk=_id(request.POST["revises"]),
            )
        label = adjudication_label(consensus, request.POST.getlist("label"))
        if label is None:
            errors.append(gettext("Choose the final label before saving the adjudication."))
        else:
            try:
                adjudicate(
                    task=consensus.task,
                    control_name=consensus.control_name,
                    label=label,
                    actor=Actor.person(request.user, via="pages"),
                    comment=request.POST.get("comment", "")[:4000],
                    revises=revises,
                )
            except AdjudicationRefused as error:
                errors.append(str(error))
            else:
                messages.success(request, _adjudicated(consensus, revised=revises is not None))
                if revises:
                    return redirect(f"{reverse('review-adjudicate', args=[batch.pk])}?item={consensus.pk}")
                return redirect("review-adjudicate", batch_id=batch.pk)
        status = 400
    elif "item" in request.GET:
        consensus = get_object_or_404(consensus_items(batch), pk=_id(request.GET["item"]))
    else:
        consensus = adjudication_queue(batch=batch).first()
    order = adjudication_order(batch)
    position, previous_item, next_item = _neighbours(order, consensus.pk if consensus else None)
    context = {
        "viewer": viewer_for(request.user),
        "batch": batch,
        "detail": adjudication_item(consensus=consensus, user=request.user) if consensus else None,
        "remaining": len(order),
        "position": position,
        "previous_item": previous_item,
        "next_item": next_item,
        "settled": adjudicated_items(batch),
        "errors": errors,
        "posted_comment": request.POST.get("comment", "") if errors else "",
        "keys": ADJUDICATION_KEYS,
    }
    return render(request, "review/adjudicate.html", context, status=status)


def _adjudicated(consensus, *, revised: bool) -> str:
    done = gettext("Revised %(control)s of %(task)s.") if revised else gettext("Adjudicated %(control)s of %(task)s.")
    return done % {"control": consensus.control_name, "task": consensus.task.external_id}


@review_page
@require_POST
def decide(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Accept or reject the batch from its QA sample; the queue page shows the decision."""
    batch = _batch(request, batch_id)
    try:
        decision = decide_batch(
            batch=batch, actor=Actor.person(request.user, via="pages"), comment=request.POST.get("comment", "")
        )
    except DecisionRefused as error:
        messages.error(request, str(error))
    else:
        outcome = (
            gettext("%(batch)s accepted: error rate %(rate)s, Wilson upper bound %(bound)s, AQL %(aql)s.")
            if decision.accepted
            else gettext("%(batch)s rejected: error rate %(rate)s, Wilson upper bound %(bound)s, AQL %(aql)s.")
        )
        messages.success(
            request,
            outcome
            % {
                "batch": batch.name,
                "rate": f"{decision.error_rate:.1%}",
                "bound": bound_text(decision.upper_bound, float(decision.aql)),
                "aql": f"{float(decision.aql):.1%}",
            },
        )
    return redirect("review-queue", batch_id=batch.pk)
