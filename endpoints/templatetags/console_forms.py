"""Template tags for the console's forms."""

from django import template
from django.forms import BaseFormSet

register = template.Library()


def _form_entries(form, row: int | None = None) -> list[dict]:
    """Return one summary entry per field of ``form`` with errors."""
    entries = (
        [{"messages": list(form.non_field_errors())}] if form.non_field_errors() else []
    )
    for bound_field in form:
        if not bound_field.errors:
            continue
        entry = {"messages": list(bound_field.errors)}
        # A hidden field cannot take focus, so its entry has no link.
        if not bound_field.is_hidden:
            label = str(bound_field.label)
            entry["label"] = f"{label}, row {row}" if row else label
            entry["id"] = bound_field.id_for_label
        entries.append(entry)
    return entries


@register.inclusion_tag("includes/error_summary.html")
def error_summary(*forms):
    """Render the list of a page's problems, linked to their fields.

    Takes forms and formsets; ``None`` stands for a form that the page does
    not show.
    """
    entries = []
    for form in forms:
        if form is None:
            continue
        if isinstance(form, BaseFormSet):
            entries += [{"messages": [error]} for error in form.non_form_errors()]
            for row, row_form in enumerate(form.forms, 1):
                entries += _form_entries(row_form, row)
        else:
            entries += _form_entries(form)
    return {"entries": entries}
