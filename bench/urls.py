"""The console's URLs plus the fixed page that the page cases compare with."""

from django.http import HttpResponse
from django.urls import include, path

# About the size of a short console page, so that the floor sends a
# response of the usual order of size.
FIXED_PAGE = b"<!doctype html><title>Fixed</title>" + b"<p>fixed page</p>" * 200


def fixed_page(request):
    return HttpResponse(FIXED_PAGE, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench/fixed/", fixed_page, name="bench_fixed"),
    path("", include("console.urls")),
]
