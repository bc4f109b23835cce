"""Pagination links keep the page's other query parameters."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from endpoints.models import Workflow
from tests.conftest import make_basic_endpoint, make_step


class PaginationParser(HTMLParser):
    """Collect the links of each pagination bar, by the bar's label."""

    def __init__(self):
        super().__init__()
        self.links: dict[str, dict[str, str]] = {}
        self._label = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "nav" and "pagination" in (attributes.get("class") or ""):
            self._label = attributes["aria-label"]
            self.links[self._label] = {}
        elif tag == "a" and self._label:
            self.links[self._label][attributes["rel"]] = attributes["href"]

    def handle_endtag(self, tag):
        if tag == "nav":
            self._label = None


def pagination_links(content: str) -> dict[str, dict[str, str]]:
    """Return {bar label: {"prev"/"next": href}} for a page's HTML."""
    parser = PaginationParser()
    parser.feed(content)
    return parser.links


def query_of(href: str) -> dict[str, list[str]]:
    assert href.startswith("?")
    return parse_qs(urlsplit(href).query, keep_blank_values=True)


def fill(workflow, endpoints: int, steps: int) -> None:
    for index in range(endpoints):
        make_basic_endpoint(workflow, name=f"alpha {index:03d}")
    for index in range(steps):
        make_step(workflow, name=f"Step {index:03d}")


def test_links_keep_other_parameters(manager_client, workflow):
    # Three pages of matching endpoints and three pages of steps.
    fill(workflow, endpoints=201, steps=101)

    response = manager_client.get(
        workflow.get_absolute_url(), {"q": "alpha", "page": 2, "steps_page": 2}
    )

    links = pagination_links(response.content.decode())
    endpoint_links = links["Endpoint pages"]
    step_links = links["Step pages"]
    assert query_of(endpoint_links["prev"]) == {
        "q": ["alpha"],
        "page": ["1"],
        "steps_page": ["2"],
    }
    assert query_of(endpoint_links["next"]) == {
        "q": ["alpha"],
        "page": ["3"],
        "steps_page": ["2"],
    }
    assert query_of(step_links["prev"]) == {
        "q": ["alpha"],
        "page": ["2"],
        "steps_page": ["1"],
    }
    assert query_of(step_links["next"]) == {
        "q": ["alpha"],
        "page": ["2"],
        "steps_page": ["3"],
    }


def test_step_links_add_steps_page(manager_client, workflow):
    fill(workflow, endpoints=0, steps=51)

    response = manager_client.get(
        workflow.get_absolute_url(), {"q": "alpha", "page": 2}
    )

    links = pagination_links(response.content.decode())
    assert query_of(links["Step pages"]["next"]) == {
        "q": ["alpha"],
        "page": ["2"],
        "steps_page": ["2"],
    }


def test_links_encode_and_escape_search(manager_client, workflow):
    fill(workflow, endpoints=0, steps=51)
    query = 'a&b=c "d" <e> #f +g é'

    response = manager_client.get(workflow.get_absolute_url(), {"q": query})

    content = response.content.decode()
    [href] = pagination_links(content)["Step pages"].values()
    assert query_of(href) == {"q": [query], "steps_page": ["2"]}
    # Encoded for the URL, then escaped for the attribute.
    assert (
        'href="?q=a%26b%3Dc+%22d%22+%3Ce%3E+%23f+%2Bg+%C3%A9&amp;steps_page=2"'
        in content
    )


def test_search_next_link_opens_next_page(manager_client, workflow):
    fill(workflow, endpoints=130, steps=0)
    make_basic_endpoint(workflow, name="Other")
    url = workflow.get_absolute_url()

    first = manager_client.get(url, {"q": "alpha"})
    href = pagination_links(first.content.decode())["Endpoint pages"]["next"]
    second = manager_client.get(url + href)

    page = second.context["endpoint_page"]
    assert page.number == 2
    assert [endpoint.name for endpoint in page][-1] == "alpha 129"
    assert "Other" not in [endpoint.name for endpoint in page]


def test_workflow_list_links_still_work(manager_client):
    for index in range(51):
        Workflow.objects.create(name=f"Workflow {index:02d}")
    url = reverse("endpoints:workflow_list")

    first = manager_client.get(url)
    href = pagination_links(first.content.decode())["Workflow pages"]["next"]
    second = manager_client.get(url + href)

    assert href == "?page=2"
    assert [workflow.name for workflow in second.context["workflow_list"]] == [
        "Workflow 50"
    ]


def test_page_query_replaces_only_its_parameter():
    request = RequestFactory().get("/", {"tag": ["x", "y"], "page": "4", "q": "é"})
    template = Template("{% load console_lists %}{% page_query 'page' 5 %}")

    href = template.render(Context({"request": request}))

    assert href == "?tag=x&amp;tag=y&amp;page=5&amp;q=%C3%A9"


def test_page_query_without_request():
    template = Template("{% load console_lists %}{% page_query 'steps_page' 2 %}")

    assert template.render(Context({})) == "?steps_page=2"
