"""The vendor portal: a vendor manager's batches and team, an annotator's own work and quality."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from projects.access.roles import ANNOTATOR, QA_REVIEWER, VENDOR_MANAGER
from projects.access.scoping import viewer_for, visible
from projects.audit import Actor
from projects.errors import Refusal
from projects.models import AnnotatorPause
from projects.quality.scorecards import scorecards
from projects.sla.wording import reason_text
from projects.web.queries import (
    batch_rejection,
    batch_rows,
    portal_annotators,
    portal_batches,
    portal_pauses,
    reinstatable_pauses,
    rejected_work,
    vendor_time_zone,
)
from projects.workforce.pauses import reinstate_annotator


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, and with a role: an account without one gets the "no access yet" page (403) everywhere.

    Times on the page are in the viewer's vendor's time zone, and say which it is.
    """

    @login_required
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        viewer = viewer_for(request.user)
        if viewer.role is None:
            return render(request, "portal/no_role.html", status=403)
        with timezone.override(vendor_time_zone(viewer) or timezone.get_current_timezone()):
            return view(request, *args, **kwargs)

    return guarded


@portal_page
def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if viewer.role == QA_REVIEWER:
        return redirect("review-home")
    if viewer.is_internal:
        return redirect("admin:index")
    batches = list(portal_batches(request.user))
    context = {
        "viewer": viewer,
        # The SLA standing is the vendor manager's: annotators' role grants them no SLA figures.
        "rows": batch_rows(request.user, batches, with_sla=viewer.role == VENDOR_MANAGER),
        "show_sla": viewer.role == VENDOR_MANAGER,
        "is_manager": viewer.role == VENDOR_MANAGER,
        "is_annotator": viewer.role == ANNOTATOR,
    }
    if viewer.role == VENDOR_MANAGER:
        context["cards"] = scorecards(portal_annotators(request.user))
        context["pauses"] = list(portal_pauses(request.user))
        context["reinstatable"] = reinstatable_pauses(request.user, context["pauses"])
    else:
        own = portal_annotators(request.user)
        context["card"] = scorecards(own)[0] if own.exists() else None
        context["rejected"] = rejected_work(request.user)
    return render(request, "portal/home.html", context)


@portal_page
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(portal_batches(request.user), pk=batch_id)
    viewer = viewer_for(request.user)
    row = batch_rows(request.user, [batch], with_sla=viewer.role == VENDOR_MANAGER)[0]
    return render(
        request,
        "portal/batch.html",
        {
            "batch": batch,
            "row": row,
            "sla_reasons": [reason_text(reason) for reason in row.sla.reasons] if row.sla else [],
            "show_sla": viewer.role == VENDOR_MANAGER,
            "rejection": batch_rejection(request.user, batch),
            "viewer": viewer,
        },
    )


@portal_page
def annotator_scorecard(request: HttpRequest, annotator_id: int) -> HttpResponse:
    annotator = get_object_or_404(portal_annotators(request.user), pk=annotator_id)
    card = scorecards(portal_annotators(request.user).filter(pk=annotator.pk))[0]
    return render(
        request,
        "portal/scorecard.html",
        {
            "annotator": annotator,
            "card": card,
            "rejected": rejected_work(request.user, annotator),
            "viewer": viewer_for(request.user),
        },
    )


@portal_page
@require_POST
def reinstate(request: HttpRequest, pause_id: int) -> HttpResponse:
    """A vendor manager reinstates their annotator with a comment, where the project's gold gate allows it."""
    pause = get_object_or_404(visible(request.user, AnnotatorPause.objects.all()), pk=pause_id)
    try:
        reinstate_annotator(
            pause=pause, comment=request.POST.get("comment", ""), actor=Actor.person(request.user, via="pages")
        )
    except Refusal as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            gettext("%(annotator)s may label %(project)s again.")
            % {"annotator": pause.annotator.user.get_username(), "project": pause.project},
        )
    return redirect("portal-home")
