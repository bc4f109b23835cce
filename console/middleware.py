"""Middleware of the console project: the Content-Security-Policy header.

Django 5.2 has no Content-Security-Policy support of its own. The policy in
the CONTENT_SECURITY_POLICY setting goes on every response, the admin's
included. The console's pages and the Django 5.2 admin load their scripts
and styles from files, with no inline script, event handler attribute or
style attribute, so neither needs 'unsafe-inline'. The one exception, a
<style> element in the admin's change list when a ModelAdmin hides both
action bars, is never rendered (tests/test_csp.py checks both).
"""

from django.conf import settings

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    """Add the CONTENT_SECURITY_POLICY header unless a view set its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and HEADER not in response:
            response[HEADER] = policy
        return response
