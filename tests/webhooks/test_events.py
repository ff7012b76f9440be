"""Webhooks: which events reach which endpoints, and what their payloads carry."""

import datetime
import json
import uuid
from unittest import mock

import pytest
from django.db import transaction

from assessments import services as assessments
from assessments.models import Flag, FlagKind
from programs import services as programs
from tests.assessment_pages import evaluated
from tests.factories import program
from tests.webhooks.support import (
    make_endpoint,
    new_athlete,
)
from webhooks import tasks
from webhooks.models import Delivery, Event
from webhooks.services import event_emit

# --- Which endpoints an event reaches ----------------------------------------------------------


def test_event_reaches_only_active_subscribed_endpoints_of_its_own_club(
    club, head_coach, forwards, outsider, other_club, django_capture_on_commit_callbacks
):
    ours = make_endpoint(club, head_coach, "https://hooks.harbour.example/a")
    make_endpoint(club, head_coach, "https://hooks.harbour.example/paused", active=False)
    make_endpoint(club, head_coach, "https://hooks.harbour.example/flags", events=["flag.raised"])
    make_endpoint(other_club, outsider, "https://hooks.riverside.example/a")

    with (
        mock.patch.object(tasks.deliver, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        athlete = new_athlete(club, head_coach, teams=[forwards])

    delivery = Delivery.objects.get()
    assert (delivery.endpoint, delivery.status, delivery.attempts) == (ours, "pending", 0)
    assert delivery.event.organisation == club
    assert delivery.event.type == "athlete.created"
    assert delivery.event.payload == {
        "athlete_id": athlete.id,
        "organisation_id": club.id,
        "first_name": "Ada",
        "last_name": "Lock",
        "teams": [{"id": forwards.id, "name": "Forwards"}],
    }
    assert [c.kwargs["args"] for c in send.call_args_list] == [(delivery.id,)]


def test_event_nobody_subscribes_to_stores_nothing(club, head_coach):
    make_endpoint(club, head_coach, "https://hooks.harbour.example/a", events=["flag.raised"])

    assert event_emit(organisation=club, type="athlete.created", payload={}) is None
    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)


def test_a_rolled_back_change_emits_nothing(club, head_coach):
    make_endpoint(club, head_coach, "https://hooks.harbour.example/a")

    with pytest.raises(RuntimeError), transaction.atomic():
        new_athlete(club, head_coach)
        raise RuntimeError("the request failed")

    assert (Event.objects.count(), Delivery.objects.count()) == (0, 0)


def test_athlete_created_payload_leaves_out_medical_notes_and_contact_details(
    club, head_coach, endpoint
):
    new_athlete(
        club,
        head_coach,
        medical_notes="Right ankle sprain",
        notes="Prefers mornings",
        email="ada@harbour.example",
    )

    text = json.dumps(Event.objects.get().payload)
    assert "ankle" not in text and "mornings" not in text and "ada@" not in text


def test_recording_a_result_emits_result_recorded(club, head_coach, forward, endpoint, ankling):
    result, _ = assessments.result_record(
        athlete=forward,
        test=ankling,
        trials={"both": [240]},
        recorded_by=head_coach,
        date=datetime.date(2026, 11, 2),
        notes="Felt tight",
    )

    event = Event.objects.get(type="result.recorded")
    assert event.payload == {
        "result_id": result.id,
        "athlete_id": forward.id,
        "test": "ankling",
        "date": "2026-11-02",
        "values": {"both": "240.00"},
        "lsi": None,
    }


def test_a_replayed_result_emits_once(club, head_coach, forward, endpoint, ankling):
    key = uuid.uuid4()
    for _ in range(2):
        assessments.result_record(
            athlete=forward,
            test=ankling,
            trials={"both": [240]},
            recorded_by=head_coach,
            client_uuid=key,
        )

    assert Event.objects.filter(type="result.recorded").count() == 1


def test_failing_and_passing_retest_emit_flag_raised_and_flag_resolved(
    club, head_coach, forward, endpoint, ankling
):
    first = evaluated(forward, ankling, {"both": [240]}, head_coach, datetime.date(2026, 10, 1))
    retest = evaluated(forward, ankling, {"both": [320]}, head_coach, datetime.date(2026, 11, 12))

    flag = Flag.objects.get()
    raised, resolved = (
        Event.objects.get(type="flag.raised").payload,
        Event.objects.get(type="flag.resolved").payload,
    )
    assert (raised["flag_id"], raised["athlete_id"], raised["test"]) == (
        flag.id,
        forward.id,
        "ankling",
    )
    assert (raised["kind"], raised["reasons"], raised["result_id"]) == (
        "baseline",
        ["240 reps < 300"],
        first.id,
    )
    assert (resolved["flag_id"], resolved["status"], resolved["resolved_by_result_id"]) == (
        flag.id,
        "resolved",
        retest.id,
    )
    assert Delivery.objects.filter(endpoint=endpoint).count() == 4  # 2 results, 2 flag events


def test_dismissing_a_flag_is_not_an_event(club, head_coach, forward, endpoint, ankling):
    evaluated(forward, ankling, {"both": [240]}, head_coach)

    assessments.flag_dismiss(flag=Flag.objects.get(), dismissed_by=head_coach, reason="Injured")

    assert sorted(Event.objects.values_list("type", flat=True)) == [
        "flag.raised",
        "result.recorded",
    ]


def test_completing_a_session_emits_session_completed_once(
    club, head_coach, forward, athlete_user, endpoint
):
    template = program(club, sessions={"Calf": [("bent-knee-heel-raise", {})]})
    [assignment] = programs.program_assign(
        template=template,
        assigned_by=head_coach,
        athletes=[forward],
        start_date=datetime.date(2026, 11, 2),
    )
    session = assignment.sessions.get(sequence=1)
    for _ in range(2):
        programs.session_complete(
            session=session,
            completed_by=athlete_user,
            session_rpe=6,
            duration_minutes=35,
            pain=2,
            notes="Left calf sore",
        )

    payload = Event.objects.get(type="session.completed").payload
    assert (payload["session_id"], payload["athlete_id"], payload["assignment_id"]) == (
        session.id,
        forward.id,
        assignment.id,
    )
    assert (payload["session_rpe"], payload["duration_minutes"], payload["pain"]) == ("6.0", 35, 2)
    assert "sore" not in json.dumps(payload)


def test_sweep_pain_flags_emit_flag_raised_to_subscribed_clubs_only(
    club, head_coach, forward, foreign_athlete, outsider, other_club
):
    from assessments.sweep import chunk_sweep
    from tests.test_sweep import TODAY, logged_set

    ours = make_endpoint(
        club, head_coach, "https://hooks.harbour.example/a", events=["flag.raised"]
    )
    for athlete in (forward, foreign_athlete):
        logged_set(athlete, "2026-11-03", pain=7)
        logged_set(athlete, "2026-11-06", pain=6)

    chunk_sweep(
        lo_id=min(forward.id, foreign_athlete.id),
        hi_id=max(forward.id, foreign_athlete.id) + 1,
        today=TODAY,
    )

    flag = Flag.objects.get(athlete=forward, kind=FlagKind.PAIN)
    assert Flag.objects.filter(athlete=foreign_athlete, kind=FlagKind.PAIN).exists()
    delivery = Delivery.objects.select_related("event").get()
    assert (delivery.endpoint, delivery.event.organisation) == (ours, club)
    assert (delivery.event.payload["flag_id"], delivery.event.payload["kind"]) == (flag.id, "pain")
    assert delivery.event.payload["test"] is None
