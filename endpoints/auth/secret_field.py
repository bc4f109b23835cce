"""A write-only form field for secrets.

The stored value is never rendered back. The widget says whether a value is
set. Leaving the input blank keeps the stored value, and ticking "Clear"
removes it. A typed value is not rendered back either, so when a page shows
the form again without saving it (a form error, an edit conflict, Test
Authentication), the widget warns that the typed value must be typed again.
"""

import enum
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from endpoints.redaction import SUBSTRING_MIN_LENGTH


class SecretAction(enum.Enum):
    KEEP = "keep"
    SET = "set"
    CLEAR = "clear"


@dataclass(frozen=True)
class SecretChange:
    """What a submitted secret field asks for. Its repr hides the value."""

    action: SecretAction
    value: str = field(default="", repr=False)

    def apply(self, secrets: dict, key: str) -> None:
        """Write the change into a secrets dict, in place."""
        if self.action is SecretAction.SET:
            secrets[key] = self.value
        elif self.action is SecretAction.CLEAR:
            secrets.pop(key, None)


KEEP = SecretChange(SecretAction.KEEP)

# The maximum length of a typed secret. Real passwords, tokens and IDs are
# far shorter, so the limit only keeps a pasted file or similar mistake out
# of the database and out of request headers.
SECRET_MAX_LENGTH = 4096
# The minimum length of secrets that a provider issues, tokens and client
# secrets, which are far longer in practice. Passwords and an ID value may
# be shorter, since some systems have such. Redaction replaces a value under
# this length only where it is a whole value (see
# endpoints.redaction), so that nobody can read it off from where the
# markers fall.
ISSUED_SECRET_MIN_LENGTH = SUBSTRING_MIN_LENGTH


def typed_value(data) -> str:
    """Return the typed input from a secret widget's data, or ""."""
    if isinstance(data, list | tuple) and data and isinstance(data[0], str):
        return data[0]
    return ""


class SecretInput(forms.MultiWidget):
    """A password input that never shows its value, with a "Clear" box."""

    template_name = "endpoints/widgets/secret_input.html"
    # The label names the password input (see id_for_label), not a group.
    # So Django adds the field's aria-describedby, for its help text and
    # errors, to the widget, and get_context moves it to the password input.
    use_fieldset = False

    def __init__(self, attrs=None):
        widgets = (
            forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            forms.CheckboxInput(),
        )
        super().__init__(widgets, attrs)
        self.is_set = False
        self.clearable = True
        self.unreadable = False

    def decompress(self, value):
        return ["", False]

    def id_for_label(self, id_):
        # The label, help text and status belong to the password input.
        return f"{id_}_0" if id_ else id_

    def get_context(self, name, value, attrs):
        # A bound form passes the submitted [typed, clear] pair. The typed
        # value is dropped here and only its presence is kept, for the
        # warning.
        typed = bool(typed_value(value))
        context = super().get_context(name, ["", False], attrs)
        password_attrs = context["widget"]["subwidgets"][0]["attrs"]
        if password_attrs.get("id"):
            # Screen readers announce whether a value is stored, and that a
            # typed one was not saved.
            described_by = password_attrs.get("aria-describedby", "").split()
            described_by.append(f"{password_attrs['id']}_status")
            if typed:
                described_by.append(f"{password_attrs['id']}_unsaved")
            password_attrs["aria-describedby"] = " ".join(described_by)
        # The clear box needs no description of its own; its label says it.
        context["widget"]["subwidgets"][1]["attrs"].pop("aria-describedby", None)
        context["widget"]["is_set"] = self.is_set
        context["widget"]["typed_not_saved"] = typed
        context["widget"]["unreadable"] = self.unreadable
        context["widget"]["clearable"] = self.clearable and (
            self.is_set or self.unreadable
        )
        return context

    def value_from_datadict(self, data, files, name):
        return [
            data.get(f"{name}_0", ""),
            data.get(f"{name}_1") in ("on", "true", "1", "True"),
        ]


class SecretField(forms.MultiValueField):
    """Form field whose cleaned value is a `SecretChange`.

    `bind_stored` tells the field whether a value is stored, which decides
    whether a blank input is allowed.
    """

    widget = SecretInput
    default_error_messages = {
        "max_length": "Use at most %(limit)s characters (this value has %(length)s).",
        "min_length": "Enter the whole value: it must have at least %(limit)s "
        "characters (this value has %(length)s).",
        "clear_required": "This value is required, so it cannot be cleared; enter "
        "a new value instead.",
        "set_and_clear": "Either enter a new value or tick “Clear”, not both.",
        "unreadable": "The stored value cannot be decrypted with the current keys, "
        "so it cannot be kept. Enter it again, or tick “Clear the stored value”.",
        "unreadable_required": "The stored value cannot be decrypted with the "
        "current keys, so it cannot be kept. Enter it again.",
    }

    def __init__(self, *, required=True, min_length: int = 1, **kwargs):
        fields = (
            forms.CharField(required=False, strip=False),
            forms.BooleanField(required=False),
        )
        super().__init__(fields, required=required, require_all_fields=False, **kwargs)
        self.min_length = min_length
        self.secret_required = required
        self.is_set = False
        self.unreadable = False

    def bind_stored(self, is_set: bool, unreadable: bool = False) -> None:
        """Record whether a value is stored, for the widget and the checks.

        ``unreadable`` means that the stored secrets cannot be decrypted, so
        a blank input cannot keep anything and is rejected.
        """
        self.is_set = is_set and not unreadable
        self.unreadable = unreadable
        self.widget.is_set = self.is_set
        self.widget.unreadable = unreadable
        self.widget.clearable = not self.secret_required
        # A stored value makes a blank input valid: it keeps the value.
        self.required = self.secret_required and not self.is_set

    def clean(self, value):
        typed, clear = (value or ["", False])[:2]
        if typed and clear:
            raise ValidationError(
                self.error_messages["set_and_clear"], code="set_and_clear"
            )
        if clear:
            if self.secret_required:
                raise ValidationError(
                    self.error_messages["clear_required"], code="clear_required"
                )
            return SecretChange(SecretAction.CLEAR)
        if typed:
            if len(typed) > SECRET_MAX_LENGTH:
                raise ValidationError(
                    self.error_messages["max_length"],
                    code="max_length",
                    params={
                        "limit": f"{SECRET_MAX_LENGTH:,}",
                        "length": f"{len(typed):,}",
                    },
                )
            if len(typed) < self.min_length:
                raise ValidationError(
                    self.error_messages["min_length"],
                    code="min_length",
                    params={"limit": self.min_length, "length": len(typed)},
                )
            for validator in self.validators:
                validator(typed)
            return SecretChange(SecretAction.SET, typed)
        if self.unreadable:
            code = "unreadable_required" if self.secret_required else "unreadable"
            raise ValidationError(self.error_messages[code], code=code)
        if self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return KEEP

    def has_changed(self, initial, data):
        typed, clear = (data or ["", False])[:2]
        return bool(typed) or bool(clear)
