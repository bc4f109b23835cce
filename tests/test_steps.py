"""Steps: usages with labels, and creating an endpoint from the step form."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from endpoints.models import ActivityEntry, Endpoint, Step, StepUsage, Workflow
from tests.conftest import error_codes, make_basic_endpoint, make_step


def step_data(name="Close ticket", usages=(), initial_forms=0, **extra) -> dict:
    """Return the step form's POST data with one formset row per usage."""
    data = {
        "name": name,
        "kind": Step.Kind.FLOW_STEP,
        "usages-TOTAL_FORMS": str(len(usages)),
        "usages-INITIAL_FORMS": str(initial_forms),
    }
    for index, usage in enumerate(usages):
        for field, value in usage.items():
            data[f"usages-{index}-{field}"] = str(value)
    data.update(extra)
    return data


def create_url(workflow) -> str:
    return reverse("endpoints:step_create", args=[workflow.pk])


def test_create_step_with_usage(manager_client, workflow, endpoint):
    data = step_data(usages=[{"endpoint": endpoint.pk, "label": "tickets"}])

    response = manager_client.post(create_url(workflow), data)

    assert response.status_code == 302
    step = Step.objects.get(workflow=workflow, name="Close ticket")
    usage = step.usages.get()
    assert usage.endpoint == endpoint
    assert usage.label == "tickets"


def test_step_shown_on_endpoint_page(manager_client, workflow, endpoint):
    data = step_data(usages=[{"endpoint": endpoint.pk, "label": "tickets"}])
    manager_client.post(create_url(workflow), data)

    response = manager_client.get(endpoint.get_absolute_url())

    content = response.content.decode()
    assert "Close ticket" in content
    assert "<code>tickets</code>" in content


def test_step_with_two_endpoints(manager_client, workflow, endpoint, builtin):
    data = step_data(
        usages=[
            {"endpoint": endpoint.pk, "label": "tickets"},
            {"endpoint": builtin.pk, "label": "console"},
        ]
    )

    manager_client.post(create_url(workflow), data)

    labels = StepUsage.objects.filter(step__name="Close ticket").values_list(
        "label", flat=True
    )
    assert sorted(labels) == ["console", "tickets"]


@pytest.mark.parametrize(("first", "second"), [("api", "api"), ("api", "API")])
def test_duplicate_labels_rejected(manager_client, workflow, builtin, first, second):
    endpoint = make_basic_endpoint(workflow)
    data = step_data(
        usages=[
            {"endpoint": endpoint.pk, "label": first},
            {"endpoint": builtin.pk, "label": second},
        ]
    )

    response = manager_client.post(create_url(workflow), data)

    formset = response.context["formset"]
    assert response.status_code == 200
    assert error_codes(formset.forms[1], "label") == ["duplicate_label"]
    assert list(formset.non_form_errors()) == []
    assert not Step.objects.filter(name="Close ticket").exists()


def test_duplicate_label_on_edit_rejected(manager_client, workflow, used_endpoint):
    step = used_endpoint.usages.get().step
    usage = step.usages.get()
    builtin = workflow.endpoints.get(is_builtin=True)
    data = step_data(
        name=step.name,
        initial_forms=1,
        usages=[
            {"id": usage.pk, "endpoint": used_endpoint.pk, "label": "tickets"},
            {"endpoint": builtin.pk, "label": "Tickets"},
        ],
    )

    response = manager_client.post(step.get_absolute_url(), data)

    assert response.status_code == 200
    assert error_codes(response.context["formset"].forms[1], "label") == [
        "duplicate_label"
    ]
    assert step.usages.count() == 1


def test_endpoint_of_other_workflow_rejected(manager_client, workflow):
    foreign = make_basic_endpoint(Workflow.objects.create(name="Other"))
    data = step_data(usages=[{"endpoint": foreign.pk, "label": "foreign"}])

    response = manager_client.post(create_url(workflow), data)

    assert response.status_code == 200
    assert error_codes(response.context["formset"].forms[0], "endpoint") == [
        "invalid_choice"
    ]
    assert not Step.objects.filter(name="Close ticket").exists()


def test_duplicate_step_name_rejected(manager_client, workflow):
    make_step(workflow, name="Close ticket")

    response = manager_client.post(create_url(workflow), step_data(name="CLOSE TICKET"))

    assert error_codes(response.context["form"], "name") == ["duplicate_name"]
    assert Step.objects.filter(workflow=workflow).count() == 1


def test_label_with_line_break_names_label(manager_client, workflow, endpoint):
    data = step_data(usages=[{"endpoint": endpoint.pk, "label": "tick\nets"}])

    response = manager_client.post(create_url(workflow), data)

    row = response.context["formset"].forms[0]
    assert error_codes(row, "label") == ["control_characters"]
    assert row.errors["label"] == [
        "Remove the line breaks and control characters from the label."
    ]


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u2067", "\ufeff"])
def test_label_with_invisible_character_rejected(
    manager_client, workflow, endpoint, char
):
    data = step_data(usages=[{"endpoint": endpoint.pk, "label": f"tick{char}ets"}])

    response = manager_client.post(create_url(workflow), data)

    row = response.context["formset"].forms[0]
    assert error_codes(row, "label") == ["invisible_characters"]
    assert (
        "from the label; with it, two labels can look the same."
        in (row.errors["label"][0])
    )
    assert not Step.objects.filter(name="Close ticket").exists()


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\u2068", "\ufeff"])
def test_step_name_with_invisible_character_rejected(manager_client, workflow, char):
    response = manager_client.post(
        create_url(workflow), step_data(name=f"Close{char} ticket")
    )

    assert error_codes(response.context["form"], "name") == ["invisible_characters"]
    assert not Step.objects.exists()


def test_step_form_has_error_summary(manager_client, workflow, endpoint):
    data = step_data(
        name="",
        usages=[
            {"endpoint": endpoint.pk, "label": "tickets"},
            {"endpoint": endpoint.pk, "label": "TICKETS"},
        ],
    )

    response = manager_client.post(create_url(workflow), data)

    content = response.content.decode()
    assert 'role="alert" tabindex="-1"' in content
    assert "This page has 2 problems:" in content
    assert '<a href="#id_name">Name</a>: This field is required.' in content
    assert '<a href="#id_usages-1-label">Label, row 2</a>: The label' in content


@pytest.mark.parametrize(("count", "phrase"), [(1, "1 endpoint."), (2, "2 endpoints.")])
def test_step_activity_counts_endpoints(
    manager_client, workflow, endpoint, builtin, count, phrase
):
    usages = [
        {"endpoint": endpoint.pk, "label": "tickets"},
        {"endpoint": builtin.pk, "label": "console"},
    ][:count]

    manager_client.post(create_url(workflow), step_data(usages=usages))

    entry = ActivityEntry.objects.get(
        event=ActivityEntry.Event.CREATED, workflow=workflow
    )
    assert entry.detail == f"Step “Close ticket” created using {phrase}"


def test_remove_usage_from_step(manager_client, workflow, used_endpoint):
    step = used_endpoint.usages.get().step
    usage = step.usages.get()
    data = step_data(
        name=step.name,
        initial_forms=1,
        usages=[
            {
                "id": usage.pk,
                "endpoint": used_endpoint.pk,
                "label": "tickets",
                "DELETE": "on",
            }
        ],
    )

    response = manager_client.post(step.get_absolute_url(), data)

    assert response.status_code == 302
    assert not used_endpoint.usages.exists()


@pytest.fixture
def saved_and_new(manager_client, workflow, endpoint):
    """Submit a new step with "Save and create a new endpoint"."""
    data = step_data(
        usages=[{"endpoint": endpoint.pk, "label": "tickets"}],
        save_and_new_endpoint="1",
    )
    return manager_client.post(create_url(workflow), data)


def test_save_and_new_saves_step(saved_and_new, workflow):
    step = Step.objects.get(workflow=workflow, name="Close ticket")

    assert step.usages.count() == 1


def test_save_and_new_goes_to_type_picker(saved_and_new, workflow):
    step = Step.objects.get(workflow=workflow, name="Close ticket")

    location = urlsplit(saved_and_new["Location"])

    assert saved_and_new.status_code == 302
    assert location.path == reverse("endpoints:endpoint_create", args=[workflow.pk])
    assert parse_qs(location.query) == {"next": [step.get_absolute_url()]}


def test_type_picker_carries_next(manager_client, saved_and_new):
    response = manager_client.get(saved_and_new["Location"])

    step_url = parse_qs(urlsplit(saved_and_new["Location"]).query)["next"][0]
    content = response.content.decode()
    assert "choice_form" in response.context
    assert f'<input type="hidden" name="next" value="{step_url}">' in content


def test_endpoint_form_carries_next(manager_client, saved_and_new):
    step_url = parse_qs(urlsplit(saved_and_new["Location"]).query)["next"][0]

    response = manager_client.get(
        saved_and_new["Location"], {"auth_type": "none", "next": step_url}
    )

    content = response.content.decode()
    assert f'<input type="hidden" name="next" value="{step_url}">' in content


@pytest.fixture
def created_from_step(manager_client, workflow, saved_and_new):
    """Create an endpoint from the picker that the step form led to."""
    step = Step.objects.get(workflow=workflow, name="Close ticket")
    data = {
        "auth_type": "none",
        "name": "Status page",
        "base_url": "https://status.example.test",
        "next": step.get_absolute_url(),
    }
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    return manager_client.post(url, data)


def test_create_returns_to_step(created_from_step, workflow):
    step = Step.objects.get(workflow=workflow, name="Close ticket")
    endpoint = Endpoint.objects.get(workflow=workflow, name="Status page")

    location = urlsplit(created_from_step["Location"])

    assert location.path == step.get_absolute_url()
    assert parse_qs(location.query) == {"add_endpoint": [str(endpoint.pk)]}


def test_step_form_preselects_new_endpoint(manager_client, created_from_step, workflow):
    endpoint = Endpoint.objects.get(workflow=workflow, name="Status page")

    response = manager_client.get(created_from_step["Location"])

    formset = response.context["formset"]
    new_rows = formset.forms[formset.initial_form_count() :]
    assert [row["endpoint"].value() for row in new_rows] == [endpoint.pk]
    assert re.search(
        rf'<option value="{endpoint.pk}" selected>Status page</option>',
        response.content.decode(),
    )


def test_preselected_row_keeps_existing_usage(
    manager_client, created_from_step, workflow, endpoint
):
    response = manager_client.get(created_from_step["Location"])

    formset = response.context["formset"]
    existing = formset.forms[: formset.initial_form_count()]
    assert [row["endpoint"].value() for row in existing] == [endpoint.pk]


def test_add_endpoint_of_other_workflow_ignored(manager_client, workflow):
    step = make_step(workflow)
    foreign = make_basic_endpoint(Workflow.objects.create(name="Other"))

    response = manager_client.get(step.get_absolute_url(), {"add_endpoint": foreign.pk})

    assert f'value="{foreign.pk}" selected'.encode() not in response.content


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "https://evil.example/steps/1/",
        "javascript:alert(1)",
    ],
)
def test_foreign_next_ignored_on_create(manager_client, workflow, next_url):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])
    data = {
        "auth_type": "none",
        "name": "Status page",
        "base_url": "https://status.example.test",
        "next": next_url,
    }

    response = manager_client.post(url, data)

    endpoint = Endpoint.objects.get(workflow=workflow, name="Status page")
    assert response.status_code == 302
    assert response["Location"] == endpoint.get_absolute_url()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/"])
def test_foreign_next_not_rendered(manager_client, workflow, next_url):
    url = reverse("endpoints:endpoint_create", args=[workflow.pk])

    picker = manager_client.get(url, {"next": next_url})
    form = manager_client.get(url, {"next": next_url, "auth_type": "none"})

    assert b"evil.example" not in picker.content
    assert b"evil.example" not in form.content
