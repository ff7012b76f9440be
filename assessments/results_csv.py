"""Results CSV import: all rows or none, each problem reported by row and column.

The decoding, header matching and error report are the roster import's (athletes.roster_csv):
the header is row 1, row 0 means the whole file. Every row is recorded through
`result_record` inside one transaction; if any row is wrong the transaction is rolled back,
so nothing is stored and no evaluation is enqueued. A row whose `client_uuid` was imported
before is a replay: it stores nothing new (and is not counted as created).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F

from athletes.csv_files import (
    ImportResult,
    RowError,
    decode_upload,
    header_key,
    parse_date,
    unescape_cell,
)
from athletes.models import Organisation, User, normalize_email
from athletes.roster_csv import COLUMN_ALIASES as ROSTER_ALIASES
from athletes.selectors import athletes_writable_by, is_staff_in

from .models import Result
from .selectors import tests_visible_to
from .services import ResultConflict, result_record

ATHLETE_COLUMNS = ("athlete_id", "athlete_email", "athlete")
SIDE_COLUMNS = ("left", "right", "both")
COLUMNS = (*ATHLETE_COLUMNS, "test", "date", *SIDE_COLUMNS, "notes", "client_uuid")
REQUIRED_COLUMNS = ("test", "date")
COLUMN_HELP = {
    "athlete_id": "The athlete's id in Baseline (one of the three athlete columns is needed).",
    "athlete_email": "Or the athlete's email.",
    "athlete": "Or the athlete's first and last name, e.g. Fin Forward.",
    "test": "The test's short name (slug), e.g. heel-rise or ankling.",
    "date": "YYYY-MM-DD or DD/MM/YYYY; not in the future.",
    "left": "Per-leg tests: the left leg's trials, several separated by “;”, e.g. 22;24.",
    "right": "Per-leg tests: the right leg's trials.",
    "both": "Two-leg tests: the trials.",
    "notes": "Optional, up to 300 characters.",
    "client_uuid": "Optional; a row with a UUID imported before is skipped, not doubled.",
}
MAX_ROWS = 5000
TRIAL_SEPARATOR = ";"
NOTES_MAX = Result._meta.get_field("notes").max_length

# Other names spreadsheets give the columns, after header_key() has simplified them.
_ALIASES = {
    "id": "athlete_id",
    "email": "athlete_email",
    "athlete_name": "athlete",
    "name": "athlete",
    "test_slug": "test",
    "uuid": "client_uuid",
    "l": "left",
    "r": "right",
    "note": "notes",
}

ResultsImportResult = ImportResult  # `created` holds the new Result rows


class _Invalid(Exception):
    """Raised inside the transaction to roll every row back."""


def results_import(*, organisation: Organisation, file, imported_by: User) -> ResultsImportResult:
    """Record the file's results in the organisation, all of them or none."""
    if not is_staff_in(imported_by, organisation.id):
        raise PermissionDenied("Only the club's staff import results.")
    text, error = decode_upload(file)
    if not error and "\x00" in text:
        error = RowError(0, "file", "The file contains NUL characters; it is not a CSV text file.")
    if error:
        return ResultsImportResult(errors=[error])
    rows, errors = _parse(text, _Lookup(organisation, imported_by))
    result = ResultsImportResult()
    try:
        with transaction.atomic():
            for number, fields in rows:
                errors += _record(number, fields, imported_by, result)
            if errors:
                raise _Invalid
    except _Invalid:
        return ResultsImportResult(errors=sorted(errors, key=_error_order))
    except IntegrityError:
        message = "The results changed while importing; nothing was imported, try again."
        return ResultsImportResult(errors=[RowError(0, "file", message)])
    return result


def results_template() -> str:
    """An empty import file: the header line."""
    header = ("athlete_email", "test", "date", *SIDE_COLUMNS, "notes")
    return ",".join(header) + "\r\n"


# --- helpers -----------------------------------------------------------------------------------


class _Lookup:
    """The athletes the importer may record for and the tests they see, each read once."""

    def __init__(self, organisation: Organisation, user: User):
        athletes = athletes_writable_by(user, organisation=organisation).only(
            "id", "organisation_id", "first_name", "last_name", "email", "archived_at"
        )
        self.by_id, self.by_email = {}, {}
        self.by_name: dict[str, list] = defaultdict(list)
        for athlete in athletes.order_by("id"):
            self.by_id[athlete.id] = athlete
            if athlete.email:
                self.by_email[athlete.email.casefold()] = athlete
            self.by_name[_name_key(f"{athlete.first_name} {athlete.last_name}")].append(athlete)
        # A club's own test wins over a catalogue test of the same slug.
        tests = tests_visible_to(user, organisation=organisation).order_by(
            F("organisation").asc(nulls_last=True), "id"
        )
        self.tests = {}
        for test in tests:
            self.tests.setdefault(test.slug.casefold(), test)

    def athlete(self, values: dict):
        """(athlete, None) or (None, (column, message))."""
        if raw := values.get("athlete_id", ""):
            try:
                athlete = self.by_id.get(int(raw))
            except ValueError:
                return None, ("athlete_id", f"Not an id: {raw}")
            return athlete, None if athlete else ("athlete_id", f"Unknown athlete: {raw}")
        if raw := values.get("athlete_email", ""):
            athlete = self.by_email.get(normalize_email(raw).casefold())
            return athlete, None if athlete else ("athlete_email", f"Unknown athlete: {raw}")
        if raw := values.get("athlete", ""):
            found = self.by_name.get(_name_key(raw), [])
            if len(found) > 1:
                message = (
                    f"{len(found)} athletes are called {raw}; use athlete_email or athlete_id."
                )
                return None, ("athlete", message)
            return (found[0], None) if found else (None, ("athlete", f"Unknown athlete: {raw}"))
        return None, ("athlete", "Name the athlete (athlete_id, athlete_email or athlete).")


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


def _read_header(header: list[str]) -> tuple[list[str | None], list[RowError]]:
    keys: list[str | None] = []
    for name in header:
        key = header_key(name, ROSTER_ALIASES)
        keys.append(_ALIASES.get(key, key) or None)
    errors = []
    unknown = [
        name.strip() for name, key in zip(header, keys, strict=True) if key and key not in COLUMNS
    ]
    if unknown:
        message = f"Unknown columns: {', '.join(unknown)}. Expected: {', '.join(COLUMNS)}."
        errors.append(RowError(1, "file", message))
    repeated = sorted({k for k in keys if k in COLUMNS and keys.count(k) > 1})
    if repeated:
        errors.append(RowError(1, "file", f"Columns given twice: {', '.join(repeated)}."))
    missing = [name for name in REQUIRED_COLUMNS if name not in keys]
    if not any(name in keys for name in ATHLETE_COLUMNS):
        missing.insert(0, " or ".join(ATHLETE_COLUMNS))
    if not any(name in keys for name in SIDE_COLUMNS):
        missing.append(" or ".join(SIDE_COLUMNS))
    if missing:
        errors.append(RowError(1, "file", f"Missing required columns: {', '.join(missing)}."))
    return keys, errors


def _parse(text: str, lookup: _Lookup) -> tuple[list[tuple[int, dict]], list[RowError]]:
    """Read and check every row; returns (row number, result_record arguments) per result."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if "," not in first_line and ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, errors = [], []
    number = count = 0
    try:
        header = next(reader)
        number = 1
        keys, errors = _read_header(header)
        if errors:
            return [], errors
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            count += 1
            if count > MAX_ROWS:
                message = f"The file has more than {MAX_ROWS} results; split it into smaller files."
                return [], [RowError(0, "file", message)]
            if len(cells) > len(keys) and any(c.strip() for c in cells[len(keys) :]):
                message = (
                    f"{len(cells)} values but {len(keys)} columns; "
                    "put quotes around values that contain a comma."
                )
                errors.append(RowError(number, "row", message))
                continue
            values = {k: unescape_cell(c.strip()) for k, c in zip(keys, cells, strict=False) if k}
            fields, row_errors = _parse_row(number, values, lookup)
            errors += row_errors
            if not row_errors:
                rows.append((number, fields))
    except csv.Error as exc:
        return [], [RowError(number + 1, "file", f"The file is not valid CSV: {exc}.")]
    if not rows and not errors:
        errors.append(RowError(0, "file", "The file has no results, only a header."))
    return rows, errors


def _parse_row(number: int, values: dict, lookup: _Lookup) -> tuple[dict, list[RowError]]:
    errors: list[RowError] = []

    def error(field_name: str, message: str) -> None:
        errors.append(RowError(number, field_name, message))

    athlete, problem = lookup.athlete(values)
    if problem:
        error(*problem)
    test = None
    if not (raw := values.get("test", "")):
        error("test", "Test is required.")
    elif (test := lookup.tests.get(raw.casefold())) is None:
        error("test", f"Unknown test: {raw}")
    date = None
    if not (raw := values.get("date", "")):
        error("date", "Date is required.")
    elif (date := parse_date(raw)) is None:
        error("date", f"Unparseable date: {raw} (use YYYY-MM-DD or DD/MM/YYYY).")
    trials = {}
    for side in SIDE_COLUMNS:
        cells = [v.strip() for v in values.get(side, "").split(TRIAL_SEPARATOR)]
        if any(cells):
            trials[side] = [v for v in cells if v]
    if test is not None:
        for side in trials.keys() - set(test.sides):
            error(side, f"{test.name} takes {' and '.join(test.sides)}, not {side}.")
    notes = values.get("notes", "")
    if len(notes) > NOTES_MAX:
        error("notes", f"Notes are {len(notes)} characters long; at most {NOTES_MAX}.")
    client_uuid = values.get("client_uuid", "") or None
    if client_uuid is not None:
        try:
            client_uuid = uuid.UUID(client_uuid)
        except ValueError:
            error("client_uuid", f"Not a UUID: {client_uuid}")
    fields = {
        "athlete": athlete,
        "test": test,
        "date": date,
        "trials": trials,
        "notes": notes,
        "client_uuid": client_uuid,
    }
    return fields, errors


def _record(number: int, fields: dict, user: User, result: ResultsImportResult) -> list[RowError]:
    try:
        with transaction.atomic():
            stored, created = result_record(recorded_by=user, **fields)
    except ValidationError as exc:
        return _validation_errors(number, exc)
    except ResultConflict:
        message = "This client_uuid was imported before with a different result."
        return [RowError(number, "client_uuid", message)]
    if created:
        result.created.append(stored)
    return []


def _validation_errors(row: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(row, "row", message) for message in exc.messages]
    return [
        RowError(row, name if name in COLUMNS else "row", message)
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


def _error_order(error: RowError) -> tuple[int, int]:
    column = COLUMNS.index(error.field) if error.field in COLUMNS else len(COLUMNS)
    return error.row, column
