"""The organisation a browser user is working in (they may belong to several and switch)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .models import STAFF_ROLES, Membership
from .selectors import memberships_of

SESSION_KEY = "organisation_id"


def active_membership(request) -> Membership | None:
    """The membership for the organisation chosen in this session, else the user's first."""
    memberships = memberships_of(request.user)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_KEY)
    for membership in memberships:
        if membership.organisation_id == chosen:
            return membership
    return memberships[0]


def activate_organisation(request, organisation_id: int) -> Membership | None:
    """Switch the session to one of the user's organisations; None if they are not a member."""
    for membership in memberships_of(request.user):
        if membership.organisation_id == organisation_id:
            request.session[SESSION_KEY] = organisation_id
            return membership
    return None


def staff_membership(request) -> Membership:
    """The active membership of a coach, physio or owner; 403 for athletes and non-members."""
    membership = active_membership(request)
    if membership is None or membership.role not in STAFF_ROLES:
        raise PermissionDenied("Coach pages are for the club's staff.")
    return membership


def navigation(request) -> dict:
    """Template context: the active membership and the others the user may switch to."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "active_membership": active_membership(request),
        "memberships": memberships_of(request.user),
    }
