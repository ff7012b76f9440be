"""Cursor pages that stay exact while rows are added, whatever the ordering.

DRF's CursorPagination keeps its place by the first ordering field alone plus an offset among
equal values, capped at 1,000: a calendar where hundreds of sessions share a date, or a nullable
field such as a flag's `retest_due`, pages badly or not at all. KeysetCursorPagination orders by
the requested fields and then the id (a unique tie-break), keeps the whole key of the last row in
the cursor, and asks for the rows strictly after it, NULLs placed as Postgres sorts them (last
when ascending, first when descending). A cursor that cannot be read is a 404, as in DRF.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, _reverse_ordering

TIE_BREAK = ("id", "pk")


def _key_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full precision, unlike DjangoJSONEncoder
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


class KeysetCursorPagination(CursorPagination):
    """Follow `next` (a cursor) rather than counting pages; `page_size` up to 200."""

    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view) -> tuple[str, ...]:
        ordering = list(super().get_ordering(request, queryset, view))
        if not {field.lstrip("-") for field in ordering} & set(TIE_BREAK):
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return tuple(ordering)

    # The position is the whole ordering key of a row, as JSON.

    def _get_position_from_instance(self, instance, ordering) -> str:
        def value(field: str) -> Any:
            name = field.lstrip("-")
            return instance[name] if isinstance(instance, dict) else getattr(instance, name)

        return json.dumps([_key_value(value(field)) for field in ordering])

    def _nullable(self, queryset, name: str) -> bool:
        try:
            return queryset.model._meta.get_field(name).null
        except FieldDoesNotExist:
            return True  # an annotation

    def _after(self, queryset, ordering: tuple[str, ...], position: str):
        """Rows strictly after `position` in `ordering` (already reversed for a `previous`)."""
        try:
            key = json.loads(position)
        except ValueError:
            raise NotFound(self.invalid_cursor_message) from None
        if not isinstance(key, list) or len(key) != len(ordering):
            raise NotFound(self.invalid_cursor_message)
        after, equal = Q(pk__in=[]), Q()
        for field, value in zip(ordering, key, strict=True):
            name, descending = field.lstrip("-"), field.startswith("-")
            nullable = self._nullable(queryset, name)
            if value is None:
                # NULLs come first when descending, last when ascending.
                strictly = Q(**{f"{name}__isnull": False}) if descending else Q(pk__in=[])
                same = Q(**{f"{name}__isnull": True})
            else:
                strictly = Q(**{f"{name}__lt" if descending else f"{name}__gt": value})
                if nullable and not descending:
                    strictly |= Q(**{f"{name}__isnull": True})
                same = Q(**{name: value})
            after |= equal & strictly
            equal &= same
        try:
            return queryset.filter(after)
        except (DjangoValidationError, ValueError, TypeError):
            raise NotFound(self.invalid_cursor_message) from None

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        offset, reverse, position = self.cursor or (0, False, None)

        ordering = _reverse_ordering(self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*ordering)
        if position is not None:
            queryset = self._after(queryset, ordering, position)

        # Positions are unique, so an offset only comes from DRF's first-page edge case.
        results = list(queryset[offset : offset + self.page_size + 1])
        self.page = results[: self.page_size]
        has_following = len(results) > len(self.page)
        following = (
            self._get_position_from_instance(results[-1], self.ordering) if has_following else None
        )
        if reverse:
            self.page.reverse()
            self.has_next = position is not None or offset > 0
            self.has_previous = has_following
            self.next_position = position
            self.previous_position = following
        else:
            self.has_next = has_following
            self.has_previous = position is not None or offset > 0
            self.next_position = following
            self.previous_position = position
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page
