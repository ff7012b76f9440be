"""What each event says, and the one-line calls the apps make where the change happens.

Payloads carry ids and the facts an integrator acts on; never notes of any kind (medical notes,
result or session notes), email addresses or dates of birth.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef

from .models import Endpoint, EventType
from .services import event_emit, events_emit


def _decimal(instance, field: str) -> str | None:
    """A decimal as the API writes it: a string with the field's decimal places."""
    value = getattr(instance, field)
    if value is None:
        return None
    places = instance._meta.get_field(field).decimal_places
    return f"{Decimal(str(value)):.{places}f}"


def _date(value) -> str | None:
    return None if value is None else value.isoformat()


def athlete_created(athlete) -> None:
    event_emit(
        organisation=athlete.organisation_id,
        type=EventType.ATHLETE_CREATED,
        payload={
            "athlete_id": athlete.id,
            "organisation_id": athlete.organisation_id,
            "first_name": athlete.first_name,
            "last_name": athlete.last_name,
            "teams": [{"id": t.id, "name": t.name} for t in athlete.teams.order_by("name")],
        },
    )


def result_recorded(result) -> None:
    event_emit(
        organisation=result.athlete.organisation_id,
        type=EventType.RESULT_RECORDED,
        payload={
            "result_id": result.id,
            "athlete_id": result.athlete_id,
            "test": result.test.slug,
            "date": _date(result.date),
            "values": {
                side: _decimal(result, side)
                for side in ("left", "right", "both")
                if getattr(result, side) is not None
            },
            "lsi": _decimal(result, "lsi"),
        },
    )


def _flag_payload(flag, organisation_id: int) -> dict:
    return {
        "flag_id": flag.id,
        "athlete_id": flag.athlete_id,
        "organisation_id": organisation_id,
        "kind": flag.kind,
        "test": flag.test.slug if flag.test_id else None,
        "status": flag.status,
        "reasons": list(flag.reasons or []),
        "result_id": flag.result_id,
        "resolved_by_result_id": flag.resolved_by_id,
        "retest_due": _date(flag.retest_due),
    }


def flag_changed(flag, event: str) -> None:
    """flag.raised and flag.resolved go out; other flag changes (dismissed) do not."""
    if event not in (EventType.FLAG_RAISED, EventType.FLAG_RESOLVED):
        return
    organisation_id = flag.athlete.organisation_id
    event_emit(
        organisation=organisation_id, type=event, payload=_flag_payload(flag, organisation_id)
    )


def flag_raised_targets() -> dict:
    """Annotations for a Flag query: the organisation and the endpoints subscribed to
    flag.raised, so a sweep that raises many flags finds them in the query it already makes."""
    endpoints = Endpoint.objects.filter(
        organisation_id=OuterRef("athlete__organisation_id"),
        active=True,
        events__contains=[EventType.FLAG_RAISED],
    ).values("id")
    return {
        "webhook_organisation_id": F("athlete__organisation_id"),
        "webhook_endpoint_ids": ArraySubquery(endpoints),
    }


def flags_raised(flags) -> None:
    """flag.raised for flags annotated with flag_raised_targets(): no query when no endpoint
    subscribes. Flags without a test only (the sweep's pain and load flags)."""
    events_emit(
        type=EventType.FLAG_RAISED,
        items=[
            (
                flag.webhook_organisation_id,
                _flag_payload(flag, flag.webhook_organisation_id),
                flag.webhook_endpoint_ids,
            )
            for flag in flags
            if flag.webhook_endpoint_ids
        ],
    )


def session_completed(session) -> None:
    event_emit(
        organisation=session.athlete.organisation_id,
        type=EventType.SESSION_COMPLETED,
        payload={
            "session_id": session.id,
            "athlete_id": session.athlete_id,
            "assignment_id": session.assignment_id,
            "name": session.name,
            "date": _date(session.date),
            "completed_at": session.completed_at.isoformat() if session.completed_at else None,
            "session_rpe": _decimal(session, "session_rpe"),
            "duration_minutes": session.duration_minutes,
            "pain": session.pain,
        },
    )
