"""The nightly sweep: set-based SQL over chunks of athletes (`assessments.tasks_sweep`).

`sweep_ranges` cuts the athletes into id ranges of about `SWEEP_CHUNK_SIZE` athletes each;
`chunk_sweep` does everything for one range with a fixed number of queries, however many
athletes the range holds, so more workers on more machines finish sooner:

1. Re-evaluation. The latest result of an athlete on a test is evaluated again when a rule
   that applies to it (the global one, the athlete's organisation's, or one of the athlete's
   teams') changed after it was evaluated, when the athlete's teams, date of birth or sex
   changed after it (`Athlete.rules_changed_at`: another team's override, another age band),
   or when it was never evaluated (the enqueue was lost while the broker was down). One
   query finds them; `result_evaluate` then runs per found result (it locks the athlete).
   Past `SWEEP_INLINE_EVALUATIONS` (200) in one chunk, e.g. after a change to a global rule,
   the rest are sent to the workers as `evaluate_result` tasks once the chunk commits, so a
   chunk stays well within its time limit and every worker helps. Older results never move
   flags.
2. Retests: flags on protocol whose retest date has come become "retest due"
   (`flags_mark_retest_due`, set-based).
3. Pain flags, after Silbernagel's pain-monitoring model (Silbernagel et al., AJSM 2007;
   35(6):897–906): pain during exercise up to 5/10 is acceptable, and pain must not rise
   week on week. A session's pain is the highest of the pain given when it was completed and
   the pain of its logged sets; the ad hoc sets of one day count as one session; sessions
   without any pain score are skipped. Two rules, looking back `PAIN_WINDOW_DAYS` (21) days:
   - two consecutive sessions (by date) both above 5/10 — key "pain-<date of the second>",
     the latest such pair;
   - pain rising week on week: the highest pain of an ISO week is above the week before's,
     which was above 0, and is at least 3/10 (a rise from 1 to 2 is noise) — key
     "pain-rising-<ISO week>", checked for the current and the last week.
   The athlete's morning check-ins (`checkins`) are a second source, judged on their own
   (a session and a check-in are never a pair): a morning's pain is the highest pain or
   stiffness of any area (0 when no area was rated: the form asks to leave a fine area out);
   - two consecutive check-ins both above 5/10 — key "pain-checkin-<date of the second>";
   - the week's average morning pain above the week before's, with the same floor — key
     "pain-rising-checkin-<ISO week>".
   While an athlete has an open pain flag no new one is raised: the coach already knows.
   Once it is resolved or dismissed, the next painful occasion raises a new flag.
4. Load flags: the foot contacts (logged sets) of the last complete ISO week against the
   average of the four weeks before it (their total ÷ 4), when at least two of those weeks
   have contacts; above `LOAD_FLAG_RATIO` (1.5) times the average raises a flag, key
   "load-<ISO week>".

A chunk runs in one transaction: it commits all of its work or none (a worker killed
mid-chunk leaves nothing, and the redelivered task starts again); a re-evaluation that fails
on a bad row is rolled back to its savepoint, logged and left for the next night.

Exactly once: pain and load flags are inserted with ON CONFLICT DO NOTHING against the unique
constraint one_flag_per_athlete_kind_and_occasion, and only the flags actually created get
their FlagEvent, so a re-run, or two workers on the same range, add nothing. Baseline flags
keep their own guarantees (row locks in `result_evaluate`, one open flag per athlete and test).
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from athletes.models import Athlete
from checkins.models import AREA_FIELDS
from config.celery import enqueue_on_commit
from webhooks import emit as webhooks

from .models import Flag, FlagEvent, FlagKind, FlagStatus
from .services import flags_mark_retest_due, result_evaluate

logger = logging.getLogger(__name__)

PAIN_LIMIT = 5  # above this, pain is not acceptable (Silbernagel 2007)
RISING_PAIN_FLOOR = 3  # a week's pain must reach this for a rise to count
PAIN_WINDOW_DAYS = 21
PAIN_CONTEXT_DAYS = 7  # sessions before the window, so a pair may start before it
LOAD_WEEKS = 4


def chunk_size() -> int:
    return int(getattr(settings, "SWEEP_CHUNK_SIZE", 5000))


def inline_evaluations() -> int:
    return int(getattr(settings, "SWEEP_INLINE_EVALUATIONS", 200))


def load_flag_ratio() -> Decimal:
    return Decimal(str(getattr(settings, "LOAD_FLAG_RATIO", "1.5")))


@dataclass
class SweepReport:
    lo_id: int
    hi_id: int
    today: str
    reevaluated: int = 0
    evaluations_sent: int = 0
    evaluation_errors: int = 0
    retests_due: int = 0
    pain_flags: int = 0
    load_flags: int = 0
    queries: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


# --- Chunks ------------------------------------------------------------------------------------


def id_ranges(starts: list[int], last_id: int) -> list[tuple[int, int]]:
    """Half-open ranges [lo, hi) from each chunk's first id to the next one's; the last ends
    after `last_id`. Contiguous: every id from the first start to `last_id` is in one range."""
    ends = [*starts[1:], last_id + 1]
    return list(zip(starts, ends, strict=True))


def sweep_ranges(*, size: int | None = None) -> list[tuple[int, int]]:
    """Athlete id ranges of `size` athletes each (one query; gaps in the ids do not matter)."""
    size = size or chunk_size()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, n, total FROM (
                SELECT id,
                       row_number() OVER (ORDER BY id) AS n,
                       count(*) OVER () AS total
                FROM athletes_athlete
            ) numbered
            WHERE (n - 1) %% %(size)s = 0 OR n = total
            ORDER BY id
            """,
            {"size": size},
        )
        rows = cursor.fetchall()
    if not rows:
        return []
    starts = [row_id for row_id, n, _ in rows if (n - 1) % size == 0]
    return id_ranges(starts, rows[-1][0])


# --- Finding (reads; each is one set-based query over an id range) ------------------------------


STALE_RESULTS_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (r.athlete_id, r.test_id) r.id, r.athlete_id, r.test_id, r.evaluated_at
    FROM assessments_result r
    WHERE r.athlete_id >= %(lo)s AND r.athlete_id < %(hi)s
    ORDER BY r.athlete_id, r.test_id, r.date DESC, r.id DESC
)
SELECT l.id, l.athlete_id
FROM latest l
JOIN athletes_athlete a ON a.id = l.athlete_id AND a.archived_at IS NULL
                          AND a.id >= %(lo)s AND a.id < %(hi)s
WHERE l.evaluated_at IS NULL
   OR a.rules_changed_at > l.evaluated_at
   OR EXISTS (
        SELECT 1 FROM assessments_baseline b
        WHERE b.test_id = l.test_id
          AND b.updated_at > l.evaluated_at
          AND (
                (b.organisation_id IS NULL AND b.team_id IS NULL)
             OR (b.organisation_id = a.organisation_id AND b.team_id IS NULL)
             OR EXISTS (
                    SELECT 1 FROM athletes_athlete_teams t
                    WHERE t.athlete_id = a.id AND t.team_id = b.team_id
                )
          )
   )
ORDER BY l.athlete_id, l.id
"""


def stale_results(*, lo_id: int, hi_id: int) -> list[tuple[int, int]]:
    """(result id, athlete id) of latest results whose rules changed since their evaluation."""
    with connection.cursor() as cursor:
        cursor.execute(STALE_RESULTS_SQL, {"lo": lo_id, "hi": hi_id})
        return cursor.fetchall()


# A morning's pain: the highest pain or stiffness of any area, 0 when none was rated.
CHECKIN_PAIN = "COALESCE(GREATEST({}), 0)".format(", ".join(f"c.{f}" for f in AREA_FIELDS))

# A session's pain, per athlete and date, from scheduled sessions that were completed or have
# logged sets and from each day's ad hoc sets; the latest pair of consecutive painful sessions.
PAIN_PAIRS_SQL = """
WITH occasions AS (
    SELECT s.athlete_id, s.date AS day, GREATEST(s.pain, MAX(ls.pain)) AS pain,
           'session' AS source
    FROM programs_scheduledsession s
    LEFT JOIN programs_loggedset ls
           ON ls.session_id = s.id  -- a session's sets are its athlete's: same range
          AND ls.athlete_id >= %(lo)s AND ls.athlete_id < %(hi)s
    WHERE s.athlete_id >= %(lo)s AND s.athlete_id < %(hi)s
      AND s.date >= %(context_from)s AND s.date <= %(today)s
    GROUP BY s.id
    HAVING s.status = 'completed' OR COUNT(ls.id) > 0
    UNION ALL
    SELECT ls.athlete_id, (ls.performed_at AT TIME ZONE %(tz)s)::date, MAX(ls.pain), 'session'
    FROM programs_loggedset ls
    WHERE ls.session_id IS NULL
      AND ls.athlete_id >= %(lo)s AND ls.athlete_id < %(hi)s
      AND ls.performed_at >= %(context_from_at)s AND ls.performed_at < %(until_at)s
    GROUP BY 1, 2
    UNION ALL
    SELECT c.athlete_id, c.date, {CHECKIN_PAIN}, 'checkin'
    FROM checkins_checkin c
    WHERE c.athlete_id >= %(lo)s AND c.athlete_id < %(hi)s
      AND c.date >= %(context_from)s AND c.date <= %(today)s
),
scored AS (
    SELECT athlete_id, day, pain, source,
           LAG(pain) OVER w AS pain_before,
           LAG(day) OVER w AS day_before
    FROM occasions
    WHERE pain IS NOT NULL
    WINDOW w AS (PARTITION BY athlete_id, source ORDER BY day, pain)
)
SELECT DISTINCT ON (p.athlete_id)
       p.athlete_id, p.day_before, p.pain_before, p.day, p.pain, p.source
FROM scored p
JOIN athletes_athlete a ON a.id = p.athlete_id AND a.archived_at IS NULL
                          AND a.id >= %(lo)s AND a.id < %(hi)s
WHERE p.pain > %(limit)s AND p.pain_before > %(limit)s
  AND p.day >= %(window_from)s
  AND NOT EXISTS (
        SELECT 1 FROM assessments_flag f
        WHERE f.athlete_id = p.athlete_id AND f.kind = 'pain'
          AND f.status NOT IN ('resolved', 'dismissed')
  )
ORDER BY p.athlete_id, p.day DESC, p.pain DESC, p.source DESC
""".replace("{CHECKIN_PAIN}", CHECKIN_PAIN)

# Each ISO week's highest pain (sets and sessions) against the week before's; and each ISO
# week's average morning pain (check-ins) against the week before's.
RISING_PAIN_SQL = """
WITH pains AS (
    SELECT s.athlete_id, date_trunc('week', s.date)::date AS week, s.pain
    FROM programs_scheduledsession s
    WHERE s.athlete_id >= %(lo)s AND s.athlete_id < %(hi)s
      AND s.date >= %(weeks_from)s AND s.date <= %(today)s AND s.pain IS NOT NULL
    UNION ALL
    SELECT ls.athlete_id, date_trunc('week', ls.performed_at AT TIME ZONE %(tz)s)::date, ls.pain
    FROM programs_loggedset ls
    WHERE ls.athlete_id >= %(lo)s AND ls.athlete_id < %(hi)s
      AND ls.performed_at >= %(weeks_from_at)s AND ls.performed_at < %(until_at)s
      AND ls.pain IS NOT NULL
),
weekly AS (
    SELECT athlete_id, week, MAX(pain)::numeric AS pain, 'session' AS source
    FROM pains GROUP BY athlete_id, week
    UNION ALL
    SELECT c.athlete_id, date_trunc('week', c.date)::date,
           ROUND(AVG({CHECKIN_PAIN}), 1), 'checkin'
    FROM checkins_checkin c
    WHERE c.athlete_id >= %(lo)s AND c.athlete_id < %(hi)s
      AND c.date >= %(weeks_from)s AND c.date <= %(today)s
    GROUP BY 1, 2
)
SELECT DISTINCT ON (w.athlete_id) w.athlete_id, w.week, b.pain AS pain_before, w.pain, w.source
FROM weekly w
JOIN weekly b ON b.athlete_id = w.athlete_id AND b.week = w.week - 7 AND b.source = w.source
JOIN athletes_athlete a ON a.id = w.athlete_id AND a.archived_at IS NULL
                          AND a.id >= %(lo)s AND a.id < %(hi)s
WHERE w.pain > b.pain AND b.pain > 0 AND w.pain >= %(floor)s
  AND NOT EXISTS (
        SELECT 1 FROM assessments_flag f
        WHERE f.athlete_id = w.athlete_id AND f.kind = 'pain'
          AND f.status NOT IN ('resolved', 'dismissed')
  )
ORDER BY w.athlete_id, w.week DESC, w.source DESC
""".replace("{CHECKIN_PAIN}", CHECKIN_PAIN)

LOAD_SPIKES_SQL = """
WITH weekly AS (
    SELECT ls.athlete_id,
           date_trunc('week', ls.performed_at AT TIME ZONE %(tz)s)::date AS week,
           SUM(ls.contacts) AS contacts
    FROM programs_loggedset ls
    WHERE ls.athlete_id >= %(lo)s AND ls.athlete_id < %(hi)s
      AND ls.performed_at >= %(from_at)s AND ls.performed_at < %(until_at)s
      AND ls.contacts > 0
    GROUP BY 1, 2
),
compared AS (
    SELECT athlete_id,
           COALESCE(SUM(contacts) FILTER (WHERE week = %(week)s), 0) AS this_week,
           COALESCE(SUM(contacts) FILTER (WHERE week < %(week)s), 0) AS weeks_before,
           COUNT(*) FILTER (WHERE week < %(week)s) AS weeks_with_contacts
    FROM weekly
    GROUP BY athlete_id
)
SELECT c.athlete_id, c.this_week, c.weeks_before
FROM compared c
JOIN athletes_athlete a ON a.id = c.athlete_id AND a.archived_at IS NULL
                          AND a.id >= %(lo)s AND a.id < %(hi)s
WHERE c.weeks_with_contacts >= 2
  AND c.this_week * %(weeks)s > %(ratio)s * c.weeks_before
ORDER BY c.athlete_id
"""


@dataclass(frozen=True)
class Candidate:
    """A pain or load flag the sweep would raise."""

    athlete_id: int
    kind: str
    key: str
    reason: str


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _iso_week(monday: datetime.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _day(day: datetime.date) -> str:
    return f"{day.day} {day:%b}"


def _times(value: Decimal, limit: Decimal) -> str:
    """×1.68; with more decimals when rounding would make it look equal to the limit."""
    for places in (2, 3, 4):
        text = f"{value:.{places}f}".rstrip("0").rstrip(".")
        if Decimal(text) != limit:
            return text
    return text


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def pain_candidates(*, lo_id: int, hi_id: int, today: datetime.date) -> list[Candidate]:
    """Pain flags to raise in the range: two consecutive painful sessions or check-ins, rising
    weekly pain; at most one per athlete (a pair before a rise). Two queries."""
    window_from = today - datetime.timedelta(days=PAIN_WINDOW_DAYS)
    context_from = window_from - datetime.timedelta(days=PAIN_CONTEXT_DAYS)
    weeks_from = _monday(today) - datetime.timedelta(days=14)  # this week and the two before
    common = {
        "lo": lo_id,
        "hi": hi_id,
        "today": today,
        "tz": settings.TIME_ZONE,
        "until_at": _local_midnight(today + datetime.timedelta(days=1)),
    }
    candidates = []
    pairs = _fetch(
        PAIN_PAIRS_SQL,
        {
            **common,
            "limit": PAIN_LIMIT,
            "window_from": window_from,
            "context_from": context_from,
            "context_from_at": _local_midnight(context_from),
        },
    )
    for athlete_id, day_before, pain_before, day, pain, source in pairs:
        if source == "checkin":
            key = f"pain-checkin-{day.isoformat()}"
            what = "Morning pain or stiffness {}/10 and {}/10 in two consecutive check-ins"
        else:
            key = f"pain-{day.isoformat()}"
            what = "Pain {}/10 and {}/10 in two consecutive sessions"
        candidates.append(
            Candidate(
                athlete_id,
                FlagKind.PAIN,
                key,
                f"{what.format(pain_before, pain)} ({_day(day_before)}, {_day(day)})",
            )
        )
    rising = _fetch(
        RISING_PAIN_SQL,
        {
            **common,
            "floor": RISING_PAIN_FLOOR,
            "weeks_from": weeks_from,
            "weeks_from_at": _local_midnight(weeks_from),
        },
    )
    for athlete_id, week, pain_before, pain, source in rising:
        before, now = _plain(pain_before), _plain(pain)
        if source == "checkin":
            key = f"pain-rising-checkin-{_iso_week(week)}"
            reason = f"Average morning pain or stiffness rose week on week: {before}/10 → {now}/10"
        else:
            key = f"pain-rising-{_iso_week(week)}"
            reason = f"Pain rose week on week: {before}/10 → {now}/10"
        candidates.append(Candidate(athlete_id, FlagKind.PAIN, key, reason))
    # One open pain flag per athlete: a pair and a rise found in the same run are one flag.
    first = {}
    for candidate in candidates:
        first.setdefault(candidate.athlete_id, candidate)
    return list(first.values())


def load_candidates(
    *, lo_id: int, hi_id: int, today: datetime.date, ratio: Decimal | None = None
) -> list[Candidate]:
    """Load flags to raise in the range: the last complete week's foot contacts against the
    average of the four weeks before it. One query."""
    ratio = load_flag_ratio() if ratio is None else Decimal(str(ratio))
    week = _monday(today) - datetime.timedelta(days=7)
    rows = _fetch(
        LOAD_SPIKES_SQL,
        {
            "lo": lo_id,
            "hi": hi_id,
            "tz": settings.TIME_ZONE,
            "week": week,
            "weeks": LOAD_WEEKS,
            "ratio": ratio,
            "from_at": _local_midnight(week - datetime.timedelta(days=7 * LOAD_WEEKS)),
            "until_at": _local_midnight(week + datetime.timedelta(days=7)),
        },
    )
    candidates = []
    for athlete_id, this_week, weeks_before in rows:
        average = Decimal(weeks_before) / LOAD_WEEKS
        times = Decimal(this_week) / average
        candidates.append(
            Candidate(
                athlete_id,
                FlagKind.LOAD,
                f"load-{_iso_week(week)}",
                f"Foot contacts {this_week} in the week of {_day(week)} vs 4-week average "
                f"{average.quantize(Decimal(1))} (×{_times(times, ratio)} > ×{_plain(ratio)})",
            )
        )
    return candidates


# --- Raising (writes) ---------------------------------------------------------------------------


def flags_raise(*, candidates: list[Candidate]) -> list[Flag]:
    """Insert the candidates as open flags, skipping any occasion already flagged (ON CONFLICT
    DO NOTHING on one_flag_per_athlete_kind_and_occasion), and record an event for each flag
    actually created. Three queries, however many candidates; call inside a transaction."""
    unique = {(c.athlete_id, c.kind, c.key): c for c in candidates}
    if not unique:
        return []
    Flag.objects.bulk_create(
        [
            Flag(
                athlete_id=c.athlete_id,
                kind=c.kind,
                key=c.key,
                reasons=[c.reason],
                status=FlagStatus.OPEN,
            )
            for c in unique.values()
        ],
        ignore_conflicts=True,
    )
    # Every flag is born with its event, in the same transaction: a flag without one is ours.
    created = [
        flag
        for flag in Flag.objects.annotate(**webhooks.flag_raised_targets()).filter(
            kind__in={c.kind for c in unique.values()},
            key__in={c.key for c in unique.values()},
            athlete_id__in={c.athlete_id for c in unique.values()},
            events__isnull=True,
        )
        if (flag.athlete_id, flag.kind, flag.key) in unique
    ]
    FlagEvent.objects.bulk_create(
        FlagEvent(
            flag=flag,
            from_status="",
            to_status=FlagStatus.OPEN,
            by=None,
            note="; ".join(flag.reasons)[:300],
        )
        for flag in created
    )
    from .tasks import notify_flag

    for flag in created:
        enqueue_on_commit(notify_flag, flag.id, "flag.raised")
    webhooks.flags_raised(created)
    return created


def _range_ids(lo_id: int, hi_id: int):
    return Athlete.objects.filter(id__gte=lo_id, id__lt=hi_id).values("id")


def chunk_sweep(*, lo_id: int, hi_id: int, today: datetime.date | None = None) -> SweepReport:
    """Sweep the athletes with lo_id <= id < hi_id. Safe to run twice or concurrently."""
    today = today or timezone.localdate()
    report = SweepReport(lo_id=lo_id, hi_id=hi_id, today=today.isoformat())
    started = time.monotonic()

    def count(execute, sql, params, many, context):
        report.queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count), transaction.atomic():
        stale = [result_id for result_id, _ in stale_results(lo_id=lo_id, hi_id=hi_id)]
        budget = inline_evaluations()
        for result_id in stale[:budget]:
            try:
                result_evaluate(result_id=result_id, today=today)
            except (OperationalError, SoftTimeLimitExceeded):
                raise  # a deadlock or lost connection (the task retries), or out of time
            except Exception:
                # One broken result must not stop the others: its savepoint is rolled back
                # and it stays stale for tomorrow.
                logger.exception("Sweep could not re-evaluate result %s", result_id)
                report.evaluation_errors += 1
            else:
                report.reevaluated += 1
        if stale[budget:]:
            from .tasks import evaluate_result

            for result_id in stale[budget:]:
                enqueue_on_commit(evaluate_result, result_id)
            report.evaluations_sent = len(stale[budget:])
        report.retests_due = flags_mark_retest_due(
            today=today, athlete_ids=_range_ids(lo_id, hi_id)
        )
        created = flags_raise(
            candidates=[
                *pain_candidates(lo_id=lo_id, hi_id=hi_id, today=today),
                *load_candidates(lo_id=lo_id, hi_id=hi_id, today=today),
            ]
        )
    report.pain_flags = sum(1 for f in created if f.kind == FlagKind.PAIN)
    report.load_flags = sum(1 for f in created if f.kind == FlagKind.LOAD)
    report.seconds = round(time.monotonic() - started, 3)
    logger.info(
        "Sweep %s–%s: %s re-evaluated (%s sent to the workers), %s retests due, %s pain and "
        "%s load flags; %s queries in %.2f s",
        lo_id,
        hi_id - 1,
        report.reevaluated,
        report.evaluations_sent,
        report.retests_due,
        report.pain_flags,
        report.load_flags,
        report.queries,
        report.seconds,
    )
    return report
