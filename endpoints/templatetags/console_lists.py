"""Template tags for long lists on the console's pages."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def usage_spans(rows):
    """Render a step's (label, endpoint name) pairs as "label → endpoint".

    A page of steps may list thousands of usages, and a template loop, or
    format_html per usage, costs several times what the rest of the page
    costs. The standard library's html.escape escapes the same characters
    as Django's escape filter.
    """
    if not rows:
        return mark_safe('<span class="muted">None</span>')  # noqa: S308
    # Both values are escaped.
    return mark_safe(  # noqa: S308
        "".join(
            f'<span class="usage">{escape(label)} → {escape(endpoint_name)}</span>'
            for label, endpoint_name in rows
        )
    )
