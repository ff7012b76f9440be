"""The REST API for flags (scoping per persona, read-only except the dismiss and resolve
actions, 409 on a closed flag). Flags are made the real way: a failing result evaluated by
services.result_evaluate."""

import datetime

import pytest

from assessments import services
from assessments.models import Flag, FlagStatus, Test
from programs.models import AssignmentStatus
from tests.api_error_format import error_fields, error_of
from tests.factories import AthleteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def fail(athlete, by, slug="ankling", trials=None, date=DAY) -> Flag:
    """Record a failing result and run the loop on it, as the worker would."""
    test = Test.objects.get(organisation=None, slug=slug)
    result, _ = services.result_record(
        athlete=athlete, test=test, trials=trials or {"both": [240]}, recorded_by=by, date=date
    )
    services.result_evaluate(result_id=result.id, today=date)
    return Flag.objects.get(result=result)


def state(flag: Flag) -> tuple:
    flag.refresh_from_db()
    return flag.status, flag.resolution, flag.events.count()


@pytest.fixture
def flags(head_coach, outsider, forward, back, foreign_athlete):
    return {
        "forward": fail(forward, head_coach),
        "back": fail(back, head_coach),
        "foreign": fail(foreign_athlete, outsider),
    }


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("head_coach", {"forward", "back"}),
        ("assistant_coach", {"forward"}),
        ("physio", {"forward", "back"}),
        ("athlete", {"forward"}),
        ("outsider", {"foreign"}),
    ],
)
def test_flag_list_shows_each_persona_exactly_their_athletes_flags(
    as_user, personas, flags, persona, expected
):
    response = as_user(personas[persona]).get("/api/v1/flags/")

    assert set(ids(response)) == {flags[name].id for name in expected}


def test_flag_detail_has_the_protocol_and_the_history(as_user, athlete_user, forward, flags):
    flag = flags["forward"]

    body = as_user(athlete_user).get(f"/api/v1/flags/{flag.id}/").json()

    assert body == {
        "id": flag.id,
        "athlete": forward.id,
        "kind": "baseline",
        "test": flag.test_id,
        "result": flag.result_id,
        "status": "on_protocol",
        "reasons": ["240 reps < 300"],
        "protocol": {
            "id": flag.protocol_id,
            "template_name": "Ankling strength protocol",
            "start_date": "2026-11-03",
            "status": "active",
        },
        "retest_due": "2026-12-14",
        "resolved_by": None,
        "resolution": "",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
        "events": [
            {
                "from_status": "",
                "to_status": "open",
                "by": None,
                "at": body["events"][0]["at"],
                "note": "240 reps < 300",
            },
            {
                "from_status": "open",
                "to_status": "on_protocol",
                "by": None,
                "at": body["events"][1]["at"],
                "note": "Ankling strength protocol from 03 Nov; retest 14 Dec.",
            },
        ],
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=on_protocol", {"ankling"}),
        ("status=open&status=dismissed", {"knee", "back"}),
        ("open=true", {"ankling", "knee"}),
        ("open=false", {"back"}),
        ("kind=baseline&test={knee_to_wall}", {"knee"}),
        ("team={backs}", {"back"}),
        ("athlete={forward}", {"ankling", "knee"}),
        ("retest_due_before=2026-12-14", {"ankling", "back"}),
        ("retest_due_before=2026-12-14&open=true", {"ankling"}),
        ("retest_due_before=2026-12-13", set()),
    ],
)
def test_flag_list_filters(as_user, head_coach, physio, forward, back, backs, query, expected):
    made = {
        "ankling": fail(forward, head_coach),
        "knee": fail(forward, head_coach, "knee-to-wall", {"left": [5], "right": [12]}),
        "back": fail(back, head_coach),
    }
    services.flag_dismiss(flag=made["back"], dismissed_by=physio, reason="Injured, not weak")
    test = made["knee"].test_id
    query = query.format(knee_to_wall=test, backs=backs.id, forward=forward.id)

    response = as_user(head_coach).get(f"/api/v1/flags/?{query}")

    assert set(ids(response)) == {made[name].id for name in expected}


def test_flag_list_orders_by_retest_due(as_user, head_coach, forward, back):
    later = fail(forward, head_coach, date=DAY)
    sooner = fail(back, head_coach, date=DAY - datetime.timedelta(days=10))

    response = as_user(head_coach).get("/api/v1/flags/?ordering=retest_due")

    assert ids(response) == [sooner.id, later.id]


def walk(client, url, params=None) -> list[int]:
    """Every id of a cursor-paged list, following `next`; then back again by `previous`."""
    forward, pages, url = [], [], client.get(url, params).json()
    while True:
        pages.append([row["id"] for row in url["results"]])
        forward += pages[-1]
        if url["next"] is None:
            break
        url = client.get(url["next"]).json()
    backward = pages[-1]
    while url["previous"] is not None:
        url = client.get(url["previous"]).json()
        backward = [row["id"] for row in url["results"]] + backward
    assert backward == forward
    return forward


@pytest.mark.parametrize("ordering", ["-created_at", "created_at", "retest_due", "-retest_due"])
def test_flags_are_cursor_paged_exactly_in_any_ordering(
    as_user, head_coach, club, forwards, ordering
):
    flags = [
        fail(athlete, head_coach)
        for athlete in AthleteFactory.create_batch(7, organisation=club, teams=[forwards])
    ]
    # Ties and NULLs: two retests on one day, two on another, three without a date.
    dates = [DAY, DAY, DAY + datetime.timedelta(days=3), DAY + datetime.timedelta(days=3)]
    for flag, due in zip(flags, [*dates, None, None, None], strict=True):
        Flag.objects.filter(pk=flag.pk).update(retest_due=due)
    client = as_user(head_coach)
    expected = ids(client.get("/api/v1/flags/", {"ordering": ordering, "page_size": 200}))

    paged = walk(client, "/api/v1/flags/", {"ordering": ordering, "page_size": 2})

    assert paged == expected
    assert sorted(paged) == sorted(flag.id for flag in flags)
    body = client.get("/api/v1/flags/", {"ordering": ordering, "page_size": 2}).json()
    assert set(body) == {"next", "previous", "results"}  # no count


def test_an_unreadable_flag_cursor_is_a_404_in_the_error_format(as_user, head_coach):
    response = as_user(head_coach).get("/api/v1/flags/", {"cursor": "cD1hYmM="})  # p=abc

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    forged = "cD0lNUIlMjJub3QtYS1kYXRlJTIyJTJDMSU1RA=="  # p=["not-a-date",1]
    response = as_user(head_coach).get(
        "/api/v1/flags/", {"cursor": forged, "ordering": "created_at"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("rows", [5, 50])
def test_flag_list_query_count_does_not_grow(
    as_user, head_coach, club, forwards, rows, django_assert_num_queries
):
    for athlete in AthleteFactory.create_batch(rows, organisation=club, teams=[forwards]):
        fail(athlete, head_coach)
    client = as_user(head_coach)
    client.get("/api/v1/organisations/")  # the requester's memberships are cached from here on

    with django_assert_num_queries(2):  # the page and its events; cursor pages count nothing
        response = client.get("/api/v1/flags/")

    assert len(response.json()["results"]) == rows
    assert all(len(row["events"]) == 2 for row in response.json()["results"])


# --- dismiss and resolve -----------------------------------------------------------------------


def test_physio_dismisses_a_flag_with_a_reason_and_its_protocol_ends(as_user, physio, flags):
    flag = flags["back"]

    response = as_user(physio).post(
        f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "Ankle sprain: not a strength deficit"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["resolution"]) == (
        "dismissed",
        "Ankle sprain: not a strength deficit",
    )
    assert body["events"][-1] | {"at": None} == {
        "from_status": "on_protocol",
        "to_status": "dismissed",
        "by": physio.id,
        "at": None,
        "note": "Ankle sprain: not a strength deficit",
    }
    flag.refresh_from_db()
    assert flag.status == FlagStatus.DISMISSED
    assert flag.protocol.status == AssignmentStatus.ENDED


@pytest.mark.parametrize("body", [{}, {"reason": "   "}], ids=["missing", "blank"])
def test_dismissing_without_a_reason_is_a_400_naming_reason(as_user, head_coach, flags, body):
    flag = flags["forward"]
    before = state(flag)

    response = as_user(head_coach).post(f"/api/v1/flags/{flag.id}/dismiss/", body)

    assert response.status_code == 400
    assert error_fields(response) == {"reason": ["Say why the flag is dismissed."]}
    assert state(flag) == before


def test_dismissing_twice_is_a_409_and_changes_nothing(as_user, head_coach, flags):
    flag = flags["forward"]
    client = as_user(head_coach)
    client.post(f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "Retired"})
    before = state(flag)

    response = client.post(f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "Again"})

    assert response.status_code == 409
    assert error_of(response)["message"] == "The flag is already dismissed."
    assert state(flag) == before


def test_assistant_coach_resolves_a_forwards_flag_by_hand(as_user, assistant_coach, flags):
    flag = flags["forward"]
    client = as_user(assistant_coach)

    resolved = client.post(f"/api/v1/flags/{flag.id}/resolve/", {})
    again = client.post(f"/api/v1/flags/{flag.id}/resolve/", {"note": "Once more"})
    dismissed = client.post(f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "Changed my mind"})

    assert resolved.status_code == 200, resolved.content
    assert (resolved.json()["status"], resolved.json()["resolution"]) == (
        "resolved",
        "Resolved by hand.",
    )
    assert (again.status_code, error_of(again)["message"]) == (409, "The flag is already resolved.")
    assert dismissed.status_code == 409
    assert state(flag) == ("resolved", "Resolved by hand.", 3)


@pytest.mark.parametrize(
    ("persona", "name"),
    [("outsider", "forward"), ("assistant_coach", "back"), ("head_coach", "foreign")],
)
def test_a_flag_out_of_scope_is_not_found_for_every_call(as_user, personas, flags, persona, name):
    flag = flags[name]
    before = state(flag)
    client = as_user(personas[persona])

    statuses = (
        client.get(f"/api/v1/flags/{flag.id}/").status_code,
        client.post(f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "x"}).status_code,
        client.post(f"/api/v1/flags/{flag.id}/resolve/", {"note": "x"}).status_code,
    )

    assert statuses == (404, 404, 404)
    assert state(flag) == before


def test_an_athlete_reads_their_own_flag_but_cannot_close_it(as_user, athlete_user, flags):
    flag = flags["forward"]
    before = state(flag)
    client = as_user(athlete_user)

    read = client.get(f"/api/v1/flags/{flag.id}/")
    dismiss = client.post(f"/api/v1/flags/{flag.id}/dismiss/", {"reason": "I feel fine"})
    resolve = client.post(f"/api/v1/flags/{flag.id}/resolve/", {})

    assert (read.status_code, dismiss.status_code, resolve.status_code) == (200, 403, 403)
    assert state(flag) == before


def test_flags_are_not_created_changed_or_deleted_through_the_api(
    as_user, head_coach, forward, flags
):
    flag = flags["forward"]
    before = state(flag)
    client = as_user(head_coach)

    statuses = (
        client.post("/api/v1/flags/", {"athlete": forward.id, "kind": "pain"}).status_code,
        client.patch(f"/api/v1/flags/{flag.id}/", {"status": "resolved"}).status_code,
        client.put(f"/api/v1/flags/{flag.id}/", {"status": "resolved"}).status_code,
        client.delete(f"/api/v1/flags/{flag.id}/").status_code,
    )

    assert statuses == (405, 405, 405, 405)
    assert state(flag) == before
    assert Flag.objects.count() == 3
