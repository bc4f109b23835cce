"""The 400 Bad Request page, with the request limits it names."""

from django.conf import settings
from django.http import HttpResponseBadRequest
from django.template import loader
from django.template.defaultfilters import filesizeformat


def bad_request(request, exception, template_name="400.html"):
    """Render 400.html without the request, as Django's own handler does.

    The request may be the reason for the error (a body over the limit), so
    the page reads nothing from it.
    """
    template = loader.get_template(template_name)
    context = {
        "max_form_size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        "max_fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
    }
    return HttpResponseBadRequest(template.render(context))
