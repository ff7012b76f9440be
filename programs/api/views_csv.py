"""Logged sets as CSV for integrators, streamed."""

from __future__ import annotations

from athletes.api.csv_common import CSVExportView, export_schema
from programs.exports import sets_rows


class SetsExportView(CSVExportView):
    what = "sets"
    rows = staticmethod(sets_rows)

    @export_schema(
        "Logged sets as CSV",
        "The sets you may see, oldest first, filtered by team and by the day they were done.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
