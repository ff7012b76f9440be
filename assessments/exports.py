"""CSV exports of results and flags: the rows the user may see, streamed in constant memory."""

from __future__ import annotations

from collections.abc import Iterator

from athletes.exports_common import NO_FILTERS, ExportFilters, csv_stream, stream_rows
from athletes.models import Organisation, User

from .selectors import flags_visible_to, results_visible_to

RESULT_COLUMNS = (
    "result_id",
    "date",
    "athlete_id",
    "first_name",
    "last_name",
    "athlete_email",
    "test",
    "unit",
    "left",
    "right",
    "both",
    "lsi",
    "passed",
    "reasons",
    "notes",
    "client_uuid",
    "recorded_at",
)
_RESULT_FIELDS = (
    "id",
    "date",
    "athlete_id",
    "athlete__first_name",
    "athlete__last_name",
    "athlete__email",
    "test__slug",
    "test__unit",
    "left",
    "right",
    "both",
    "lsi",
    "passed",
    "reasons",
    "notes",
    "client_uuid",
    "recorded_at",
)

FLAG_COLUMNS = (
    "flag_id",
    "created_at",
    "athlete_id",
    "first_name",
    "last_name",
    "kind",
    "test",
    "status",
    "reasons",
    "key",
    "result_id",
    "retest_due",
    "resolved_by_result_id",
    "resolution",
    "updated_at",
)
_FLAG_FIELDS = (
    "id",
    "created_at",
    "athlete_id",
    "athlete__first_name",
    "athlete__last_name",
    "kind",
    "test__slug",
    "status",
    "reasons",
    "key",
    "result_id",
    "retest_due",
    "resolved_by_id",
    "resolution",
    "updated_at",
)


def results_rows(
    *, user: User, organisation: Organisation, filters: ExportFilters = NO_FILTERS
) -> Iterator[str]:
    """The results the user sees in the organisation, oldest first, as CSV lines."""
    results = results_visible_to(user, organisation=organisation)
    results = filters.apply(results, day="date")
    return csv_stream(RESULT_COLUMNS, stream_rows(results.order_by("date", "id"), _RESULT_FIELDS))


def flags_rows(
    *, user: User, organisation: Organisation, filters: ExportFilters = NO_FILTERS
) -> Iterator[str]:
    """The flags the user sees in the organisation raised in the date range, oldest first."""
    flags = flags_visible_to(user, organisation=organisation)
    flags = filters.apply(flags, day="created_at__date")
    return csv_stream(FLAG_COLUMNS, stream_rows(flags.order_by("created_at", "id"), _FLAG_FIELDS))
