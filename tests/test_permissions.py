"""Access: login for every page, read-only viewers, managers, CSRF."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from endpoints.models import Endpoint, Step, StepUsage, Workflow
from tests.conftest import (
    endpoint_form_data,
    make_basic_endpoint,
    make_step,
    make_user,
)


@pytest.fixture
def objects(workflow):
    """A workflow with an unused endpoint, a used one and a step."""
    unused = make_basic_endpoint(workflow, name="Unused")
    used = make_basic_endpoint(workflow, name="Used")
    step = make_step(workflow, usages=[(used, "used")])
    return {"workflow": workflow, "unused": unused, "used": used, "step": step}


def read_urls(objects) -> list[str]:
    workflow = objects["workflow"]
    return [
        reverse("endpoints:workflow_list"),
        workflow.get_absolute_url(),
        objects["unused"].get_absolute_url(),
        objects["used"].get_absolute_url(),
        objects["step"].get_absolute_url(),
        reverse("endpoints:workflow_export", args=[workflow.pk]),
    ]


def changing_requests(objects) -> dict[str, tuple[str, str, dict]]:
    """Return every changing request as name: (method, URL, valid data)."""
    workflow = objects["workflow"]
    unused = objects["unused"]
    step = objects["step"]
    endpoint_create = reverse("endpoints:endpoint_create", args=[workflow.pk])
    step_create = reverse("endpoints:step_create", args=[workflow.pk])
    step_data = {
        "name": "Close ticket",
        "kind": Step.Kind.FLOW_STEP,
        "usages-TOTAL_FORMS": "1",
        "usages-INITIAL_FORMS": "0",
        "usages-0-endpoint": str(unused.pk),
        "usages-0-label": "tickets",
    }
    new_endpoint = {
        "auth_type": "none",
        "name": "Status",
        "base_url": "https://status.example.test",
    }
    workflow_edit = reverse("endpoints:workflow_edit", args=[workflow.pk])
    workflow_delete = reverse("endpoints:workflow_delete", args=[workflow.pk])
    endpoint_delete = reverse("endpoints:endpoint_delete", args=[unused.pk])
    step_delete = reverse("endpoints:step_delete", args=[step.pk])

    return {
        "workflow create GET": ("get", reverse("endpoints:workflow_create"), {}),
        "workflow create POST": (
            "post",
            reverse("endpoints:workflow_create"),
            {"name": "Payroll", "description": ""},
        ),
        "workflow edit GET": ("get", workflow_edit, {}),
        "workflow edit POST": ("post", workflow_edit, {"name": "Renamed"}),
        "workflow delete GET": ("get", workflow_delete, {}),
        "workflow delete POST": ("post", workflow_delete, {}),
        "endpoint type picker GET": ("get", endpoint_create, {}),
        "endpoint create GET": ("get", endpoint_create, {"auth_type": "none"}),
        "endpoint create POST": ("post", endpoint_create, new_endpoint),
        "endpoint edit POST": (
            "post",
            unused.get_absolute_url(),
            endpoint_form_data(unused, name="Changed"),
        ),
        "endpoint delete GET": ("get", endpoint_delete, {}),
        "endpoint delete POST": ("post", endpoint_delete, {}),
        "step create GET": ("get", step_create, {}),
        "step create POST": ("post", step_create, step_data),
        "step edit POST": (
            "post",
            step.get_absolute_url(),
            {
                **step_data,
                "name": "Renamed step",
                "usages-0-endpoint": str(objects["used"].pk),
            },
        ),
        "step delete GET": ("get", step_delete, {}),
        "step delete POST": ("post", step_delete, {}),
    }


def snapshot() -> dict:
    return {
        "workflows": list(Workflow.objects.values_list("pk", "name")),
        "endpoints": list(Endpoint.objects.values_list("pk", "name", "version")),
        "steps": list(Step.objects.values_list("pk", "name")),
        "usages": list(StepUsage.objects.values_list("pk", "endpoint_id", "label")),
    }


CHANGING = [
    "workflow create GET",
    "workflow create POST",
    "workflow edit GET",
    "workflow edit POST",
    "workflow delete GET",
    "workflow delete POST",
    "endpoint type picker GET",
    "endpoint create GET",
    "endpoint create POST",
    "endpoint edit POST",
    "endpoint delete GET",
    "endpoint delete POST",
    "step create GET",
    "step create POST",
    "step edit POST",
    "step delete GET",
    "step delete POST",
]


def test_changing_list_covers_every_request(objects):
    assert sorted(changing_requests(objects)) == sorted(CHANGING)


def test_anonymous_redirected_from_read_pages(client, objects):
    for url in [*read_urls(objects), reverse("home")]:
        response = client.get(url)

        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("name", CHANGING)
def test_anonymous_redirected_from_changing(client, objects, name):
    method, url, data = changing_requests(objects)[name]
    before = snapshot()

    response = getattr(client, method)(url, data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert snapshot() == before


def test_viewer_gets_read_pages(viewer_client, objects):
    for url in read_urls(objects):
        response = viewer_client.get(url)

        assert response.status_code == 200, url


@pytest.mark.parametrize("name", CHANGING)
def test_viewer_forbidden_from_changing(viewer_client, objects, name):
    method, url, data = changing_requests(objects)[name]
    before = snapshot()

    response = getattr(viewer_client, method)(url, data)

    assert response.status_code == 403
    assert snapshot() == before


def test_viewer_forbidden_page_explains(viewer_client, objects):
    url = reverse("endpoints:workflow_create")

    response = viewer_client.get(url)

    assert "Endpoint managers" in response.content.decode()


def test_user_without_group_forbidden(client, objects):
    client.force_login(make_user("nobody"))

    response = client.get(objects["workflow"].get_absolute_url())

    assert response.status_code == 403


@pytest.mark.parametrize("name", [name for name in CHANGING if name.endswith("GET")])
def test_manager_gets_changing_pages(manager_client, objects, name):
    method, url, data = changing_requests(objects)[name]

    response = manager_client.get(url, data)

    assert response.status_code == 200


@pytest.mark.parametrize("name", [name for name in CHANGING if name.endswith("POST")])
def test_manager_post_changes_data(manager_client, objects, name):
    method, url, data = changing_requests(objects)[name]
    before = snapshot()

    response = manager_client.post(url, data)

    assert response.status_code == 302
    assert snapshot() != before


def page_text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


CHANGING_BUTTONS = {
    "workflow list": ["New workflow"],
    "workflow": ["New endpoint", "New step", ">Edit<", ">Delete<"],
    "endpoint": ["Save changes", ">Delete<"],
    "step": ["Save step", "Save and create a new endpoint", ">Delete<"],
}


def button_pages(objects) -> dict[str, str]:
    return {
        "workflow list": reverse("endpoints:workflow_list"),
        "workflow": objects["workflow"].get_absolute_url(),
        "endpoint": objects["unused"].get_absolute_url(),
        "step": objects["step"].get_absolute_url(),
    }


@pytest.mark.parametrize("page", list(CHANGING_BUTTONS))
def test_viewer_sees_no_changing_buttons(viewer_client, objects, page):
    text = page_text(viewer_client, button_pages(objects)[page])

    visible_buttons = [button for button in CHANGING_BUTTONS[page] if button in text]

    assert visible_buttons == []


@pytest.mark.parametrize("page", list(CHANGING_BUTTONS))
def test_manager_sees_changing_buttons(manager_client, objects, page):
    text = page_text(manager_client, button_pages(objects)[page])

    missing = [button for button in CHANGING_BUTTONS[page] if button not in text]

    assert missing == []


def test_viewer_endpoint_inputs_disabled(viewer_client, objects):
    text = page_text(viewer_client, objects["unused"].get_absolute_url())

    name_input = re.search(r'<input[^>]*name="name"[^>]*>', text).group(0)

    assert "disabled" in name_input


def test_viewer_endpoint_page_hides_edit_hints(viewer_client, objects):
    text = page_text(viewer_client, objects["used"].get_absolute_url())

    assert 'class="required"' not in text
    assert "Leave blank to keep it" not in text
    assert "Saving a change applies" not in text


def test_manager_endpoint_page_shows_edit_hints(manager_client, objects):
    text = page_text(manager_client, objects["used"].get_absolute_url())

    assert 'class="required"' in text
    assert "Leave blank to keep it" in text
    assert "Saving a change applies to it." in text


class PostFormParser(HTMLParser):
    """Collect, for each POST form of a page, the names of its inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[str]] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self.forms.append([])
            self._inside = True
        elif tag == "input" and self._inside:
            self.forms[-1].append(attributes.get("name") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def post_form_pages(objects) -> list[str]:
    workflow = objects["workflow"]
    unused = objects["unused"]
    return [
        reverse("endpoints:workflow_create"),
        reverse("endpoints:workflow_edit", args=[workflow.pk]),
        reverse("endpoints:workflow_delete", args=[workflow.pk]),
        reverse("endpoints:endpoint_create", args=[workflow.pk]) + "?auth_type=basic",
        unused.get_absolute_url(),
        reverse("endpoints:endpoint_delete", args=[unused.pk]),
        reverse("endpoints:step_create", args=[workflow.pk]),
        objects["step"].get_absolute_url(),
        reverse("endpoints:step_delete", args=[objects["step"].pk]),
    ]


def test_every_post_form_has_csrf_token(manager_client, objects):
    for url in post_form_pages(objects):
        parser = PostFormParser()
        parser.feed(page_text(manager_client, url))

        without_token = [
            inputs for inputs in parser.forms if "csrfmiddlewaretoken" not in inputs
        ]

        # The sign-out form of the header, and the page's own form.
        assert len(parser.forms) >= 2, url
        assert without_token == [], url


@pytest.fixture
def csrf_client(manager):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    return client


@pytest.mark.parametrize("name", [name for name in CHANGING if name.endswith("POST")])
def test_post_without_csrf_token_forbidden(csrf_client, objects, name):
    method, url, data = changing_requests(objects)[name]
    before = snapshot()

    response = csrf_client.post(url, data)

    assert response.status_code == 403
    assert snapshot() == before


def test_logout_without_csrf_token_forbidden(csrf_client):
    response = csrf_client.post(reverse("logout"))

    assert response.status_code == 403


def test_post_with_csrf_token_accepted(csrf_client, objects):
    url = reverse("endpoints:workflow_create")
    csrf_client.get(url)
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(url, {"name": "Payroll", "csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Workflow.objects.filter(name="Payroll").exists()
