"""The OpenAPI 3.1 description of the JSON API, written by hand.

The test suite validates every response it receives against these schemas,
and every API path against this list, so a change to a view that is not
made here fails a test.
"""

import copy

API_VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties: dict, description: str = "") -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _page(item: str) -> dict:
    return _object(
        {
            "count": {"type": "integer", "minimum": 0},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
            "results": {"type": "array", "items": _ref(item)},
        },
        f"One page of {item} objects.",
    )


_TEXT = {"type": "string"}
_ID = {"type": "integer", "minimum": 1}
_TIME = {"type": "string", "format": "date-time"}
_URI = {"type": "string", "format": "uri"}
_BOOL = {"type": "boolean"}

SCHEMAS = {
    "Error": _object(
        {
            "error": _object(
                {
                    "code": {
                        "type": "string",
                        "description": "A stable code, such as invalid_token.",
                    },
                    "message": _TEXT,
                }
            )
        }
    ),
    "Root": _object(
        {
            "user": _object({"id": _ID, "username": _TEXT}),
            "authenticated_by": {"enum": ["token", "console_user"]},
            "links": _object({"workflows": _URI, "users": _URI, "openapi": _URI}),
        },
        "The caller and the resources it may try.",
    ),
    "Workflow": _object(
        {
            "id": _ID,
            "name": _TEXT,
            "description": _TEXT,
            "endpoint_count": {"type": "integer", "minimum": 1},
            "step_count": {"type": "integer", "minimum": 0},
            "created_at": _TIME,
            "updated_at": _TIME,
            "url": _URI,
            "endpoints_url": _URI,
            "steps_url": _URI,
        }
    ),
    "Endpoint": _object(
        {
            "id": _ID,
            "name": _TEXT,
            "base_url": _URI,
            "builtin": _BOOL,
            "auth_type": {
                "type": "string",
                "description": "The auth type's key, such as none, basic or token.",
            },
            "auth_type_label": _TEXT,
            "awaiting_configuration": {
                "type": "boolean",
                "description": "True for an imported endpoint whose auth type has "
                "not been chosen yet.",
            },
            "connected": {
                "type": "boolean",
                "description": "Whether the endpoint can authenticate requests now: "
                "its auth type is chosen, its credentials are stored and readable, "
                "and no reconnect is needed.",
            },
            "trust_self_signed": _BOOL,
            "usage_count": {"type": "integer", "minimum": 0},
            "updated_at": _TIME,
        },
        "An endpoint, without any of its auth settings, secrets or tokens.",
    ),
    "Usage": _object(
        {"label": _TEXT, "endpoint_id": _ID, "endpoint_name": _TEXT},
        "A step's use of an endpoint, under the label the step's script uses.",
    ),
    "Step": _object(
        {
            "id": _ID,
            "name": _TEXT,
            "kind": {"enum": ["flow_step", "integration_script", "custom_step"]},
            "kind_label": _TEXT,
            "usages": {"type": "array", "items": _ref("Usage")},
        }
    ),
    "User": _object(
        {
            "id": _ID,
            "username": _TEXT,
            "first_name": _TEXT,
            "last_name": _TEXT,
            "email": _TEXT,
        }
    ),
    "WorkflowPage": _page("Workflow"),
    "EndpointPage": _page("Endpoint"),
    "StepPage": _page("Step"),
    "UserPage": _page("User"),
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }


_UNAUTHORIZED = {
    **_error(
        "No credentials, or an unknown, revoked or expired token or credential. "
        "The WWW-Authenticate header names the accepted schemes."
    ),
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
}
_FORBIDDEN = _error("The caller lacks a permission this resource needs.")
_NOT_FOUND = _error("No such workflow, or a page past the last one.")
_BAD_REQUEST = _error("A query parameter is invalid.")

_PAGE_PARAMETERS = [
    {
        "name": "page",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
    },
    {
        "name": "page_size",
        "in": "query",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    },
]
_WORKFLOW_ID = {
    "name": "workflow_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


def _query(description: str) -> dict:
    return {
        "name": "q",
        "in": "query",
        "description": description,
        "schema": {"type": "string", "maxLength": 100},
    }


def _get(
    summary: str,
    schema: str,
    permissions: list[str],
    parameters: list | None = None,
    not_found: bool = False,
    bad_request: bool = False,
) -> dict:
    responses = {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": _ref(schema)}},
        },
        "401": _UNAUTHORIZED,
        "403": _FORBIDDEN,
    }
    if bad_request:
        responses["400"] = _BAD_REQUEST
    if not_found:
        responses["404"] = _NOT_FOUND
    needs = ", ".join(permissions) if permissions else "no permission"
    return {
        "get": {
            "summary": summary,
            "description": f"Needs {needs}.",
            "parameters": parameters or [],
            "responses": responses,
        }
    }


PATHS = {
    "/": _get("The caller and the API's resources", "Root", []),
    "/workflows/": _get(
        "List workflows",
        "WorkflowPage",
        ["endpoints.view_workflow"],
        [_query("Only workflows whose name contains this."), *_PAGE_PARAMETERS],
        not_found=True,
        bad_request=True,
    ),
    "/workflows/{workflow_id}/": _get(
        "Get a workflow",
        "Workflow",
        ["endpoints.view_workflow"],
        [_WORKFLOW_ID],
        not_found=True,
    ),
    "/workflows/{workflow_id}/endpoints/": _get(
        "List a workflow's endpoints",
        "EndpointPage",
        ["endpoints.view_workflow", "endpoints.view_endpoint"],
        [
            _WORKFLOW_ID,
            _query("Only endpoints whose name or base URL contains this."),
            *_PAGE_PARAMETERS,
        ],
        not_found=True,
        bad_request=True,
    ),
    "/workflows/{workflow_id}/steps/": _get(
        "List a workflow's steps with the endpoints they use",
        "StepPage",
        ["endpoints.view_workflow", "endpoints.view_step", "endpoints.view_stepusage"],
        [_WORKFLOW_ID, *_PAGE_PARAMETERS],
        not_found=True,
        bad_request=True,
    ),
    "/users/": _get(
        "Search active users",
        "UserPage",
        ["auth.view_user"],
        [
            _query("Only users whose username, name or email address contains this."),
            *_PAGE_PARAMETERS,
        ],
        not_found=True,
        bad_request=True,
    ),
}


def openapi_document(server_url: str) -> dict:
    """Return the OpenAPI description, with ``server_url`` as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Endpoint Console API",
            "version": API_VERSION,
            "description": "Read-only access to workflows, their endpoints and "
            "steps, and users. Authenticate with an API token from the console's "
            "API tokens page, sent as `Authorization: Token <key>` or "
            "`Authorization: Bearer <key>`. The API applies the token user's "
            "permissions.",
        },
        "servers": [{"url": server_url}],
        "security": [{"token": []}],
        "paths": copy.deepcopy(PATHS),
        "components": {
            "schemas": copy.deepcopy(SCHEMAS),
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (ect_…), or a console user "
                    "credential (ecu_…) that the built-in Console endpoint signs. "
                    "The Token scheme is accepted as well as Bearer.",
                }
            },
        },
    }
