"""The audit log in the admin: who made each change (a person, or annotate itself under a name) and through what."""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.utils.html import format_html


def actor_of(entry: LogEntry) -> tuple[str, str]:
    """The actor's name and the interface a change came through, as the entry recorded them."""
    recorded = entry.additional_data if isinstance(entry.additional_data, dict) else {}
    name = recorded.get("actor") or (entry.actor.get_username() if entry.actor else "annotate")
    return name, recorded.get("via", "")


class AnnotateLogEntryAdmin(LogEntryAdmin):
    """django-auditlog's list, with the actor annotate recorded beside the user: "annotate (SLA monitor)" where
    auditlog alone would say "system", and the interface (admin, api, pages, command NAME, job NAME)."""

    list_display = ["created", "resource_url", "action", "msg_short", "who", "cid_url"]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "who"]
    fieldsets = [(None, {"fields": ["created", "who", "resource_url", "cid"]}), *LogEntryAdmin.fieldsets[1:]]
    search_fields = [*LogEntryAdmin.search_fields, "additional_data"]

    @admin.display(description="who")
    def who(self, entry: LogEntry) -> str:
        name, via = actor_of(entry)
        person = self.user_url(entry) if entry.actor else name
        return format_html("{} <small>via {}</small>", person, via) if via else format_html("{}", person)


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AnnotateLogEntryAdmin)
