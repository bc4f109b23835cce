"""The sign-in page, with repeated failures throttled."""

from django.contrib.auth.views import LoginView

from ..forms import ThrottledAuthenticationForm


class ThrottledLoginView(LoginView):
    """Sign in; a throttled sign-in gets 429 with a Retry-After header."""

    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response
