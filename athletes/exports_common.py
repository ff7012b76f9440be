"""What every CSV export shares: streaming lines, the query parameters, the HTTP response.

An export is a generator of CSV lines over a `values_list(...).iterator()` queryset, so a file
of 100,000 rows is written one row at a time in constant memory. Cells a spreadsheet would run
as a formula are written with a leading apostrophe, as in the roster export.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone

from .csv_files import Echo, escape_cell, parse_date
from .models import Organisation, Team

CHUNK_SIZE = 2000
BOM = "\ufeff"  # lets Excel open the file as UTF-8


def csv_cell(value, tz=None) -> str:
    """One value as a CSV cell: blanks for None, ISO dates and times (in `tz`, else the
    current time zone), plain decimals; text a spreadsheet would run as a formula escaped."""
    kind = type(value)
    if kind is str:
        return escape_cell(value)
    if value is None:
        return ""
    if kind is int:
        return str(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is Decimal:
        return format(value, "f")
    if kind is datetime.datetime:
        return value.astimezone(tz or timezone.get_current_timezone()).isoformat("T", "seconds")
    if kind is datetime.date:
        return value.isoformat()
    if kind is list or kind is tuple:
        return "; ".join(csv_cell(item, tz) for item in value)
    return escape_cell(str(value))


def csv_stream(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    """CSV lines, header first, one row at a time (nothing is collected in memory)."""
    writer = csv.writer(Echo())
    tz = timezone.get_current_timezone()
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_cell(value, tz) for value in row])


def stream_rows(queryset: QuerySet, fields: Iterable[str]) -> Iterator[tuple]:
    """The queryset as tuples of `fields`, fetched from the database in chunks."""
    return queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE)


class ExportParamError(Exception):
    """A query parameter is malformed: the view answers 400 naming it."""

    def __init__(self, param: str, message: str):
        self.param = param
        self.message = message
        super().__init__(f"{param}: {message}")


@dataclass(frozen=True)
class ExportFilters:
    team: Team | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def apply(self, queryset: QuerySet, *, day: str) -> QuerySet:
        """Rows of the team's athletes (`athlete__teams`) whose `day` lookup is in the range."""
        if self.team is not None:
            queryset = queryset.filter(athlete__teams=self.team)
        if self.date_from is not None:
            queryset = queryset.filter(**{f"{day}__gte": self.date_from})
        if self.date_to is not None:
            queryset = queryset.filter(**{f"{day}__lte": self.date_to})
        return queryset

    @property
    def slug(self) -> str:
        """A filename part that says what the file holds."""
        parts = [self.team.name if self.team else ""]
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or ''}_{self.date_to or ''}")
        return "-".join(
            "".join(c if c.isalnum() or c in "-_" else "-" for c in p.lower()) for p in parts if p
        )


NO_FILTERS = ExportFilters()


def export_filters(params: Mapping[str, str], *, teams: QuerySet[Team]) -> ExportFilters:
    """`team`, `date_from` and `date_to` from the query string. A bad date raises
    ExportParamError; a team outside `teams` (the ones the user sees) is a 404."""
    team = None
    if raw := params.get("team", "").strip():
        try:
            team = teams.get(pk=int(raw))
        except (ValueError, Team.DoesNotExist):
            raise Http404("No such team.") from None
    dates = {}
    for name in ("date_from", "date_to"):
        dates[name] = None
        if raw := params.get(name, "").strip():
            dates[name] = parse_date(raw)
            if dates[name] is None:
                raise ExportParamError(name, f"Not a date: {raw} (use YYYY-MM-DD).")
    if dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
        raise ExportParamError("date_to", "date_to is before date_from.")
    return ExportFilters(team=team, **dates)


def csv_response(lines: Iterator[str], *, filename: str) -> StreamingHttpResponse:
    """A streamed text/csv download; the first line carries a BOM for Excel."""
    response = StreamingHttpResponse(_with_bom(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_filename(organisation: Organisation, what: str, filters: ExportFilters) -> str:
    parts = [organisation.slug, what, filters.slug or timezone.localdate().isoformat()]
    return "-".join(p for p in parts if p) + ".csv"


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    first = next(lines, None)
    if first is None:
        return
    yield BOM + first
    yield from lines


def browser_export(request, *, what: str, rows) -> HttpResponse:
    """A staff member's export in the browser's active organisation: `rows(user=,
    organisation=, filters=)` gives the lines. Athletes get 403, a bad parameter 400."""
    from .context import staff_membership
    from .selectors import teams_visible_to

    organisation = staff_membership(request).organisation
    teams = teams_visible_to(request.user, organisation=organisation)
    try:
        filters = export_filters(request.GET, teams=teams)
    except ExportParamError as error:
        return HttpResponseBadRequest(
            f"{error.param}: {error.message}", content_type="text/plain; charset=utf-8"
        )
    lines = rows(user=request.user, organisation=organisation, filters=filters)
    return csv_response(lines, filename=export_filename(organisation, what, filters))
