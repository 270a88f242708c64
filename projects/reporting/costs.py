"""What labels cost, per vendor over a batch or a project, from the label tallies priced by the rate in force."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum

from projects.errors import Refusal
from projects.models import Batch, LabelingProject, LabelTally, Vendor, VendorRate
from projects.reporting.tallies import project_label_tallies, refresh_stale_tallies


class MixedCurrencies(Refusal):
    """A vendor's rates are in more than one currency: its costs are not summed across them."""


@dataclass(frozen=True)
class CostFigures:
    """What one vendor's labels cost, over a batch or a project, priced by the rate in force when each was made.

    Kept labels are the labels not sent back to rework: per-task rates pay kept labels only (a label sent back is
    not paid; the label made in rework is); per-hour rates pay every label's lead time, those sent back included.
    Rework cost is the cost of the labels made in rework; labels made before the vendor's first rate are counted as
    unpriced, not as free.
    """

    vendor: int
    vendor_name: str
    currency: str | None
    labels: int
    kept_labels: int  # not sent back to rework: what a per-task rate pays for
    sent_back_labels: int  # sent back to rework
    rework_labels: int
    unpriced_labels: int
    hours: Decimal
    total_cost: Decimal
    rework_cost: Decimal
    cost_per_kept_label: Decimal | None

    def as_dict(self) -> dict:
        return {key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(self).items()}


CENTS = Decimal("0.01")
SECONDS_PER_HOUR = Decimal(3600)


def batch_costs(*, batch: Batch) -> list[CostFigures]:
    """Cost of the batch's labels per vendor who labeled in it (usually one); reads only."""
    refresh_stale_tallies(project_id=batch.project_id)
    return _costs(LabelTally.objects.filter(batch=batch))


def vendor_costs(*, project: LabelingProject, start: date | None = None, end: date | None = None) -> list[CostFigures]:
    """Cost of the project's labels per vendor over all its batches, made on local days start..end (both included,
    either open); reads only."""
    return _costs(project_label_tallies(project, start, end))


def _costs(tallies: QuerySet[LabelTally]) -> list[CostFigures]:
    """Costs per vendor from label tallies (three queries): each tally row holds labels made at one rate."""
    rows = (
        tallies.filter(annotator__isnull=False)
        .values("vendor_id", "rate_id")
        .annotate(
            labels=Sum("labels"),
            rejected=Sum("rejected"),
            rework_labels=Sum("rework_labels"),
            rework_rejected=Sum("rework_rejected"),
            lead_seconds=Sum("lead_seconds"),
            rework_lead_seconds=Sum("rework_lead_seconds"),
        )
        .order_by()
    )
    by_vendor: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_vendor[row["vendor_id"]].append(row)
    rates: dict[int, list[VendorRate]] = defaultdict(list)
    for rate in VendorRate.objects.filter(vendor__in=by_vendor).order_by("valid_from"):
        rates[rate.vendor_id].append(rate)
    names = dict(Vendor.objects.filter(pk__in=by_vendor).values_list("id", "name"))
    return [
        _vendor_cost(vendor, names[vendor], by_vendor[vendor], rates[vendor])
        for vendor in sorted(by_vendor, key=lambda vendor: names[vendor])
    ]


def _vendor_cost(vendor: int, vendor_name: str, rows: list[dict], rates: list[VendorRate]) -> CostFigures:
    currencies = {rate.currency for rate in rates}
    if len(currencies) > 1:
        raise MixedCurrencies(f"{vendor_name} has rates in {', '.join(sorted(currencies))}: set one currency.")
    by_id = {rate.pk: rate for rate in rates}
    total = rework = seconds = Decimal(0)
    labels = sent_back = rework_labels = unpriced = 0
    for row in rows:
        labels += row["labels"]
        sent_back += row["rejected"]
        rework_labels += row["rework_labels"]
        seconds += row["lead_seconds"]
        rate = by_id.get(row["rate_id"])
        if rate is None:
            unpriced += row["labels"]
        elif rate.unit == VendorRate.Unit.PER_TASK:
            total += (row["labels"] - row["rejected"]) * rate.amount
            rework += (row["rework_labels"] - row["rework_rejected"]) * rate.amount
        else:
            total += row["lead_seconds"] / SECONDS_PER_HOUR * rate.amount
            rework += row["rework_lead_seconds"] / SECONDS_PER_HOUR * rate.amount
    kept = labels - sent_back
    return CostFigures(
        vendor=vendor,
        vendor_name=vendor_name,
        currency=currencies.pop() if currencies else None,
        labels=labels,
        kept_labels=kept,
        sent_back_labels=sent_back,
        rework_labels=rework_labels,
        unpriced_labels=unpriced,
        hours=(seconds / SECONDS_PER_HOUR).quantize(CENTS),
        total_cost=total.quantize(CENTS),
        rework_cost=rework.quantize(CENTS),
        cost_per_kept_label=(total / kept).quantize(CENTS) if kept else None,
    )
