"""API permissions: a role first, then the role's model permissions, GET included; rows are scoped separately."""

from __future__ import annotations

from rest_framework.permissions import BasePermission, DjangoModelPermissions

from projects.access.roles import role_of


class HasRole(BasePermission):
    """A signed-in account without one of the four roles sees nothing, not even the list of endpoints."""

    message = "Your account has no role in annotate yet; ask your project manager."

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) is not None


class RolePermissions(DjangoModelPermissions):
    """Like DRF's, but reading needs the view permission too (vendor roles have it, others not)."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


def needs(permission: str, message: str) -> type[BasePermission]:
    """The permission class for an action: the user's role grants `permission`, else 403 with `message`.

    Every API action that writes declares what it needs this way, beside the viewset's own classes.
    """

    class Needs(BasePermission):
        def has_permission(self, request, view) -> bool:
            return request.user.has_perm(permission)

    Needs.message = message
    Needs.__name__ = f"Needs_{permission.replace('.', '_')}"
    return Needs
