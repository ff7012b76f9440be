"""Reads. Webhooks belong to the owner (head coach) of an organisation: nobody else sees them."""

from __future__ import annotations

from django.db.models import QuerySet

from athletes.models import Role, User
from athletes.selectors import memberships_of

from .models import Delivery, Endpoint


def organisations_owned_by(user: User, *, organisation=None) -> list[int]:
    organisation_id = getattr(organisation, "id", organisation)
    return [
        m.organisation_id
        for m in memberships_of(user)
        if m.role == Role.OWNER and organisation_id in (None, m.organisation_id)
    ]


def endpoints_visible_to(user: User, *, organisation=None) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(
        organisation_id__in=organisations_owned_by(user, organisation=organisation)
    )


def endpoints_of_member(user: User) -> QuerySet[Endpoint]:
    """Endpoints of every organisation the user belongs to, whatever their role: what a
    request may find before its role is checked (another club's endpoint is a 404, one of the
    user's own club a 403 unless they own it)."""
    return Endpoint.objects.filter(
        organisation_id__in=[m.organisation_id for m in memberships_of(user)]
    )


def deliveries_visible_to(user: User, *, organisation=None) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        endpoint__organisation_id__in=organisations_owned_by(user, organisation=organisation)
    )


def deliveries_of_member(user: User) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        endpoint__organisation_id__in=[m.organisation_id for m in memberships_of(user)]
    )
