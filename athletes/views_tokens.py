"""The user's personal API tokens page: /settings/tokens/.

A user creates a token (name, scope, optional expiry) and sees it once, on the answer to that
POST; afterwards only its prefix is listed. They revoke their own tokens; another user's token
is a 404.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from .forms import PlainLabelsMixin, add_service_errors
from .models_tokens import TokenScope
from .tokens import api_token_create, api_token_revoke, api_tokens_of


class ApiTokenForm(PlainLabelsMixin, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, e.g. “GPS sync” or “weekly report script”.",
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="A read-only token can fetch data but never change it.",
    )
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="The token stops working at the end of this day. Leave empty for no expiry.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Give the token a name.")
        return name

    def clean_expires_on(self) -> datetime.date | None:
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on < timezone.localdate():
            raise ValidationError("The expiry date cannot be in the past.")
        return expires_on

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day in the site's time zone (midnight after it)."""
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        midnight = datetime.datetime.combine(
            expires_on + datetime.timedelta(days=1), datetime.time()
        )
        return timezone.make_aware(midnight)


def _render(request, form: ApiTokenForm, *, new_token: str | None = None, status: int = 200):
    context = {
        "form": form,
        "tokens": list(api_tokens_of(request.user)),
        "new_token": new_token,
        "now": timezone.now(),
    }
    template = "athletes/_tokens_panel.html" if request.htmx else "athletes/tokens.html"
    response = render(request, template, context, status=status)
    # The page can carry a token shown once: never keep a copy in a cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def api_token_list(request):
    if request.method == "GET":
        return _render(request, ApiTokenForm())
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    try:
        _token, raw = api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _render(request, form, status=400)
    return _render(request, ApiTokenForm(), new_token=raw, status=201)


@login_required
@require_POST
def api_token_revoke_view(request, pk: int):
    token = get_object_or_404(api_tokens_of(request.user), pk=pk)
    api_token_revoke(token=token)
    if request.htmx:
        return _render(request, ApiTokenForm())
    messages.success(request, f"Revoked the token “{token.name}”.")
    return redirect("api_tokens")
