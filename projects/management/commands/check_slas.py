from __future__ import annotations

from projects.management.base import AnnotateCommand
from projects.models import SlaState
from projects.sla.monitor import check_slas


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


class Command(AnnotateCommand):
    writes = True
    help = (
        "Check every open batch against its SLA policy: record each state change as an SLA event and e-mail it "
        "to the project manager and the vendor's managers, once (safe to rerun; the Celery beat runs it too)."
    )

    def handle(self, *args, **options) -> None:
        result = check_slas(actor=self.actor)
        labels = dict(SlaState.choices)
        for change in result.changes:
            before = labels.get(change.from_state, "new").lower()
            line = f"{change.batch} / {change.vendor}: {before} → {labels[change.to_state].lower()}"
            reasons = "; ".join(change.reasons)
            self.stdout.write(f"{line} ({reasons})" if reasons else line)
        summary = (
            f"{_plural(result.checked, 'batch', 'batches')} checked, {_plural(len(result.changes), 'state change')}, "
            f"{_plural(result.emails_sent, 'e-mail')} sent."
        )
        self.stdout.write(self.style.SUCCESS(summary))
        if result.emails_failed:
            self.stderr.write(f"{_plural(result.emails_failed, 'e-mail')} could not be sent; the next run retries.")
