"""Writes for a staff member's own notification preferences."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from athletes.models import FlagEmail, Membership, User
from athletes.selectors import forget_memberships


def membership_notification_set(
    *, membership: Membership, user: User, flag_email: str
) -> Membership:
    """How the user hears about flags in one club: at once, in a daily digest, or not by email.
    Only the membership's own user changes it, and only for a staff membership."""
    if membership.user_id != user.id:
        raise PermissionDenied("You change only your own notifications.")
    if not membership.is_staff_role:
        raise PermissionDenied("Flag emails are for the club's staff.")
    if flag_email not in FlagEmail.values:
        raise ValidationError(
            {"flag_email": f"Choose one of: {', '.join(label for _, label in FlagEmail.choices)}."}
        )
    Membership.objects.filter(pk=membership.pk, user=user).update(flag_email=flag_email)
    membership.flag_email = flag_email
    forget_memberships(user)
    return membership
