"""Helpers for the API tests: tokens, headers, and the OpenAPI check."""

from jsonschema import Draft202012Validator

from endpoints.api.openapi import openapi_document
from endpoints.models import ApiToken
from tests.conftest import make_user

REST_API_USERS = "REST API user"

DOCUMENT = openapi_document(server_url="http://testserver/api")


def make_service_account(username: str = "integration"):
    user = make_user(username, REST_API_USERS)
    user.set_unusable_password()
    user.save()
    return user


def token_header(user, name: str = "tests", **fields) -> dict[str, str]:
    """Issue a token for ``user``; return the client kwargs that send it."""
    _, key = ApiToken.objects.issue(user=user, name=name, **fields)
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def response_schema(path: str, status: int) -> dict:
    """Return the documented JSON schema of a response, with its components."""
    responses = DOCUMENT["paths"][path]["get"]["responses"]
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return {**schema, "components": DOCUMENT["components"]}


def assert_documented(response, path: str) -> dict:
    """Assert the response matches the OpenAPI description; return its JSON."""
    responses = DOCUMENT["paths"][path]["get"]["responses"]
    assert str(response.status_code) in responses, response.status_code
    body = response.json()
    validator = Draft202012Validator(
        response_schema(path, response.status_code),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    errors = [error.message for error in validator.iter_errors(body)]
    assert errors == []
    return body
