"""Form data for the endpoint pages, as a browser would post it."""


def edit_form_data(endpoint, **overrides) -> dict:
    """Return the edit form's POST data for an endpoint as it is stored.

    Secret inputs stay blank, which keeps the stored values. Keys in
    ``overrides`` replace fields (auth fields carry the ``auth-`` prefix),
    and a value of None removes the field, as an unticked box would.
    """
    data = {
        "name": endpoint.name,
        "base_url": endpoint.base_url,
        "version": str(endpoint.version),
    }
    if endpoint.trust_self_signed:
        data["trust_self_signed"] = "on"
    for name, value in endpoint.auth.params.items():
        if value is True:
            data[f"auth-{name}"] = "on"
        elif value not in (False, None):
            data[f"auth-{name}"] = str(value)
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}
