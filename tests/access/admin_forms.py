"""Submit an admin change form as a person would: what the page shows, with a few fields changed."""

from __future__ import annotations

from django.forms import CheckboxInput, MultiWidget


def _form_data(forms) -> dict:
    data: dict = {}
    for form in forms:
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.value()
            widget = bound.field.widget
            if isinstance(widget, CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(widget, MultiWidget):
                parts = value if isinstance(value, list | tuple) else widget.decompress(value)
                for suffix, part_widget, part in zip(widget.widgets_names, widget.widgets, parts, strict=True):
                    data[bound.html_name + suffix] = part_widget.format_value(part) or ""
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(item) for item in value]
            else:
                data[bound.html_name] = "" if value is None else str(value)
    return data


def change_form_data(response) -> dict:
    """The POST data of an admin change page (main form and inlines) exactly as rendered."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    return _form_data(forms)
