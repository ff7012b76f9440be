"""What our CSV files share, in and out: the roster, the results import and every export.

An import reads an upload as UTF-8 text (a spreadsheet's byte-order mark dropped), matches its
header names loosely ("Date of birth", "date-of-birth" and "DOB" may all name one column) and
reports each problem by row and column (the header is row 1, as a spreadsheet shows it; row 0
means the whole file). A cell a spreadsheet would run as a formula is written with a leading
apostrophe, and that apostrophe is dropped again on import.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# Cells a spreadsheet would run as a formula are written with a leading apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def decode_upload(file) -> tuple[str, RowError | None]:
    """The upload's text, or the error that stops the whole file."""
    data = file if isinstance(file, bytes | str) else file.read()
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            message = "File is not UTF-8 text; save it as 'CSV UTF-8'."
            return "", RowError(0, "file", message)
    else:
        data = data.removeprefix("\ufeff")
    if not data.strip():
        return "", RowError(0, "file", "The file is empty.")
    return data, None


def header_key(name: str, aliases: Mapping[str, str]) -> str:
    """A header name as a column key: lower case, words joined by "_", other names mapped."""
    key = re.sub(r"[^a-z0-9]+", "_", name.strip().casefold()).strip("_")
    return aliases.get(key, key)


def parse_date(raw: str) -> datetime.date | None:
    """YYYY-MM-DD or DD/MM/YYYY (or DD.MM.YYYY), else None."""
    if match := _ISO_DATE.fullmatch(raw):
        year, month, day = match.groups()
    elif match := _DMY_DATE.fullmatch(raw):
        day, month, year = match.groups()
    else:
        return None
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None


def escape_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def unescape_cell(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value


class Echo:
    """A file-like object whose write() hands back the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value
