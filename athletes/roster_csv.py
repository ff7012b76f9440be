"""Roster CSV import and export: one format both ways.

Import is all rows or none: every row is checked first and, if any row is wrong, nothing is
created and each problem is reported by row and column (the header is row 1, as a spreadsheet
shows it; row 0 means the whole file). Otherwise every athlete is created through
`athlete_create` inside one transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from .csv_files import (
    Echo,
    ImportResult,
    RowError,
    decode_upload,
    escape_cell,
    header_key,
    parse_date,
    unescape_cell,
)
from .models import Athlete, Organisation, Sex, Side, User, normalize_email
from .selectors import is_staff_in, teams_assignable_by
from .services import athlete_create

COLUMNS = (
    "first_name",
    "last_name",
    "email",
    "date_of_birth",
    "sex",
    "team",
    "position",
    "dominant_side",
    "body_mass_kg",
)
REQUIRED_COLUMNS = ("first_name", "last_name")
COLUMN_HELP = {
    "first_name": "Required.",
    "last_name": "Required.",
    "email": "Optional; unique in the club.",
    "date_of_birth": "YYYY-MM-DD or DD/MM/YYYY.",
    "sex": "male or female (m, f, man, woman), or blank.",
    "team": "Team names separated by “;”, or blank.",
    "position": "Free text, e.g. Prop.",
    "dominant_side": "left, right or both (l, r), or blank.",
    "body_mass_kg": "A number from 20 to 300, e.g. 82.5 or 82,5; or blank.",
}
MAX_ROWS = 2000
TEAM_SEPARATOR = ";"
EXPORT_CHUNK = 500

# Other names spreadsheets give the columns, after header_key() has simplified them.
COLUMN_ALIASES = {
    alias: column
    for column, aliases in {
        "first_name": ("firstname", "given_name", "forename"),
        "last_name": ("lastname", "surname", "family_name"),
        "email": ("e_mail", "email_address"),
        "date_of_birth": ("dob", "birth_date", "birthdate"),
        "sex": ("gender",),
        "team": ("teams",),
        "dominant_side": ("dominant", "dominant_leg", "dominant_foot"),
        "body_mass_kg": ("body_mass", "mass_kg", "weight", "weight_kg"),
    }.items()
    for alias in aliases
}
_SEXES = {"male": Sex.MALE, "m": Sex.MALE, "man": Sex.MALE}
_SEXES |= {"female": Sex.FEMALE, "f": Sex.FEMALE, "woman": Sex.FEMALE}
_SIDES = {"left": Side.LEFT, "l": Side.LEFT, "right": Side.RIGHT, "r": Side.RIGHT}
_SIDES |= {"both": Side.BOTH}


RosterImportResult = ImportResult  # `created` holds the new athletes


class _Invalid(Exception):
    """Raised inside the transaction to roll every row back."""


def roster_import(*, organisation: Organisation, file, imported_by: User) -> RosterImportResult:
    """Create the file's athletes in the organisation, all of them or none."""
    if not is_staff_in(imported_by, organisation.id):
        raise PermissionDenied("Only the club's staff import athletes.")
    text, error = decode_upload(file)
    if error:
        return RosterImportResult(errors=[error])
    teams = {
        team.name.casefold(): team
        for team in teams_assignable_by(imported_by, organisation=organisation)
    }
    rows, errors = _parse(text, teams)
    if errors:
        return RosterImportResult(errors=errors)
    errors = _check_emails(rows, organisation)
    for row, profile, _ in rows:
        skip = {e.field for e in errors if e.row == row}
        errors += _full_clean(row, organisation, profile, skip=skip)
    if errors:
        return RosterImportResult(errors=sorted(errors, key=_error_order))
    result = RosterImportResult()
    try:
        with transaction.atomic():
            for row, profile, row_teams in rows:
                try:
                    athlete = athlete_create(
                        organisation=organisation,
                        created_by=imported_by,
                        teams=row_teams,
                        **profile,
                    )
                except ValidationError as exc:  # the roster changed since the checks above
                    result.errors = _validation_errors(row, exc)
                    raise _Invalid from exc
                result.created.append(athlete)
    except _Invalid:
        result.created = []
    except IntegrityError:
        message = "The roster changed while importing; nothing was imported, try again."
        result = RosterImportResult(errors=[RowError(0, "file", message)])
    return result


def roster_export(*, athletes: QuerySet[Athlete]) -> Iterator[str]:
    """The athletes as CSV lines in the import format, header first, one row at a time."""
    if not any(
        getattr(lookup, "prefetch_to", lookup) == "teams"
        for lookup in athletes._prefetch_related_lookups
    ):
        athletes = athletes.prefetch_related("teams")
    writer = csv.writer(Echo())
    yield writer.writerow(COLUMNS)
    for athlete in athletes.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow([escape_cell(value) for value in _export_row(athlete)])


def roster_template() -> str:
    """An empty import file: just the header line."""
    return csv.writer(Echo()).writerow(COLUMNS)


# --- import helpers ------------------------------------------------------------------------


def _read_header(header: list[str]) -> tuple[list[str | None], list[RowError]]:
    keys: list[str | None] = [header_key(name, COLUMN_ALIASES) or None for name in header]
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
    if missing:
        errors.append(RowError(1, "file", f"Missing required columns: {', '.join(missing)}."))
    return keys, errors


def _parse(text: str, teams: dict) -> tuple[list[tuple[int, dict, list]], list[RowError]]:
    """Read and check every row; returns (row number, profile, teams) per athlete."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if "," not in first_line and ";" in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, errors, seen_emails = [], [], {}
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
                message = (
                    f"The file has more than {MAX_ROWS} athletes; split it into smaller files."
                )
                return [], [RowError(0, "file", message)]
            if len(cells) > len(keys) and any(c.strip() for c in cells[len(keys) :]):
                message = (
                    f"{len(cells)} values but {len(keys)} columns; "
                    "put quotes around values that contain a comma."
                )
                errors.append(RowError(number, "row", message))
                continue
            values = {k: unescape_cell(c.strip()) for k, c in zip(keys, cells, strict=False) if k}
            profile, row_teams, row_errors = _parse_row(number, values, teams, seen_emails)
            errors += row_errors
            rows.append((number, profile, row_teams))
    except csv.Error as exc:
        return [], [RowError(number + 1, "file", f"The file is not valid CSV: {exc}.")]
    if not rows and not errors:
        errors.append(RowError(0, "file", "The file has no athletes, only a header."))
    return rows, errors


def _parse_row(number: int, values: dict, teams: dict, seen_emails: dict):
    errors: list[RowError] = []

    def error(field_name: str, message: str) -> None:
        errors.append(RowError(number, field_name, message))

    profile = {name: values.get(name, "") for name in ("first_name", "last_name", "position")}
    for name in REQUIRED_COLUMNS:
        if not profile[name]:
            error(name, f"{name.replace('_', ' ').capitalize()} is required.")

    email = normalize_email(values.get("email", ""))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            error("email", f"Not a valid email address: {email}")
        else:
            if email in seen_emails:
                error("email", f"Duplicate email: {email} is also on row {seen_emails[email]}.")
            else:
                seen_emails[email] = number
    profile["email"] = email

    profile["date_of_birth"] = None
    if raw := values.get("date_of_birth", ""):
        born = parse_date(raw)
        today = timezone.localdate()
        if born is None:
            error("date_of_birth", f"Unparseable date: {raw} (use YYYY-MM-DD or DD/MM/YYYY).")
        elif born > today:
            error("date_of_birth", f"Date of birth is in the future: {raw}")
        elif today.year - born.year > 110:
            error("date_of_birth", f"Date of birth is more than 110 years ago: {raw}")
        else:
            profile["date_of_birth"] = born

    for name, choices, expected in (
        ("sex", _SEXES, "male or female"),
        ("dominant_side", _SIDES, "left, right or both"),
    ):
        raw = values.get(name, "")
        profile[name] = choices.get(raw.casefold(), "")
        if raw and not profile[name]:
            error(name, f"Unknown {name.replace('_', ' ')}: {raw} (use {expected}).")

    profile["body_mass_kg"] = None
    if raw := values.get("body_mass_kg", ""):
        mass = _parse_mass(raw)
        if mass is None:
            error("body_mass_kg", f"Not a number: {raw}")
        elif not 20 <= mass <= 300:
            error("body_mass_kg", f"Body mass must be between 20 and 300 kg, not {raw}")
        else:
            profile["body_mass_kg"] = mass

    row_teams = []
    for name in filter(None, (n.strip() for n in values.get("team", "").split(TEAM_SEPARATOR))):
        team = teams.get(name.casefold())
        if team is None:
            error("team", f"Unknown team: {name}")
        elif team not in row_teams:
            row_teams.append(team)
    return profile, row_teams, errors


def _parse_mass(raw: str) -> Decimal | None:
    text = raw.casefold().removesuffix("kg").strip().replace(",", ".")
    try:
        mass = Decimal(text)
    except InvalidOperation:
        return None
    if not mass.is_finite():
        return None
    return mass.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _check_emails(rows, organisation: Organisation) -> list[RowError]:
    emails = [profile["email"] for _, profile, _ in rows if profile["email"]]
    taken = set(
        Athlete.objects.filter(organisation=organisation)
        .annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email_lower", flat=True)
    )
    return [
        RowError(row, "email", f"{profile['email']} is already used by an athlete of the club.")
        for row, profile, _ in rows
        if profile["email"] in taken
    ]


def _full_clean(row: int, organisation, profile: dict, skip: set) -> list[RowError]:
    """The model's own checks (lengths and the like); the database is asked once, later."""
    try:
        Athlete(organisation=organisation, **profile).full_clean(
            exclude=["user", "organisation"], validate_constraints=False
        )
    except ValidationError as exc:
        return [e for e in _validation_errors(row, exc) if e.field not in skip]
    return []


def _validation_errors(row: int, exc: ValidationError) -> list[RowError]:
    if not hasattr(exc, "error_dict"):
        return [RowError(row, "row", message) for message in exc.messages]
    return [
        RowError(row, "row" if name == "__all__" else name, message)
        for name, messages in exc.message_dict.items()
        for message in messages
    ]


def _error_order(error: RowError) -> tuple[int, int]:
    column = COLUMNS.index(error.field) if error.field in COLUMNS else len(COLUMNS)
    return error.row, column


# --- export helpers ------------------------------------------------------------------------


def _export_row(athlete: Athlete) -> Iterable[str]:
    born = athlete.date_of_birth
    mass = athlete.body_mass_kg
    return (
        athlete.first_name,
        athlete.last_name,
        athlete.email,
        born.isoformat() if born else "",
        athlete.sex,
        f"{TEAM_SEPARATOR} ".join(team.name for team in athlete.teams.all()),
        athlete.position,
        athlete.dominant_side,
        "" if mass is None else str(mass),
    )
