"""REST endpoints for organisations, teams and athletes.

Every queryset comes from athletes.selectors: an object the requester cannot see is a 404; one
they can see but not change is a 403 on any write. Writes go through athletes.services.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from athletes.models import Membership, Role, Team
from athletes.selectors import (
    athletes_visible_to,
    athletes_writable_by,
    memberships_of,
    organisations_visible_to,
    role_in,
    teams_visible_to,
    teams_writable_by,
)
from athletes.services import athlete_archive, athlete_invite, athlete_restore, team_delete
from config.api_errors import ErrorFormatMixin
from config.idempotency import IdempotencyMixin

from .filters import AthleteFilter, TeamFilter
from .serializers import (
    AthleteInviteSerializer,
    AthleteSerializer,
    OrganisationSerializer,
    TeamSerializer,
    api_errors,
)

# The spellings django-filter's BooleanFilter understands.
TRUE_VALUES = {"true", "1"}
BOOLEAN_VALUES = TRUE_VALUES | {"false", "0"}


def ordering_parameter(*fields: str) -> OpenApiParameter:
    """The `ordering` query parameter with its allowed values (a leading `-` reverses)."""
    return OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=[value for field in fields for value in (field, f"-{field}")],
        description="Sort by this field; a leading `-` reverses the order.",
    )


class ScopedViewSetMixin(IdempotencyMixin, ErrorFormatMixin):
    """Reads come from a scoped queryset, so an object out of scope is a 404. A write also needs
    `can_write(obj)`, so an object the requester sees but may not change is a 403. Every POST
    honours an Idempotency-Key; errors have the one format (config/api_errors.py)."""

    write_denied = "You may not change this."
    create_denied = "Only the club's staff may add this."

    def can_write(self, obj) -> bool:
        raise NotImplementedError

    def get_object(self):
        obj = super().get_object()
        if self.request.method not in SAFE_METHODS and not self.can_write(obj):
            raise PermissionDenied(self.write_denied)
        return obj

    def require_staff_somewhere(self) -> None:
        """Someone who is staff nowhere (an athlete) cannot create anything: 403, not 400."""
        if not any(m.is_staff_role for m in memberships_of(self.request.user)):
            raise PermissionDenied(self.create_denied)


@extend_schema_view(
    list=extend_schema(
        summary="Organisations the requester belongs to, with their role",
        parameters=[ordering_parameter("name")],
    ),
    retrieve=extend_schema(summary="One organisation"),
    partial_update=extend_schema(summary="Rename an organisation (head coach only)"),
)
class OrganisationViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The organisations (clubs) the requester is a member of. The head coach may rename one."""

    serializer_class = OrganisationSerializer
    http_method_names = ["get", "patch", "head", "options"]
    search_fields = ["name"]
    ordering_fields = ["name"]
    write_denied = "Only the head coach may rename the organisation."

    def get_queryset(self):
        return organisations_visible_to(self.request.user)

    def can_write(self, organisation) -> bool:
        return role_in(self.request.user, organisation.id) == Role.OWNER


@extend_schema_view(
    list=extend_schema(
        summary="Teams the requester may see", parameters=[ordering_parameter("name")]
    ),
    retrieve=extend_schema(summary="One team"),
    create=extend_schema(summary="Add a team (head coach only)"),
    update=extend_schema(summary="Change a team (head coach only)"),
    partial_update=extend_schema(summary="Change a team (head coach only)"),
    destroy=extend_schema(
        summary="Delete a team (head coach only)",
        description="The team's athletes stay in the organisation; they just leave the team. "
        "Programs and baselines given to the team as a whole are deleted with it.",
    ),
)
class TeamViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Teams: owners and physios see all of their club's, coaches the teams they coach, athletes
    the teams they are on. Only the head coach adds, changes or deletes teams."""

    serializer_class = TeamSerializer
    filterset_class = TeamFilter
    search_fields = ["name"]
    ordering_fields = ["name"]
    ordering = ["name", "id"]
    write_denied = "Only the head coach may change teams."
    create_denied = "Only the head coach may add teams."

    def get_queryset(self):
        coaches = Membership.objects.filter(role=Role.COACH).only("id", "user_id").order_by("user")
        return (
            teams_visible_to(self.request.user)
            .annotate(
                athlete_count=Count(
                    "athletes", filter=Q(athletes__archived_at__isnull=True), distinct=True
                )
            )
            .prefetch_related(Prefetch("coach_memberships", queryset=coaches))
        )

    def can_write(self, team: Team) -> bool:
        return teams_writable_by(self.request.user).filter(pk=team.pk).exists()

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, team: Team) -> None:
        with api_errors():
            team_delete(team=team, deleted_by=self.request.user)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").strip().lower() in TRUE_VALUES


@extend_schema_view(
    list=extend_schema(
        summary="Athletes the requester may see",
        description="Active athletes only, unless `include_archived=true` (or `archived`) is "
        "given. `medical_notes` is present only for physios and the head coach.",
        parameters=[
            OpenApiParameter(
                "include_archived",
                OpenApiTypes.BOOL,
                description="Also list archived athletes.",
            ),
            ordering_parameter("last_name", "first_name", "date_of_birth", "created_at"),
        ],
    ),
    retrieve=extend_schema(summary="One athlete (archived ones too)"),
    create=extend_schema(summary="Add an athlete (staff of the organisation)"),
    update=extend_schema(summary="Change an athlete (coaches of the athlete, physios, owner)"),
    partial_update=extend_schema(
        summary="Change an athlete (coaches of the athlete, physios, owner)"
    ),
    destroy=extend_schema(
        summary="Archive an athlete",
        description="Hides the athlete from active lists; their history stays. "
        "`POST .../restore/` undoes it.",
    ),
)
class AthleteViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Athletes: owners and physios see their whole club, coaches the athletes of the teams they
    coach, an athlete only themself. Staff who see an athlete may change them (athletes may not);
    only physios and the head coach see or write `medical_notes`."""

    serializer_class = AthleteSerializer
    filterset_class = AthleteFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at"]
    ordering = ["last_name", "first_name", "id"]
    write_denied = "You may not change this athlete."
    create_denied = "Only the club's staff may add athletes."

    def get_queryset(self):
        include_archived = (
            self.action != "list"
            or _flag(self.request, "include_archived")
            or self.request.query_params.get("archived", "").lower() in BOOLEAN_VALUES
        )
        return athletes_visible_to(
            self.request.user, include_archived=include_archived
        ).prefetch_related(Prefetch("teams", queryset=Team.objects.only("id")))

    def can_write(self, athlete) -> bool:
        return athletes_writable_by(self.request.user).filter(pk=athlete.pk).exists()

    def create(self, request: Request, *args, **kwargs) -> Response:
        self.require_staff_somewhere()
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, athlete) -> None:
        athlete_archive(athlete=athlete, archived_by=self.request.user)

    @extend_schema(summary="Restore an archived athlete", request=None, responses=AthleteSerializer)
    @action(detail=True, methods=["post"])
    def restore(self, request: Request, pk=None) -> Response:
        athlete = athlete_restore(athlete=self.get_object(), restored_by=request.user)
        return Response(self.get_serializer(athlete).data)

    @extend_schema(
        summary="Invite the athlete to log in",
        description="Creates their login (if needed) and emails them a link to set a password.",
        request=AthleteInviteSerializer,
        responses={202: AthleteInviteSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=AthleteInviteSerializer)
    def invite(self, request: Request, pk=None) -> Response:
        athlete = self.get_object()
        serializer = AthleteInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with api_errors():
            user = athlete_invite(
                athlete=athlete,
                invited_by=request.user,
                email=serializer.validated_data.get("email", ""),
            )
        return Response({"email": user.email}, status=status.HTTP_202_ACCEPTED)
