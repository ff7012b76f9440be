"""CSV for integrators: results and flags exports (streamed) and the results import.

The import is the browser's (assessments.results_csv): all rows or none. It takes a multipart
upload (`file`) or a text/csv body and answers 201 {"created": n}, or 400 {"rows": [...]} with
each problem's row (the header is row 1; 0 is the whole file), column and message.
"""

from __future__ import annotations

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiRequest, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from assessments.exports import flags_rows, results_rows
from assessments.results_csv import MAX_ROWS, results_import
from athletes.api.csv_common import (
    ORGANISATION_PARAMETER,
    CSVExportView,
    CSVParser,
    export_schema,
    staff_organisation,
)
from config.api_errors import ErrorFormatMixin, error_body
from config.idempotency import IdempotencyMixin

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class ResultsExportView(CSVExportView):
    what = "results"
    rows = staticmethod(results_rows)

    @export_schema(
        "Results as CSV",
        "The results you may see, oldest first, filtered by team and by the result's date.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class FlagsExportView(CSVExportView):
    what = "flags"
    rows = staticmethod(flags_rows)

    @export_schema(
        "Flags as CSV",
        "The flags you may see, oldest first, filtered by team and by the day they were raised.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ImportCreatedSerializer(serializers.Serializer):
    created = serializers.IntegerField()


def import_error_body(errors) -> dict:
    """The one error format; each problem is a field `rows.<row>.<column>`, and `rows` lists
    them as {"row", "field", "message"} (row 1 is the header, 0 the whole file)."""
    detail: dict = {}
    for error in errors:
        detail.setdefault(str(error.row), {}).setdefault(error.field, []).append(error.message)
    return error_body(
        status.HTTP_400_BAD_REQUEST,
        {"rows": detail},
        rows=[asdict(error) for error in errors],
    )


class ResultsImportView(IdempotencyMixin, ErrorFormatMixin, APIView):
    """Record a CSV file of results, all rows or none."""

    parser_classes = [MultiPartParser, CSVParser]

    @extend_schema(
        summary="Import results from CSV (staff)",
        description=(
            f"At most {MAX_ROWS} rows and 2 MB. Columns: athlete_id, athlete_email or athlete "
            "(first and last name); test (slug); date; left, right or both (several trials "
            'separated by ";"); notes; client_uuid (a row imported before is not stored '
            "twice). Each result is evaluated against its baselines once stored."
        ),
        parameters=[ORGANISATION_PARAMETER],
        request={
            "multipart/form-data": OpenApiRequest(
                {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
            ),
            "text/csv": OpenApiRequest(OpenApiTypes.STR),
        },
        responses={
            201: ImportCreatedSerializer,
            400: OpenApiResponse(
                description="Nothing was imported. `fields` names each problem as "
                "`rows.<row>.<column>` (row 1 is the header, 0 the whole file) and `rows` "
                'lists them as {"row", "field", "message"}.'
            ),
            403: OpenApiResponse(description="Athletes may not import."),
            404: OpenApiResponse(description="No such organisation."),
        },
    )
    def post(self, request, *args, **kwargs):
        organisation = staff_organisation(request)
        if isinstance(request.data, bytes):
            content = request.data
        else:
            upload = request.FILES.get("file")
            if upload is None:
                raise serializers.ValidationError(
                    {"file": ["Send the CSV as a `file` upload or as a text/csv body."]}
                )
            if upload.size > MAX_UPLOAD_BYTES:
                raise serializers.ValidationError({"file": [_TOO_LARGE]})
            content = upload.read()
        if len(content) > MAX_UPLOAD_BYTES:
            raise serializers.ValidationError({"file": [_TOO_LARGE]})
        result = results_import(organisation=organisation, file=content, imported_by=request.user)
        if not result.ok:
            return Response(import_error_body(result.errors), status=status.HTTP_400_BAD_REQUEST)
        return Response({"created": len(result.created)}, status=status.HTTP_201_CREATED)


_TOO_LARGE = "The file is larger than 2 MB; split it into smaller files."
