"""Outgoing email about people: invites."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Athlete, User


def invite_link(user: User) -> str:
    """A one-use link to set a password (it stops working once a password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("invite_accept", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def invite_send(*, athlete_id: int, invited_by_id: int) -> None:
    athlete = Athlete.objects.select_related("user", "organisation").get(pk=athlete_id)
    if athlete.user is None or athlete.user.has_usable_password():
        return  # accepted already, or the login was removed: nothing to send
    invited_by = User.objects.filter(pk=invited_by_id).first()
    context = {
        "athlete": athlete,
        "organisation": athlete.organisation,
        "invited_by": invited_by,
        "link": invite_link(athlete.user),
    }
    send_mail(
        subject=f"{athlete.organisation.name} invites you to Baseline",
        message=render_to_string("athletes/email/invite.txt", context),
        from_email=None,
        recipient_list=[athlete.user.email],
    )
