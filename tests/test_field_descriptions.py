"""Invalid fields point aria-describedby at their help text and error list."""

from html.parser import HTMLParser

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from endpoints.models import Step
from tests.conftest import make_token_endpoint
from tests.support.pages import edit_form_data


class DescriptionParser(HTMLParser):
    """Collect every element id, and each aria-describedby with its element."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.error_list_ids: list[str] = []
        self.described: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        element_id = attributes.get("id")
        if element_id:
            self.ids.add(element_id)
            if tag == "ul" and "errors" in (attributes.get("class") or "").split():
                self.error_list_ids.append(element_id)
        if "aria-describedby" in attributes:
            key = element_id or attributes.get("name") or tag
            self.described[key] = attributes["aria-describedby"].split()


def parse(content: str) -> DescriptionParser:
    parser = DescriptionParser()
    parser.feed(content)
    return parser


def assert_descriptions_resolve(parser: DescriptionParser) -> None:
    missing = {
        key: [ref for ref in refs if ref not in parser.ids]
        for key, refs in parser.described.items()
    }
    assert not {key: refs for key, refs in missing.items() if refs}


def assert_errors_described(parser: DescriptionParser, count: int) -> None:
    """Each error list is named by one aria-describedby, and all refs exist."""
    assert len(parser.error_list_ids) == count
    described = [ref for refs in parser.described.values() for ref in refs]
    for error_list_id in parser.error_list_ids:
        assert described.count(error_list_id) == 1, error_list_id
    assert_descriptions_resolve(parser)


class TitleForm(forms.Form):
    title = forms.CharField()


def test_invalid_field_describedby_is_its_error_list():
    form = TitleForm(data={})

    parser = parse(render_to_string("includes/field.html", {"field": form["title"]}))

    [error_list_id] = parser.error_list_ids
    assert parser.described == {"id_title": [error_list_id]}


def test_help_text_and_error_described(manager_client, workflow):
    url = reverse("endpoints:workflow_edit", args=[workflow.pk])

    response = manager_client.post(url, {"name": "", "description": ""})

    parser = parse(response.content.decode())
    assert parser.described["id_name"] == ["id_name_helptext", "id_name_error"]
    assert_errors_described(parser, 1)


def test_usage_row_errors_described(manager_client, workflow):
    data = {
        "name": "",
        "kind": Step.Kind.FLOW_STEP,
        "usages-TOTAL_FORMS": "1",
        "usages-INITIAL_FORMS": "0",
        "usages-0-endpoint": "999999",
        "usages-0-label": "tick\nets",
    }

    response = manager_client.post(
        reverse("endpoints:step_create", args=[workflow.pk]), data
    )

    parser = parse(response.content.decode())
    assert "id_usages-0-label_error" in parser.described["id_usages-0-label"]
    assert "id_usages-0-endpoint_error" in parser.described["id_usages-0-endpoint"]
    assert_errors_described(parser, 3)


def test_radio_errors_described_by_fieldset(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)
    data = edit_form_data(endpoint, **{"auth-header": "neither"})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    parser = parse(response.content.decode())
    assert parser.described["fieldset"] == [
        "id_auth-header_helptext",
        "id_auth-header_error",
    ]
    assert_errors_described(parser, 1)


def test_secret_field_errors_described(manager_client, workflow):
    endpoint = make_token_endpoint(workflow)
    data = edit_form_data(endpoint, **{"auth-token_0": "short"})

    response = manager_client.post(endpoint.get_absolute_url(), data)

    parser = parse(response.content.decode())
    assert "id_auth-token_error" in parser.described["id_auth-token_0"]
    assert_errors_described(parser, 1)
