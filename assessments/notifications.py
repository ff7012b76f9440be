"""Telling people about flags: the athlete's coaches by email (at once or in a daily digest)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from athletes.models import FlagEmail, Membership, Role, User

from .models import Flag


def staff_to_tell(athlete, *, preference: str) -> list[User]:
    """Owners and physios of the athlete's club, and the coaches of the athlete's teams."""
    team_ids = list(athlete.teams.values_list("id", flat=True))
    memberships = Membership.objects.filter(
        organisation_id=athlete.organisation_id, flag_email=preference
    ).filter(Q(role__in=[Role.OWNER, Role.PHYSIO]) | Q(role=Role.COACH, teams__id__in=team_ids))
    return list(User.objects.filter(memberships__in=memberships, is_active=True).distinct())


def flag_email_send(*, flag_id: int, event: str) -> int:
    """Email the coaches who asked to hear at once. Returns how many were emailed."""
    flag = Flag.objects.select_related("athlete__organisation", "test", "protocol__template").get(
        pk=flag_id
    )
    recipients = staff_to_tell(flag.athlete, preference=FlagEmail.IMMEDIATE)
    if not recipients:
        return 0
    verb = {"flag.raised": "flagged", "flag.resolved": "resolved", "flag.dismissed": "dismissed"}
    subject = (
        f"{flag.athlete.full_name}: {flag.test or flag.get_kind_display()} {verb.get(event, '')}"
    )
    body = render_to_string(
        "assessments/email/flag.txt",
        {
            "flag": flag,
            "event": event,
            "link": settings.SITE_URL.rstrip("/") + reverse("flag_list"),
        },
    )
    send_mail(subject.strip(), body, None, [u.email for u in recipients])
    return len(recipients)


def digest_send(*, since: datetime.datetime | None = None) -> int:
    """One email per coach who chose the daily digest, listing the flags of the last day."""
    since = since or timezone.now() - datetime.timedelta(days=1)
    sent = 0
    memberships = (
        Membership.objects.filter(flag_email=FlagEmail.DAILY)
        .exclude(role=Role.ATHLETE)
        .select_related("user", "organisation")
        .prefetch_related("teams")
    )
    for membership in memberships:
        flags = Flag.objects.filter(
            athlete__organisation_id=membership.organisation_id, updated_at__gte=since
        ).select_related("athlete", "test")
        if membership.role == Role.COACH:
            flags = flags.filter(athlete__teams__in=membership.teams.all()).distinct()
        flags = list(flags.order_by("status", "-updated_at"))
        if not flags:
            continue
        body = render_to_string(
            "assessments/email/digest.txt",
            {
                "flags": flags,
                "organisation": membership.organisation,
                "link": settings.SITE_URL.rstrip("/") + reverse("flag_list"),
            },
        )
        send_mail(
            f"{membership.organisation.name}: {len(flags)} flag change(s) today",
            body,
            None,
            [membership.user.email],
        )
        sent += 1
    return sent
