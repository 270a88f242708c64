"""Who made a label brought in from Label Studio: its user mapped to an annotate annotator by e-mail.

Label Studio names an annotation's author by user id (`completed_by`), which means something only on one server,
and, in an export with user details, by e-mail. An adopted project (projects/labelstudio/adoption.py) and an
imported file (projects/ingest/) map that e-mail to the annotator who signs in with it, among the annotators of
the vendor the work belongs to.
"""

from __future__ import annotations

from collections import defaultdict

from projects.models import Annotator, AnnotatorAccount, Vendor


def label_studio_email(annotator: Annotator) -> str:
    """The e-mail an annotator's Label Studio users carry (annotate creates them with it)."""
    user = annotator.user
    return (user.email or f"{user.get_username()}@annotate.local").lower()


class AuthorMap:
    """The annotators a Label Studio user's e-mail stands for, among one vendor's (or everyone's, when None)."""

    def __init__(self, vendor: Vendor | None) -> None:
        self.vendor = vendor
        annotators = Annotator.objects.select_related("user")
        accounts = AnnotatorAccount.objects.all()
        if vendor is not None:
            annotators = annotators.filter(vendor=vendor)
            accounts = accounts.filter(annotator__vendor=vendor)
        found: dict[str, set[int]] = defaultdict(set)
        self.annotators: dict[int, Annotator] = {}
        for annotator in annotators:
            self.annotators[annotator.pk] = annotator
            found[label_studio_email(annotator)].add(annotator.pk)
        for email, annotator_id in accounts.values_list("email", "annotator_id"):
            found[email.lower()].add(annotator_id)
        self._by_email = dict(found)

    def annotator_for(self, email: str | None) -> Annotator | None:
        """The one annotator with this e-mail; None when none or several have it."""
        candidates = self._by_email.get((email or "").strip().lower(), set())
        return self.annotators.get(next(iter(candidates))) if len(candidates) == 1 else None

    def why_unmapped(self, email: str | None) -> str:
        """Why annotator_for found no one, in words a PM can act on."""
        whose = f"of vendor {self.vendor}" if self.vendor is not None else "in annotate"
        if not email:
            return "Label Studio gave no e-mail for this user"
        if len(self._by_email.get(email.strip().lower(), set())) > 1:
            return f"several annotators {whose} have the e-mail {email}"
        return f"no annotator {whose} has the e-mail {email}"
