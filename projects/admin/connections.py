from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.html import format_html

from projects.admin.refusals import refusals_shown
from projects.audit import Actor
from projects.jobs import refresh_dashboards_task
from projects.labelstudio.adoption import adopt_project
from projects.labelstudio.connections import check_connection
from projects.labelstudio.tenancy import TenancyRefused, find_shared_servers, refuse_shared_server
from projects.models import LabelStudioConnection
from projects.models.server_addresses import server_address


class AdoptProjectForm(forms.Form):
    label_studio_project_id = forms.IntegerField(
        min_value=1, label="Label Studio project id", help_text="The number in the project's address: /projects/N/."
    )
    project_slug = forms.SlugField(
        max_length=60, label="Labeling project", help_text="Slug of the annotate project (made if new)."
    )
    batch_name = forms.CharField(max_length=120, required=False, help_text="Default: the Label Studio project's title.")


class LabelStudioConnectionForm(forms.ModelForm):
    # Local Label Studio servers speak plain http on loopback.
    url = forms.URLField(assume_scheme="http", help_text="Base URL, e.g. http://127.0.0.1:8080")
    # Write-only: the stored token is never rendered back into the page.
    api_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored encrypted; leave empty to keep the current one. Prefer naming an environment variable.",
    )

    server_identity = ""  # what the server said when the form was checked, if it answered

    class Meta:
        model = LabelStudioConnection
        fields = ["name", "url", "edition", "vendor", "region", "token_env_var", "api_token", "is_active"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors or not cleaned.get("url"):
            return cleaned
        # The address is checked by the model; here the server is asked who it is, in case
        # another vendor's connection reaches it by another address.
        candidate = LabelStudioConnection(
            pk=self.instance.pk,
            url=cleaned["url"],
            edition=cleaned.get("edition"),
            vendor=cleaned.get("vendor"),
            token_env_var=cleaned.get("token_env_var", ""),
            encrypted_token=self.instance.encrypted_token,
        )
        if candidate.rivals_on_server(by_identity=False):
            return cleaned  # the model refuses it by its address
        try:
            self.server_identity = refuse_shared_server(candidate, token=cleaned.get("api_token", ""))
        except TenancyRefused as refusal:
            self.add_error("url", str(refusal))
        return cleaned

    def save(self, commit: bool = True) -> LabelStudioConnection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("api_token"):
            connection.set_token(self.cleaned_data["api_token"])
        if self.server_identity:
            connection.server_identity = self.server_identity
            connection.server_address = server_address(connection.url)
        if commit:
            connection.save()
        return connection


@admin.register(LabelStudioConnection)
class LabelStudioConnectionAdmin(admin.ModelAdmin):
    form = LabelStudioConnectionForm
    list_display = ["name", "url", "edition", "vendor", "region", "token_source", "is_active", "health"]
    list_filter = ["edition", "is_active"]
    list_select_related = ["vendor"]
    readonly_fields = ["last_checked_at", "last_check_error"]
    actions = ["check_now", "adopt_a_project"]

    def changelist_view(self, request, extra_context=None):
        # From what is recorded (no server is called to render a page); checks and pushes record identities.
        if request.method == "GET":
            for shared in find_shared_servers(online=False).shared:
                messages.error(request, shared.describe())
        return super().changelist_view(request, extra_context)

    @admin.display(description="health", ordering="last_checked_at")
    def health(self, connection: LabelStudioConnection) -> str:
        if connection.last_checked_at is None:
            return "not checked"
        checked = connection.last_checked_at.strftime("%Y-%m-%d %H:%M")
        if connection.last_check_error:
            return format_html(
                '<span style="color:#ba2121" title="{}">✗ failing</span> <small>{}</small>',
                connection.last_check_error,
                checked,
            )
        return format_html('<span style="color:#447e36">✓ ok</span> <small>{}</small>', checked)

    @admin.action(description="Check the connection (reach the server, try the token)")
    def check_now(self, request, queryset) -> None:
        for connection in queryset:
            summary = check_connection(connection)
            level = messages.ERROR if connection.last_check_error else messages.SUCCESS
            self.message_user(request, f"{connection.name}: {summary}", level)

    @admin.action(description="Adopt a Label Studio project, with its history", permissions=["change"])
    def adopt_a_project(self, request, queryset):
        """A page asking which project and where it goes, then the adoption; one connection at a time."""
        connections = list(queryset[:2])
        if len(connections) != 1:
            self.message_user(request, "Choose one connection: a project is adopted from one server.", messages.ERROR)
            return None
        connection = connections[0]
        form = AdoptProjectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            with refusals_shown(request, what="Not adopted"):
                result = adopt_project(
                    connection=connection, label_studio_project_id=form.cleaned_data["label_studio_project_id"],
                    project_slug=form.cleaned_data["project_slug"], batch_name=form.cleaned_data["batch_name"] or None,
                    actor=Actor.person(request.user, via="admin"),
                )  # fmt: skip
                refresh_dashboards_task.delay()  # the adopted history's tallies and flags, as after a pull
                counts = result.annotations
                self.message_user(
                    request,
                    f"Adopted as {result.label_studio_project.batch}: {result.tasks_created} tasks new, "
                    f"{result.tasks_matched} already there; {counts.created} annotations new, {counts.unchanged} "
                    f"unchanged; {result.accounts_linked} annotators linked. It is pulled from now on.",
                    messages.SUCCESS,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adopt a Label Studio project from {connection.name}",
            "connection": connection,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/projects/labelstudioconnection/adopt.html", context)

    @admin.display(description="token")
    def token_source(self, connection: LabelStudioConnection) -> str:
        if connection.token_env_var:
            return f"from ${connection.token_env_var}" + ("" if connection.has_token else " (not set)")
        return "stored (encrypted)" if connection.encrypted_token else "none"
