"""The workflow import page: upload an export file, get a new workflow."""

import logging
from io import BytesIO

from django.contrib import messages
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import TemplateView

from ..forms import WorkflowImportForm
from ..importer import (
    NEW_NAME_PATH,
    ImportFileError,
    import_workflow,
    max_import_bytes,
    too_large_error,
)
from . import mixins
from .endpoints import count_phrase

logger = logging.getLogger(__name__)

# Room in a request for the multipart framing, the CSRF token and the name
# field around a file of the maximum size.
MULTIPART_ALLOWANCE = 16 * 1024

IMPORT_PERMISSIONS = (
    mixins.ADD_WORKFLOW,
    mixins.ADD_ENDPOINT,
    mixins.ADD_STEP,
    "endpoints.add_stepusage",
)


class CappedUploadHandler(FileUploadHandler):
    """Keep uploads in memory and stop reading past ``max_bytes`` in all.

    Past the limit the rest of the request body is left unread, and
    ``exceeded`` records why the file is missing.
    """

    def __init__(self, request, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False
        self.buffer = BytesIO()

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = BytesIO()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def request_content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# The CSRF check reads the request body, so it runs only after the upload
# handler that caps the body is in place (see `post`).
@method_decorator(csrf_exempt, name="dispatch")
class WorkflowImportView(mixins.ConsolePermissionMixin, TemplateView):
    """Upload an export file and create its workflow.

    A rejected file lists every problem and changes nothing. A name clash
    offers to import the workflow under another name.
    """

    template_name = "endpoints/workflow_import.html"
    view_permission = mixins.ADD_WORKFLOW
    change_permission = mixins.ADD_WORKFLOW

    def get_permission_required(self):
        return IMPORT_PERMISSIONS

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", WorkflowImportForm())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        limit = max_import_bytes()
        content_length = request_content_length(request)
        if content_length > limit + MULTIPART_ALLOWANCE:
            logger.warning(
                "event=import_rejected reason=too_large content_length=%d actor_id=%s",
                content_length,
                request.user.pk,
            )
            return self.render_problems(
                WorkflowImportForm(), too_large_error(content_length), status=413
            )

        handler = CappedUploadHandler(request, limit)
        request.upload_handlers = [handler]
        return csrf_protect(self.handle_upload)(request, handler)

    def handle_upload(self, request, handler: CappedUploadHandler):
        # Reading the fields parses the body, which sets handler.exceeded.
        data, files = request.POST, request.FILES
        if handler.exceeded:
            logger.warning(
                "event=import_rejected reason=too_large received=%d actor_id=%s",
                handler.received,
                request.user.pk,
            )
            # A bound form would also report the file as missing, because
            # the upload was dropped. The size is the only problem to show.
            form = WorkflowImportForm(initial={"name": data.get("name", "")})
            return self.render_problems(form, too_large_error(None), status=413)
        form = WorkflowImportForm(data, files)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)

        upload = form.cleaned_data["file"]
        new_name = form.cleaned_data["name"].strip() or None
        try:
            result = import_workflow(
                upload.read(), actor=request.user, name=new_name, source=upload.name
            )
        except ImportFileError as error:
            return self.render_problems(form, error, status=400)

        workflow = result.workflow
        messages.success(
            request,
            f"Workflow “{workflow.name}” imported with "
            f"{count_phrase(result.endpoint_count, 'endpoint')} and "
            f"{count_phrase(result.step_count, 'step')}. Choose an auth type for "
            "each endpoint in the checklist below.",
        )
        return redirect(workflow)

    def render_problems(self, form, error: ImportFileError, status: int):
        """Show the import form again with the file's problems listed.

        A problem with the name typed under "Import as" goes on that field,
        so that the field is marked invalid and described by it.
        """
        problems = error.messages
        if form.is_bound:
            typed_name = [p for p in error.problems if p.path == NEW_NAME_PATH]
            for problem in typed_name:
                form.add_error("name", problem.message)
            problems = [
                str(problem)
                for problem in error.problems
                if problem.path != NEW_NAME_PATH
            ]
        context = self.get_context_data(
            form=form, problems=problems, name_clash="name_clash" in error.codes
        )
        return self.render_to_response(context, status=status)
