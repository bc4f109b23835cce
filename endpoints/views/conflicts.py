"""The side-by-side comparison on the edit conflict page.

When a save is rejected because someone else saved the endpoint first, the
page lists every field with the stored value beside the submitted one.
Secret fields show only whether a value is set, or what the submission
requests, never a value.
"""

from dataclasses import dataclass

from django import forms

from ..auth.secret_field import SecretAction, SecretChange, SecretField
from ..models import ActivityEntry, Endpoint

ENDPOINT_FIELDS = ("name", "base_url", "trust_self_signed")
BLANK = "(blank)"
NOT_USED = "(not used)"
SECRET_SUBMISSIONS = {
    SecretAction.SET: "A new value (not shown; enter it again)",
    SecretAction.KEEP: "Keep the stored value",
    SecretAction.CLEAR: "Clear the stored value",
}


@dataclass(frozen=True)
class ConflictRow:
    """One field: its label, the stored value and the submitted value.

    A secret row differs when the submission sets or clears the secret.
    """

    label: str
    stored: str
    submitted: str
    secret: bool = False
    changes_secret: bool = False

    @property
    def differs(self) -> bool:
        if self.secret:
            return self.changes_secret
        return self.stored != self.submitted


def display_value(form_field: forms.Field, value) -> str:
    """Return a field's value as the conflict table shows it."""
    if isinstance(form_field, forms.BooleanField):
        return "On" if value in (True, "on", "true", "True", "1") else "Off"
    if value in (None, ""):
        return BLANK
    if isinstance(form_field, forms.ChoiceField):
        return str(dict(form_field.choices).get(value, value))
    return str(value)


def submitted_value(form: forms.Form, name: str):
    """Return the cleaned value of a field, or the raw one if it is invalid."""
    cleaned = getattr(form, "cleaned_data", {})
    if name in cleaned:
        return cleaned[name]
    return form[name].value()


def conflict_rows(
    current: Endpoint, endpoint_form: forms.Form, auth_form: forms.Form
) -> list[ConflictRow]:
    """Return the rows comparing ``current`` with the submitted forms.

    Both forms are bound to the submitted data and validated.
    """
    rows = []
    for name in ENDPOINT_FIELDS:
        form_field = endpoint_form.fields[name]
        rows.append(
            ConflictRow(
                label=str(endpoint_form[name].label),
                stored=display_value(form_field, getattr(current, name)),
                submitted=display_value(
                    form_field, submitted_value(endpoint_form, name)
                ),
            )
        )

    stored_form = current.auth.type.get_form(prefix=auth_form.prefix)
    for name, form_field in auth_form.fields.items():
        stored_shown = stored_form.is_shown(name)
        submitted_shown = auth_form.is_shown(name)
        if not (stored_shown or submitted_shown):
            continue
        if isinstance(form_field, SecretField):
            stored = _stored_secret(stored_form, name) if stored_shown else NOT_USED
            change = getattr(auth_form, "cleaned_data", {}).get(name)
            submitted = _submitted_secret(change) if submitted_shown else NOT_USED
            rows.append(
                ConflictRow(
                    str(auth_form[name].label),
                    stored,
                    submitted,
                    secret=True,
                    changes_secret=stored_shown != submitted_shown
                    or (
                        isinstance(change, SecretChange)
                        and change.action is not SecretAction.KEEP
                    ),
                )
            )
            continue
        stored_value = current.auth.params.get(name, form_field.initial)
        stored = display_value(form_field, stored_value) if stored_shown else NOT_USED
        submitted = (
            display_value(form_field, submitted_value(auth_form, name))
            if submitted_shown
            else NOT_USED
        )
        rows.append(ConflictRow(str(auth_form[name].label), stored, submitted))
    return rows


def _stored_secret(stored_form, name: str) -> str:
    if stored_form.secrets_unreadable:
        return "Cannot be decrypted"
    return "A value is set" if stored_form.secret_is_set(name) else "No value"


def _submitted_secret(change) -> str:
    if isinstance(change, SecretChange):
        return SECRET_SUBMISSIONS[change.action]
    return "Invalid (not shown)"


def last_change(endpoint: Endpoint) -> ActivityEntry | None:
    """Return the activity entry of the endpoint's latest saved change."""
    return (
        ActivityEntry.objects.filter(
            endpoint=endpoint, event=ActivityEntry.Event.CHANGED
        )
        .select_related("actor")
        .first()
    )
