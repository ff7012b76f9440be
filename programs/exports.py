"""CSV export of logged sets: the sets the user may see, streamed in constant memory."""

from __future__ import annotations

from collections.abc import Iterator

from athletes.exports_common import NO_FILTERS, ExportFilters, csv_stream, stream_rows
from athletes.models import Organisation, User

from .selectors import sets_visible_to

SET_COLUMNS = (
    "set_id",
    "performed_at",
    "athlete_id",
    "first_name",
    "last_name",
    "exercise",
    "session_id",
    "set_number",
    "side",
    "reps",
    "seconds",
    "contacts",
    "metres",
    "load_type",
    "load_value",
    "rpe",
    "pain",
    "notes",
    "client_uuid",
)
_SET_FIELDS = (
    "id",
    "performed_at",
    "athlete_id",
    "athlete__first_name",
    "athlete__last_name",
    "exercise__slug",
    "session_id",
    "set_number",
    "side",
    "reps",
    "seconds",
    "contacts",
    "metres",
    "load_type",
    "load_value",
    "rpe",
    "pain",
    "notes",
    "client_uuid",
)


def sets_rows(
    *, user: User, organisation: Organisation, filters: ExportFilters = NO_FILTERS
) -> Iterator[str]:
    """The sets the user sees in the organisation performed in the date range, oldest first."""
    sets = sets_visible_to(user, organisation=organisation)
    sets = filters.apply(sets, day="performed_at__date")
    return csv_stream(SET_COLUMNS, stream_rows(sets.order_by("performed_at", "id"), _SET_FIELDS))
