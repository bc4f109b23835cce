"""The OAuth 2.0 layer that the OAuth auth types and vendor presets share.

- `base.OAuth2AuthType`: the auth type base with the token lifetime, the
  retry after an "expired" status and the hooks a preset overrides.
- `client`: token requests through authlib on the runtime's guarded client.
- `tokens`: the parsed token set and ``expires_in`` parsing.
- `storage`: storing tokens, and the lock around every renewal.
- `connect`: Connect and the callback, with state kept in the database.
- `provider_errors`: provider error codes in plain words.
- `forms`: the form fields of the client registration.
"""
