"""Template tags for long lists on the console's pages."""

from html import escape

from django import template
from django.http import QueryDict
from django.urls import reverse
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


@register.simple_tag(takes_context=True)
def page_query(context, param, number):
    """Return the current page's query string with ``param`` set to ``number``.

    A page may carry several paginated lists and a search, so a link to
    another page of one list keeps every other parameter of the request.
    The result is URL-encoded, and the tag's output is HTML-escaped.
    """
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    params[param] = str(number)
    return f"?{params.urlencode()}"


@register.simple_tag
def endpoint_rows(endpoints):
    """Render the table rows of a page of endpoints.

    Each endpoint needs ``usage_count`` set and its ``auth`` loaded. A
    template loop over 100 rows costs several times what the queries of
    the page cost, so the rows are formatted here, every value escaped.
    """
    url_of = _url_maker("endpoints:endpoint_edit")
    return mark_safe("".join(_endpoint_row(endpoint, url_of) for endpoint in endpoints))  # noqa: S308


@register.simple_tag
def step_rows(steps):
    """Render the table rows of a page of `StepRow`s."""
    url_of = _url_maker("endpoints:step_edit")
    return mark_safe(  # noqa: S308
        "".join(
            f'<tr><td><a href="{escape(url_of(step.pk))}">{escape(step.name)}</a></td>'
            f"<td>{escape(step.kind_label)}</td>"
            f"<td>{usage_spans(step.usage_rows)}</td></tr>\n"
            for step in steps
        )
    )


def _endpoint_row(endpoint, url_of) -> str:
    auth = endpoint.auth
    parts = [
        f'<tr><td><a href="{escape(url_of(endpoint.pk))}">{escape(endpoint.name)}</a>'
    ]
    if endpoint.is_builtin:
        parts.append(' <span class="badge">Built-in</span>')
    parts.append(f"</td><td>{escape(str(auth.type_label))}")
    if auth.awaiting_configuration:
        parts.append(' <span class="badge badge-warning">Not yet configured</span>')
    if auth.reconnect_needed:
        parts.append(' <span class="badge badge-danger">Reconnect needed</span>')
    summary = auth.type.summary()
    if summary:
        parts.append(f' <div class="muted">{escape(summary)}</div>')
    parts.append(
        f'</td><td class="url-cell"><code class="url">{escape(endpoint.target_url)}'
        "</code>"
    )
    if endpoint.trust_self_signed:
        parts.append('<div class="muted">Trusts self-signed certificates</div>')
    count = endpoint.usage_count
    plural = "" if count == 1 else "s"
    parts.append(f'</td><td class="num">{count} step usage{plural}</td></tr>\n')
    return "".join(parts)


# A primary key that no row has, replaced by each row's own key.
_PLACEHOLDER_PK = 2**62 + 12345


def _url_maker(view_name: str):
    # reverse() per row took about 15% of the page in a profile, and all
    # rows share one URL pattern that differs only in the primary key.
    pattern = reverse(view_name, args=[_PLACEHOLDER_PK])
    before, after = pattern.split(str(_PLACEHOLDER_PK))
    return lambda pk: f"{before}{int(pk)}{after}"
