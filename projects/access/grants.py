"""Granting a role: putting a person in one of the four role groups, as the admin and the demo do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.models import Group

from projects.access.roles import ROLES
from projects.audit import Actor, records_actor
from projects.errors import Refusal

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class RoleRefused(Refusal):
    """A role that cannot be granted as asked; the message says why."""


@records_actor
def grant_role(*, user: AbstractBaseUser, role: str, actor: Actor) -> bool:
    """Put `user` in the group of `role`; True when that is new. Idempotent; the change of the user's groups is
    in the audit log under `actor`. Refused for a role annotate does not know or an inactive user."""
    if role not in ROLES:
        raise RoleRefused(f"{role!r} is not a role; the roles are {', '.join(ROLES)}.")
    if not user.is_active:
        raise RoleRefused(f"{user.get_username()} is inactive: reactivate the account before granting a role.")
    group = Group.objects.get(name=role)
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    return True
