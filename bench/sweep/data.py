"""The sweep benchmark's data, loaded with generate_series SQL (bench/sweep/run.py and
`make chaos` use it): clubs of PER_CLUB athletes with their results, six weeks of sessions and
logged sets for a share of them, and the night's work planted in them."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import time

PER_CLUB = 100
TESTS = ["ankling", "heel-rise", "knee-to-wall", "single-hop", "y-balance-anterior"]
BIG_TABLES = ["assessments_result", "programs_scheduledsession", "programs_loggedset"]
RAISED_THRESHOLD = 350  # the club's new ankling pass mark (the shipped one is 300)


def sessions_plan(today: datetime.date) -> list[tuple[int, int, datetime.date]]:
    """(sequence, program week, date) of the completed sessions: Tuesdays and Fridays of the
    last five weeks and of this week up to today."""
    first_monday = today - datetime.timedelta(days=today.weekday() + 35)
    plan = []
    for week in range(6):
        for offset, extra in ((1, 1), (4, 2)):
            date = first_monday + datetime.timedelta(days=7 * week + offset)
            if date <= today:
                plan.append((2 * week + extra, week + 1, date))
    return plan


def load(cursor, args: argparse.Namespace, today: datetime.date) -> dict[str, float]:
    """Bulk-load the scratch database; returns seconds per step."""
    clubs = -(-args.athletes // PER_CLUB)
    per_athlete = max(1, args.results // args.athletes)
    every = max(1, round(1 / args.logging_share)) if args.logging_share > 0 else 0
    plan = sessions_plan(today)
    monday = today - datetime.timedelta(days=today.weekday())
    last_week, week_before = monday - datetime.timedelta(days=7), monday - datetime.timedelta(14)
    painful = [date for _, _, date in plan][-2:]
    steps = {
        "clubs and teams": [
            (
                "INSERT INTO athletes_organisation (name, slug, created_at) "
                "SELECT 'Bench club ' || g, 'bench-club-' || g, now() "
                "FROM generate_series(1, %(clubs)s) g ORDER BY g",
                {"clubs": clubs},
            ),
            (
                "INSERT INTO athletes_team (organisation_id, name, sport, created_at) "
                "SELECT o.id, t.name, '', now() FROM athletes_organisation o "
                "CROSS JOIN (VALUES ('Forwards'), ('Backs')) t(name) ORDER BY o.id, t.name DESC",
                {},
            ),
        ],
        "athletes": [
            (
                """
                WITH o AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                           FROM athletes_organisation)
                INSERT INTO athletes_athlete (organisation_id, first_name, last_name, email,
                    date_of_birth, sex, sport, position, dominant_side, notes, medical_notes,
                    archived_at, created_at, updated_at)
                SELECT o.id, 'Athlete', g::text, '', date '1985-01-01' + (g %% 7000),
                       CASE WHEN g %% 2 = 0 THEN 'male' ELSE 'female' END, '', '', '', '', '',
                       CASE WHEN g %% 1000 = 999 THEN now() END, now(), now()
                FROM generate_series(1, %(athletes)s) g
                JOIN o ON o.n = g %% %(clubs)s
                ORDER BY g
                """,
                {"athletes": args.athletes, "clubs": clubs},
            ),
            (
                """
                WITH a AS (SELECT id, organisation_id, row_number() OVER (ORDER BY id) AS n
                           FROM athletes_athlete),
                     t AS (SELECT id, organisation_id,
                                  row_number() OVER (PARTITION BY organisation_id ORDER BY id) k
                           FROM athletes_team)
                INSERT INTO athletes_athlete_teams (athlete_id, team_id)
                SELECT a.id, t.id FROM a
                JOIN t ON t.organisation_id = a.organisation_id AND t.k = 1 + a.n %% 2
                """,
                {},
            ),
        ],
        "results": [
            # The shipped rules have not changed for years.
            ("UPDATE assessments_baseline SET updated_at = now() - interval '5 years'", {}),
            (
                """
                WITH a AS (SELECT id, row_number() OVER (ORDER BY id) AS n
                           FROM athletes_athlete),
                     t AS (SELECT id, slug, array_position(%(tests)s::text[], slug) - 1 AS k5
                           FROM assessments_test
                           WHERE organisation_id IS NULL AND slug = ANY(%(tests)s::text[])),
                     r AS (SELECT a.id AS athlete_id, a.n, k, t.id AS test_id, t.slug,
                                  %(today)s::date - (30 + (k / 5) * 180 + a.n %% 60)::int AS day
                           FROM a CROSS JOIN generate_series(0, %(per_athlete)s - 1) k
                           JOIN t ON t.k5 = k %% 5),
                     v AS (SELECT r.*,
                                  CASE slug WHEN 'ankling' THEN 320 + (n * 7 + k) %% 200 END
                                      AS both_value,
                                  CASE slug WHEN 'heel-rise' THEN 30 + (n + k) %% 15
                                            WHEN 'knee-to-wall' THEN 12 + n %% 5
                                            WHEN 'single-hop' THEN 150 + n %% 40
                                            WHEN 'y-balance-anterior' THEN 60 + n %% 20
                                  END AS left_value,
                                  CASE slug WHEN 'heel-rise' THEN n %% 3
                                            WHEN 'knee-to-wall' THEN n %% 2
                                            WHEN 'single-hop' THEN n %% 10
                                            WHEN 'y-balance-anterior' THEN n %% 3
                                  END AS extra
                           FROM r)
                INSERT INTO assessments_result (athlete_id, test_id, date, trials, "left",
                    "right", "both", lsi, notes, recorded_at, fingerprint, passed, reasons,
                    evaluated_at)
                SELECT athlete_id, test_id, day,
                       CASE WHEN both_value IS NOT NULL
                            THEN jsonb_build_object('both', jsonb_build_array(both_value))
                            ELSE jsonb_build_object('left', jsonb_build_array(left_value),
                                                    'right', jsonb_build_array(left_value + extra))
                       END,
                       left_value, left_value + extra, both_value,
                       round(100.0 * left_value / (left_value + extra), 1),
                       '', day + time '12:00', '', true, '[]'::jsonb, day + time '13:00'
                FROM v
                ORDER BY day, athlete_id  -- as recorded, over time
                """,
                {"tests": TESTS, "today": today, "per_athlete": per_athlete},
            ),
            # A lost enqueue: never evaluated.
            (
                "UPDATE assessments_result SET evaluated_at = NULL, passed = NULL "
                "WHERE id %% 20000 = 1",
                {},
            ),
            # Today the first club raised its ankling pass mark.
            (
                """
                INSERT INTO assessments_baseline (test_id, organisation_id, kind, comparator,
                    value, active, note, updated_at)
                SELECT t.id, (SELECT min(id) FROM athletes_organisation), 'threshold', 'gte',
                       %(threshold)s, true, 'Raised for the new season', now()
                FROM assessments_test t WHERE t.organisation_id IS NULL AND t.slug = 'ankling'
                """,
                {"threshold": RAISED_THRESHOLD},
            ),
            # Baseline flags on protocol: half of them due for their retest.
            (
                """
                WITH a AS (SELECT id, row_number() OVER (ORDER BY id) AS n
                           FROM athletes_athlete)
                INSERT INTO assessments_flag (athlete_id, kind, test_id, status, reasons, key,
                    retest_due, resolution, created_at, updated_at)
                SELECT a.id, 'baseline', t.id, 'on_protocol', '["Failed in the bench"]'::jsonb,
                       '',
                       %(today)s::date + (CASE WHEN a.n %% 500 = 3 THEN -(a.n %% 3)
                                               ELSE 5 END)::int,
                       '', now(), now()
                FROM a JOIN assessments_test t
                  ON t.organisation_id IS NULL AND t.slug = 'knee-to-wall'
                WHERE a.n %% 500 IN (3, 250)
                """,
                {"today": today},
            ),
        ],
    }
    if every:
        params = {
            "every": every,
            "today": today,
            "tz": "Europe/London",
            "sequences": [s for s, _, _ in plan],
            "weeks": [w for _, w, _ in plan],
            "dates": [d for _, _, d in plan],
            "painful": painful,
            "last_week": last_week,
            "week_before": week_before,
            "start": plan[0][2],
        }
        steps["sessions and logged sets"] = [
            (
                """
                INSERT INTO programs_programtemplate (organisation_id, name, goal, description,
                    weeks, rotation_weeks, version, created_at, updated_at)
                SELECT min(id), 'Bench plyometrics', '', '', 6, 1, 1, now(), now()
                FROM athletes_organisation
                """,
                {},
            ),
            (
                """
                WITH a AS (SELECT id, row_number() OVER (ORDER BY id) AS n
                           FROM athletes_athlete)
                INSERT INTO programs_assignment (athlete_id, template_id, template_version,
                    start_date, sessions_per_week, weekdays, min_gap_hours, status, reason,
                    created_at)
                SELECT a.id, (SELECT max(id) FROM programs_programtemplate), 1, %(start)s, 2,
                       '{}', 48, 'active', '', now()
                FROM a WHERE a.n %% %(every)s = 0 ORDER BY a.id
                """,
                params,
            ),
            (
                """
                WITH a AS (SELECT athlete_id AS id, row_number() OVER (ORDER BY athlete_id) n
                           FROM programs_assignment),
                     p AS (SELECT * FROM unnest(%(sequences)s::int[], %(weeks)s::int[],
                                                %(dates)s::date[]) AS p(sequence, week, day))
                INSERT INTO programs_scheduledsession (assignment_id, athlete_id, sequence, week,
                    date, name, plan, status, completed_at, pain, notes)
                SELECT s.id, a.id, p.sequence, p.week, p.day, 'Plyometrics', '[]'::jsonb,
                       'completed', (p.day + time '18:30') AT TIME ZONE %(tz)s,
                       CASE
                           WHEN a.n %% 250 = 7 AND p.day = ANY(%(painful)s::date[])
                               THEN 6 + (p.day = (%(painful)s::date[])[1])::int
                           WHEN a.n %% 300 = 11 AND p.day >= %(last_week)s
                                AND p.day < %(last_week)s + 7 THEN 4
                           WHEN a.n %% 300 = 11 AND p.day >= %(week_before)s
                                AND p.day < %(week_before)s + 7 THEN 2
                           WHEN a.n %% 300 = 11 THEN 0
                           ELSE (a.n + p.sequence) %% 3
                       END,
                       ''
                FROM a JOIN programs_assignment s ON s.athlete_id = a.id
                CROSS JOIN p
                ORDER BY p.day, a.id
                """,
                params,
            ),
            (
                """
                WITH a AS (SELECT athlete_id AS id, row_number() OVER (ORDER BY athlete_id) n
                           FROM programs_assignment)
                INSERT INTO programs_loggedset (athlete_id, client_uuid, session_id, exercise_id,
                    set_number, side, contacts, load_type, pain, notes, performed_at,
                    fingerprint, created_at)
                SELECT s.athlete_id, gen_random_uuid(), s.id, e.id, 1, '',
                       CASE WHEN a.n %% 200 = 13 AND s.date >= %(last_week)s
                                 AND s.date < %(last_week)s + 7
                            THEN 220 + (a.n + s.sequence) %% 21
                            ELSE 90 + (a.n + s.sequence) %% 21
                       END,
                       'none', s.pain, '', (s.date + time '18:00') AT TIME ZONE %(tz)s, '', now()
                FROM programs_scheduledsession s
                JOIN a ON a.id = s.athlete_id
                JOIN programs_exercise e ON e.organisation_id IS NULL AND e.slug = 'jump-rope'
                ORDER BY s.date, s.athlete_id
                """,
                params,
            ),
        ]
    seconds = {}
    # The rows are made consistent: skip the per-row foreign key triggers where allowed (a
    # superuser, as on the embedded Postgres), and build the big tables' secondary indexes
    # once the rows are in rather than row by row.
    with contextlib.suppress(Exception):
        cursor.execute("SET session_replication_role = replica")
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [BIG_TABLES],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, statements in steps.items():
        started = time.perf_counter()
        for sql, params in statements:
            cursor.execute(sql, params)
        seconds[name] = time.perf_counter() - started
    started = time.perf_counter()
    cursor.execute("SET maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        cursor.execute(definition)
    seconds["indexes"] = time.perf_counter() - started
    with contextlib.suppress(Exception):
        cursor.execute("SET session_replication_role = origin")
    started = time.perf_counter()
    cursor.execute("VACUUM ANALYZE")
    seconds["vacuum analyze"] = time.perf_counter() - started
    return seconds


def counts(cursor) -> dict[str, int]:
    tables = {
        "athletes": "athletes_athlete",
        "results": "assessments_result",
        "sessions": "programs_scheduledsession",
        "logged sets": "programs_loggedset",
        "flags": "assessments_flag",
    }
    found = {}
    for name, table in tables.items():
        cursor.execute(f"SELECT count(*) FROM {table}")
        found[name] = cursor.fetchone()[0]
    return found
