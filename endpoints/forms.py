"""Forms for workflows, endpoints and steps.

The auth type's own fields come from the type's form (`endpoints.auth`); the
endpoint page shows both forms and saves them together.
"""

import logging
from urllib.parse import urlsplit

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory

from . import throttling
from .auth import registry
from .importer import import_limit_text
from .models import ApiToken, Endpoint, Step, StepUsage, Workflow
from .runtime.errors import InvalidPathError
from .runtime.urls import join_url
from .validators import (
    DESCRIPTION_MAX_LENGTH,
    name_key,
    validate_header_name,
    validate_header_value,
)

NEVER = "never"

logger = logging.getLogger(__name__)


class WorkflowForm(forms.ModelForm):
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Workflow
        fields = ["name", "description"]


class WorkflowImportForm(forms.Form):
    """An export file to import, and the name to import it under."""

    file = forms.FileField(
        label="Export file",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    name = forms.CharField(
        label="Import as",
        required=False,
        help_text="Leave blank to use the workflow name in the file. Enter another "
        "name when a workflow with that name exists already.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is read per form, as the too-large error reads it, so
        # both state the current setting in the same words.
        help_text = (
            f"A .json file written by a workflow's Export, up to {import_limit_text()}."
        )
        self.fields["file"].help_text = help_text


class AuthTypeChoiceForm(forms.Form):
    """The first step of creating an endpoint: choosing its auth type."""

    auth_type = forms.ChoiceField(
        label="Authentication type",
        widget=forms.RadioSelect,
        help_text="The type cannot be changed once the endpoint is saved.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["auth_type"].choices = [
            (auth_type.key, auth_type.label)
            for auth_type in registry.selectable_types()
        ]


class EndpointForm(forms.ModelForm):
    """Name, base URL and TLS trust of an endpoint.

    ``version`` carries the version the page was loaded at, so that a save
    racing another user's save is detected.
    """

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        required=False,
        # Only a tampered or damaged page submits a version that is not a
        # number.
        error_messages={
            "invalid": "This page is out of date; reload it and make your "
            "changes again."
        },
    )

    class Meta:
        model = Endpoint
        fields = ["name", "base_url", "trust_self_signed"]
        widgets = {
            "base_url": forms.URLInput(attrs={"spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
        # The deprecated assigned user can be removed but never set, so only
        # endpoints that still have one get the field.
        if self.instance.assigned_user_id:
            self.fields["clear_assigned_user"] = forms.BooleanField(
                label="Remove the assigned user",
                required=False,
                help_text="Once removed, it cannot be set again.",
            )
        if self.instance.is_builtin:
            for name in ("name", "base_url"):
                self.fields[name].disabled = True
            self.fields["name"].help_text = "The built-in endpoint cannot be renamed."
            self.fields[
                "base_url"
            ].help_text = "The console's own API, from the CONSOLE_BASE_URL setting."

    def certificates_outdated(self) -> bool:
        """Return whether the submitted values void the pinned certificate.

        A pin belongs to one origin and to the trust switch being on.
        """
        if not self.instance.pk:
            return False
        if not self.cleaned_data.get("trust_self_signed"):
            return True
        before = urlsplit(self.initial.get("base_url") or "")
        after = urlsplit(self.cleaned_data.get("base_url") or "")
        return (before.scheme, before.hostname, before.port) != (
            after.scheme,
            after.hostname,
            after.port,
        )

    def save(self, commit=True):
        if self.cleaned_data.get("clear_assigned_user"):
            self.instance.assigned_user = None
        if self.certificates_outdated():
            self.instance.clear_certificates()
        return super().save(commit)


class SendRequestForm(forms.Form):
    """A test request through an endpoint: method, path, headers and body."""

    METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

    method = forms.ChoiceField(choices=[(method, method) for method in METHODS])
    path = forms.CharField(
        required=False,
        max_length=2000,
        strip=False,
        widget=forms.TextInput(attrs={"spellcheck": "false"}),
        help_text="Joined to the base URL, such as /status or items?limit=5.",
    )
    headers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One header per line, as Name: value. The endpoint's "
        "authentication adds its own headers.",
    )
    body = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Sent as UTF-8. Set Content-Type in the headers.",
    )

    def clean_path(self) -> str:
        path = self.cleaned_data["path"]
        try:
            join_url("https://host.invalid/base", path)
        except InvalidPathError as error:
            raise ValidationError(error.reason, code="invalid_path") from None
        return path

    def clean_headers(self) -> list[tuple[str, str]]:
        headers = []
        for number, line in enumerate(self.cleaned_data["headers"].splitlines(), 1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not colon or not name:
                raise ValidationError(
                    "Line %(number)d is not a header; write it as Name: value.",
                    code="invalid_header_line",
                    params={"number": number},
                )
            try:
                validate_header_name(name)
                validate_header_value(value)
            except ValidationError as error:
                raise ValidationError(
                    "Line %(number)d: %(problem)s",
                    code=error.code,
                    params={"number": number, "problem": " ".join(error.messages)},
                ) from None
            headers.append((name, value))
        return headers


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["name", "kind"]


class StepUsageForm(forms.ModelForm):
    class Meta:
        model = StepUsage
        fields = ["endpoint", "label"]
        help_texts = {
            "endpoint": "The endpoint this step calls.",
        }


class BaseUsageFormSet(BaseInlineFormSet):
    """A step's usages: one row per endpoint it calls, each with a label."""

    def __init__(self, *args, workflow: Workflow, **kwargs):
        self.workflow = workflow
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["endpoint"].queryset = Endpoint.objects.filter(
            workflow=self.workflow
        )
        form.fields["endpoint"].empty_label = "Choose an endpoint"

    def clean(self):
        # Labels are checked before the model formset's own uniqueness check,
        # so that exact duplicates get this error too instead of the generic
        # "Please correct the duplicate values below".
        self.check_duplicate_labels()
        super().clean()

    def check_duplicate_labels(self):
        """Add an error to each row that repeats a label, ignoring case."""
        seen: dict[str, str] = {}
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            label = form.cleaned_data.get("label")
            if not label:
                continue
            key = name_key(label)
            if key in seen:
                form.add_error(
                    "label",
                    ValidationError(
                        "The label “%(label)s” is used twice in this step; give "
                        "each endpoint its own label.",
                        code="duplicate_label",
                        params={"label": label},
                    ),
                )
            seen[key] = label


UsageFormSet = inlineformset_factory(
    Step,
    StepUsage,
    form=StepUsageForm,
    formset=BaseUsageFormSet,
    extra=1,
    can_delete=True,
)


class ApiTokenForm(forms.ModelForm):
    """A new API token's name and lifetime."""

    expires_in = forms.ChoiceField(
        label="Expires",
        choices=[
            ("30", "In 30 days"),
            ("90", "In 90 days"),
            ("365", "In a year"),
            (NEVER, "Never"),
        ],
        initial="90",
        help_text="An expired token stops working; create a new one then.",
    )

    class Meta:
        model = ApiToken
        fields = ["name"]

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = self.cleaned_data["name"]
        if (
            ApiToken.objects.filter(user=self.user, revoked_at__isnull=True)
            .filter(name__iexact=name)
            .exists()
        ):
            raise ValidationError(
                "You already have a token with this name; choose another name or "
                "revoke that token first.",
                code="duplicate_name",
            )
        return name

    def expiry_days(self) -> int | None:
        value = self.cleaned_data["expires_in"]
        return None if value == NEVER else int(value)


class ThrottledLoginMixin:
    """Reject sign-ins after repeated failures; see `endpoints.throttling`.

    While a username or client address is throttled, even the right
    password is rejected, so that guessing gains nothing. ``retry_after``
    is set to the seconds to wait when a sign-in was rejected for that.
    """

    retry_after: int | None = None

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()

        try:
            attempt = throttling.begin_attempt(self.request, username)
        except throttling.LoginThrottledError as error:
            self.retry_after = error.retry_after
            raise ValidationError(
                "Too many failed sign-ins for this %(scope)s. Wait %(wait)s, then "
                "try again, or ask an administrator to check the account.",
                code="throttled",
                params={
                    "scope": "username"
                    if error.scope == "username"
                    else "network address",
                    "wait": throttling.describe_wait(error.retry_after),
                },
            ) from None

        try:
            cleaned = super().clean()
        except ValidationError as error:
            logger.warning("event=login_failed outcome=failure code=%s", error.code)
            raise
        attempt.succeeded()
        logger.info("event=login outcome=success user_id=%s", self.get_user().pk)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The console's sign-in form."""


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's sign-in form, throttled like the console's."""
