"""The owner's webhook pages: endpoints (list, create, edit with the signing secret, delete) and
each endpoint's delivery log with a Redeliver button.

Owners only: any other member of the club gets a 403 before any lookup; an endpoint or delivery
of another organisation is a 404. Writes go through webhooks.services. Redeliver re-renders
only the delivery's row with htmx; without JavaScript it posts and redirects back.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from athletes.context import active_membership
from athletes.models import Role

from . import services
from .forms import EndpointForm
from .models import DeliveryStatus
from .selectors import deliveries_visible_to, endpoints_visible_to

PAGE_SIZE = 50
STATUS_BADGES = {
    DeliveryStatus.PENDING: "badge-warn",
    DeliveryStatus.SUCCEEDED: "badge-pass",
    DeliveryStatus.FAILED: "badge-fail",
    DeliveryStatus.GAVE_UP: "badge-fail",
}


def _owner_membership(request):
    membership = active_membership(request)
    if membership is None or membership.role != Role.OWNER:
        raise PermissionDenied(services.OWNERS_ONLY)
    return membership


def _is_htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _apply_errors(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
def endpoint_list(request):
    membership = _owner_membership(request)
    endpoints = endpoints_visible_to(request.user, organisation=membership.organisation_id)
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"organisation": membership.organisation, "endpoints": endpoints},
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_create(request):
    membership = _owner_membership(request)
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(
                organisation=membership.organisation, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Endpoint added. Copy its signing secret below.")
            return redirect("webhook_detail", pk=endpoint.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "webhooks/endpoint_form.html",
        {"organisation": membership.organisation, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_detail(request, pk: int):
    membership = _owner_membership(request)
    endpoint = get_object_or_404(
        endpoints_visible_to(request.user, organisation=membership.organisation_id), pk=pk
    )
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.endpoint_update(
                    endpoint=endpoint, updated_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, "Endpoint saved.")
                return redirect("webhook_detail", pk=endpoint.pk)
        status = 400
        endpoint.refresh_from_db()
    deliveries = Paginator(
        endpoint.deliveries.select_related("event").order_by("-created_at", "-id"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for delivery in deliveries:
        delivery.badge = STATUS_BADGES[delivery.status]
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {
            "organisation": membership.organisation,
            "endpoint": endpoint,
            "form": form,
            "deliveries": deliveries,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def endpoint_delete(request, pk: int):
    membership = _owner_membership(request)
    endpoint = get_object_or_404(
        endpoints_visible_to(request.user, organisation=membership.organisation_id), pk=pk
    )
    if request.method == "POST":
        services.endpoint_delete(endpoint=endpoint, deleted_by=request.user)
        messages.success(request, f"Endpoint {endpoint.url} deleted.")
        return redirect("webhook_list")
    return render(request, "webhooks/endpoint_delete.html", {"endpoint": endpoint})


@login_required
@require_POST
def delivery_redeliver(request, pk: int):
    membership = _owner_membership(request)
    delivery = get_object_or_404(
        deliveries_visible_to(request.user, organisation=membership.organisation_id).select_related(
            "event", "endpoint"
        ),
        pk=pk,
    )
    error = ""
    try:
        delivery = services.delivery_redeliver(delivery=delivery, by=request.user)
    except ValidationError as invalid:
        error = " ".join(invalid.messages)
    if _is_htmx(request):
        delivery.refresh_from_db()
        delivery.badge = STATUS_BADGES[delivery.status]
        return render(
            request,
            "webhooks/_delivery_row.html",
            {"delivery": delivery, "error": error, "queued": not error},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Queued for redelivery.")
    return redirect("webhook_detail", pk=delivery.endpoint_id)
