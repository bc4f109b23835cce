"""Permission rules shared by every console page.

Viewing needs the ``view`` permission of the page's model; any request that
changes data (every method but GET and HEAD) needs ``change_permission``.
Anonymous users are sent to the login page by LoginRequiredMiddleware; a
signed-in user without the permission gets 403.
"""

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

VIEW_WORKFLOW = "endpoints.view_workflow"
CHANGE_WORKFLOW = "endpoints.change_workflow"
ADD_WORKFLOW = "endpoints.add_workflow"
DELETE_WORKFLOW = "endpoints.delete_workflow"
VIEW_ENDPOINT = "endpoints.view_endpoint"
ADD_ENDPOINT = "endpoints.add_endpoint"
CHANGE_ENDPOINT = "endpoints.change_endpoint"
DELETE_ENDPOINT = "endpoints.delete_endpoint"
VIEW_STEP = "endpoints.view_step"
ADD_STEP = "endpoints.add_step"
CHANGE_STEP = "endpoints.change_step"
DELETE_STEP = "endpoints.delete_step"


class ConsolePermissionMixin(PermissionRequiredMixin):
    """Require ``view_permission`` to look and ``change_permission`` to post.

    Views that only change data set ``view_permission`` to the changing
    permission as well, so that even their GET is refused to viewers.
    """

    view_permission: str = VIEW_WORKFLOW
    change_permission: str | None = None
    raise_exception = True

    def get_permission_required(self):
        if self.request.method in SAFE_METHODS or self.change_permission is None:
            return (self.view_permission,)
        return (self.view_permission, self.change_permission)

    def handle_no_permission(self):
        raise PermissionDenied(
            "Your account may look at endpoints but not change them. Ask an "
            "administrator to add you to the Endpoint managers group."
        )

    def user_can_change(self) -> bool:
        if self.change_permission is None:
            return False
        return self.request.user.has_perm(self.change_permission)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_change"] = self.user_can_change()
        return context
