from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email=normalize_email(email))

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in, with their email address. Roles come from memberships."""

    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log into the Django admin site.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Role(models.TextChoices):
    OWNER = "owner", "Head coach (owner)"
    COACH = "coach", "Coach"
    PHYSIO = "physio", "Physio"
    ATHLETE = "athlete", "Athlete"


STAFF_ROLES = (Role.OWNER, Role.COACH, Role.PHYSIO)
MEDICAL_ROLES = (Role.OWNER, Role.PHYSIO)


class Organisation(models.Model):
    """A club: it has teams, staff and athletes. Everything else belongs to one."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    sport = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("name"),
                name="team_name_unique_in_organisation",
                violation_error_message="The club already has a team with this name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FlagEmail(models.TextChoices):
    IMMEDIATE = "immediate", "At once"
    DAILY = "daily", "In a daily digest"
    OFF = "off", "Never (in-app inbox only)"


class Membership(models.Model):
    """A user's place in an organisation: their role, and for coaches the teams they coach."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    teams = models.ManyToManyField(Team, blank=True, related_name="coach_memberships")
    flag_email = models.CharField(
        "email me about flags",
        max_length=10,
        choices=FlagEmail.choices,
        default=FlagEmail.IMMEDIATE,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="one_membership_per_organisation"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def sees_medical(self) -> bool:
        return self.role in MEDICAL_ROLES


class Sex(models.TextChoices):
    MALE = "male", "Male"
    FEMALE = "female", "Female"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both (no preference)"


class AthleteQuerySet(models.QuerySet):
    def active(self):
        return self.filter(archived_at__isnull=True)


class Athlete(models.Model):
    """A person who trains. May exist without a login until they accept an invite."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="athletes"
    )
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="athlete_profiles"
    )
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    email = models.EmailField(blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=6, choices=Sex.choices, blank=True)
    sport = models.CharField(max_length=60, blank=True)
    position = models.CharField(max_length=60, blank=True)
    dominant_side = models.CharField(max_length=5, choices=Side.choices, blank=True)
    body_mass_kg = models.DecimalField(
        "body mass (kg)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    notes = models.TextField(blank=True, help_text="Seen by every coach of the athlete.")
    medical_notes = models.TextField(
        blank=True, help_text="Seen and written only by physios and the head coach."
    )
    teams = models.ManyToManyField(Team, blank=True, related_name="athletes")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    rules_changed_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the teams, date of birth or sex that choose the athlete's baselines and "
        "norms last changed; results evaluated before it are evaluated again.",
    )

    objects = AthleteQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=~models.Q(email=""),
                name="athlete_email_unique_in_organisation",
                violation_error_message=(
                    "Another athlete of the club already uses this email address."
                ),
            ),
            models.UniqueConstraint(
                fields=["organisation", "user"],
                name="one_athlete_profile_per_user_and_organisation",
            ),
            models.CheckConstraint(
                condition=models.Q(body_mass_kg__isnull=True)
                | models.Q(body_mass_kg__gte=20, body_mass_kg__lte=300),
                name="athlete_body_mass_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(sex__in=["", *Sex.values]), name="athlete_sex_known"
            ),
            models.CheckConstraint(
                condition=models.Q(dominant_side__in=["", *Side.values]),
                name="athlete_dominant_side_known",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "archived_at"])]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def age_on(self, day) -> int | None:
        if not self.date_of_birth:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        self.email = normalize_email(self.email)
        errors = {}
        if self.body_mass_kg is not None and not 20 <= self.body_mass_kg <= 300:
            errors["body_mass_kg"] = "Body mass must be between 20 and 300 kg."
        if self.date_of_birth:
            today = timezone.localdate()
            if self.date_of_birth > today:
                errors["date_of_birth"] = "Date of birth cannot be in the future."
            elif today.year - self.date_of_birth.year > 110:
                errors["date_of_birth"] = "Date of birth is more than 110 years ago."
        if errors:
            raise ValidationError(errors)
from .models_idempotency import IdempotencyRecord  # noqa: E402,F401
from .models_tokens import ApiToken  # noqa: E402,F401
