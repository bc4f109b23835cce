"""The sign-in page, with repeated failures throttled."""

from django.contrib.auth.views import LoginView

from ..forms import ThrottledAuthenticationForm


def mark_throttled(response, form):
    """Give the response to a throttled sign-in 429 and a Retry-After header.

    ``form`` is the submitted sign-in form; a sign-in that was not
    throttled leaves the response as it is. Returns the response.
    """
    retry_after = getattr(form, "retry_after", None)
    if retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response


class ThrottledLoginView(LoginView):
    """Sign in; a throttled sign-in gets 429 with a Retry-After header."""

    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        return mark_throttled(super().form_invalid(form), form)
