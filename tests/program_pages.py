"""Shared helpers and fixtures of the program page tests."""

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from programs import services
from programs.models import (
    Assignment,
    Prescription,
    TemplateSession,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
D = datetime.timedelta
TODAY = timezone.localdate()
NEXT_MONDAY = TODAY + D(days=7 - TODAY.weekday())


def html(response) -> str:
    return response.content.decode()


def text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def search_results(page: str) -> list[str]:
    return re.findall(r'name="exercise" value="\d+">\s*<button[^>]*>Add ([^<]+)</button>', page)


def table_row(page: str, label: str) -> list[str]:
    """The cells of the first table row whose first cell reads `label`."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r}")


def session_of(template) -> TemplateSession:
    return template.sessions.get(name="Calf A")


def row_of(template, slug) -> Prescription:
    return Prescription.objects.get(session__template=template, exercise__slug=slug)


def url(name, *args) -> str:
    return reverse(name, args=args)


def edit_data(prescription, **changes) -> dict:
    prefix = f"p{prescription.pk}-"
    data = {
        "sets": prescription.sets,
        "target_min": prescription.target_min,
        "target_max": prescription.target_max or "",
        "load_type": prescription.load_type,
        "load_value": prescription.load_value or "",
        "tempo": prescription.tempo,
        "rest_seconds": prescription.rest_seconds or "",
        "notes": prescription.notes,
        "progression": prescription.progression,
        "progression_every_weeks": prescription.progression_every_weeks,
        "progression_load_step": "",
        "progression_max_sets": "",
        "progression_steps": "",
        **changes,
    }
    return {prefix + key: value for key, value in data.items()}


def assign_data(**changes) -> dict:
    data = {
        "start_date": NEXT_MONDAY.isoformat(),
        "sessions_per_week": 2,
        "weekdays": ["0", "3"],
        "min_gap_hours": 48,
        "action": "preview",
        **changes,
    }
    return data


def assigned(template, athlete, coach, *, start=NEXT_MONDAY, **options) -> Assignment:
    [assignment] = services.program_assign(
        template=template,
        assigned_by=coach,
        athletes=[athlete],
        start_date=start,
        weekdays=options.pop("weekdays", [0, 3]),
        **options,
    )
    return assignment
