"""What the API's CSV endpoints share: text/csv rendering and parsing, the organisation a
request works in, and a streaming export view."""

from __future__ import annotations

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.views import APIView

from athletes.exports_common import ExportParamError, csv_response, export_filename, export_filters
from athletes.models import STAFF_ROLES, Organisation
from athletes.selectors import memberships_of, teams_visible_to


class CSVRenderer(renderers.BaseRenderer):
    """text/csv: exports stream their own body; an error is rendered as JSON text."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, str | bytes):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class CSVParser(BaseParser):
    """A text/csv request body, handed to the view as bytes."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


ORGANISATION_PARAMETER = OpenApiParameter(
    "organisation",
    OpenApiTypes.INT,
    description="The organisation's id; needed only if you are staff in several.",
)


def staff_organisation(request) -> Organisation:
    """The organisation named by `organisation` (query or form), else the only one where the
    user is staff. A club the user is not in is a 404; an athlete gets 403."""
    memberships = memberships_of(request.user)
    raw = request.query_params.get("organisation") or _form_value(request, "organisation")
    if raw:
        try:
            organisation_id = int(raw)
        except (TypeError, ValueError):
            raise NotFound("No such organisation.") from None
        membership = next((m for m in memberships if m.organisation_id == organisation_id), None)
        if membership is None:
            raise NotFound("No such organisation.")
        if membership.role not in STAFF_ROLES:
            raise PermissionDenied("Only the club's staff may do this.")
        return membership.organisation
    staff = [m for m in memberships if m.role in STAFF_ROLES]
    if not staff:
        raise PermissionDenied("Only the club's staff may do this.")
    if len(staff) > 1:
        raise serializers.ValidationError(
            {"organisation": ["You are staff in several organisations; pass organisation=<id>."]}
        )
    return staff[0].organisation


def _form_value(request, name: str):
    if request.content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
        return request.data.get(name)
    return None


EXPORT_PARAMETERS = [
    ORGANISATION_PARAMETER,
    OpenApiParameter("team", OpenApiTypes.INT, description="Only this team's athletes."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="From this day (YYYY-MM-DD)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Up to and including this day."),
]


def export_schema(summary: str, description: str):
    return extend_schema(
        summary=summary,
        description=description
        + " Streamed as text/csv (UTF-8 with a BOM), header first; staff only.",
        parameters=EXPORT_PARAMETERS,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
            400: OpenApiResponse(description="A malformed parameter, named."),
            403: OpenApiResponse(description="Athletes may not export."),
            404: OpenApiResponse(description="No such team or organisation."),
        },
    )


class CSVExportView(APIView):
    """GET streams `rows(user=, organisation=, filters=)` as a CSV file named after `what`."""

    renderer_classes = [renderers.JSONRenderer, CSVRenderer]
    what = ""

    def rows(self, **kwargs):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        organisation = staff_organisation(request)
        teams = teams_visible_to(request.user, organisation=organisation)
        try:
            filters = export_filters(request.query_params, teams=teams)
        except ExportParamError as error:
            raise serializers.ValidationError({error.param: [error.message]}) from None
        lines = self.rows(user=request.user, organisation=organisation, filters=filters)
        return csv_response(lines, filename=export_filename(organisation, self.what, filters))
