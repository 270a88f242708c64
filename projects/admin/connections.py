from __future__ import annotations

from django import forms
from django.contrib import admin

from projects.models import LabelStudioConnection


class LabelStudioConnectionForm(forms.ModelForm):
    # Local Label Studio servers speak plain http on loopback.
    url = forms.URLField(assume_scheme="http", help_text="Base URL, e.g. http://127.0.0.1:8080")
    # Write-only: the stored token is never rendered back into the page.
    api_token = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted; leave empty to keep the current one. Prefer naming an environment variable.",
    )

    class Meta:
        model = LabelStudioConnection
        fields = ["name", "url", "edition", "vendor", "region", "token_env_var", "api_token", "is_active"]

    def save(self, commit: bool = True) -> LabelStudioConnection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("api_token"):
            connection.set_token(self.cleaned_data["api_token"])
        if commit:
            connection.save()
        return connection


@admin.register(LabelStudioConnection)
class LabelStudioConnectionAdmin(admin.ModelAdmin):
    form = LabelStudioConnectionForm
    list_display = ["name", "url", "edition", "vendor", "region", "token_source", "is_active"]
    list_filter = ["edition", "is_active"]
    list_select_related = ["vendor"]

    @admin.display(description="token")
    def token_source(self, connection: LabelStudioConnection) -> str:
        if connection.token_env_var:
            return f"from ${connection.token_env_var}" + ("" if connection.has_token else " (not set)")
        return "stored (encrypted)" if connection.encrypted_token else "none"
