from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from athletes.models import Organisation, User


class Category(models.TextChoices):
    STRENGTH = "strength", "Strength"
    ENDURANCE = "endurance", "Endurance"
    PLYOMETRIC = "plyometric", "Plyometric"
    MOBILITY = "mobility", "Mobility"
    BALANCE = "balance", "Balance"


class Muscle(models.TextChoices):
    GASTROCNEMIUS = "gastrocnemius", "Gastrocnemius"
    SOLEUS = "soleus", "Soleus"
    TIBIALIS_ANTERIOR = "tibialis_anterior", "Tibialis anterior"
    TIBIALIS_POSTERIOR = "tibialis_posterior", "Tibialis posterior"
    PERONEALS = "peroneals", "Peroneals"
    FOOT_INTRINSICS = "foot_intrinsics", "Foot intrinsics"
    QUADRICEPS = "quadriceps", "Quadriceps"
    HAMSTRINGS = "hamstrings", "Hamstrings"
    GLUTES = "glutes", "Glutes"
    HIP_ABDUCTORS = "hip_abductors", "Hip abductors"
    CORE = "core", "Core"


class Equipment(models.TextChoices):
    NONE = "none", "None"
    STEP = "step", "Step"
    BOX = "box", "Box"
    DUMBBELL = "dumbbell", "Dumbbell"
    BARBELL = "barbell", "Barbell"
    MACHINE = "machine", "Machine"
    RESISTANCE_BAND = "resistance_band", "Resistance band"
    JUMP_ROPE = "jump_rope", "Jump rope"
    CUSHION = "cushion", "Balance cushion"
    WALL = "wall", "Wall"
    WEIGHT_PLATE = "weight_plate", "Weight plate"


class Measurement(models.TextChoices):
    """How a set of the exercise is counted."""

    REPS = "reps", "Reps"
    SECONDS = "seconds", "Seconds"
    CONTACTS = "contacts", "Foot contacts"
    METRES = "metres", "Metres"


class ExerciseQuerySet(models.QuerySet):
    def search(self, *, q: str = "", category: str = "", muscle: str = "", equipment: str = ""):
        exercises = self
        if q:
            exercises = exercises.filter(name__icontains=q.strip())
        if category:
            exercises = exercises.filter(category=category)
        if muscle:
            exercises = exercises.filter(muscles__contains=[muscle])
        if equipment:
            exercises = exercises.filter(equipment__contains=[equipment])
        return exercises


class Exercise(models.Model):
    """An exercise of the library: global (shipped with Baseline) or an organisation's own."""

    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exercises",
        help_text="Empty for the global library shipped with Baseline.",
    )
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    cues = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    category = models.CharField(max_length=12, choices=Category.choices)
    muscles = ArrayField(
        models.CharField(max_length=20, choices=Muscle.choices), default=list, blank=True
    )
    equipment = ArrayField(
        models.CharField(max_length=20, choices=Equipment.choices), default=list, blank=True
    )
    measurement = models.CharField(max_length=10, choices=Measurement.choices)
    per_side = models.BooleanField(default=False, help_text="Done one side at a time.")
    source = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(organisation__isnull=True),
                name="global_exercise_slug_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="exercise_slug_unique_in_organisation"
            ),
            models.UniqueConstraint(
                "organisation",
                Lower("name"),
                name="exercise_name_unique_in_organisation",
                violation_error_message="The club's library already has an exercise of this name.",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=Category.values), name="exercise_category_known"
            ),
            models.CheckConstraint(
                condition=models.Q(measurement__in=Measurement.values),
                name="exercise_measurement_known",
            ),
        ]
        indexes = [models.Index(fields=["organisation", "category"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_global(self) -> bool:
        return self.organisation_id is None


# --- Program templates ---------------------------------------------------------------------------


class LoadType(models.TextChoices):
    NONE = "none", "No load"
    KG = "kg", "kg"
    PERCENT_BODY_MASS = "percent_bm", "% body mass"
    BODYWEIGHT = "bodyweight", "Bodyweight"


class ProgramTemplate(models.Model):
    """A coach's program: sessions of prescribed exercises over a number of weeks.

    Assigning a program copies its sessions into the athlete's schedule, so later edits to the
    template (each bumps `version`) never change what athletes already have.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="program_templates"
    )
    name = models.CharField(max_length=120)
    goal = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    weeks = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    rotation_weeks = models.PositiveSmallIntegerField(
        default=1,
        help_text="1: every week has the same sessions. 2: week 1 and week 2 sessions alternate.",
    )
    version = models.PositiveIntegerField(default=1)
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies"
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weeks__gte=1, weeks__lte=52), name="program_weeks_1_to_52"
            ),
            models.CheckConstraint(
                condition=models.Q(rotation_weeks__gte=1, rotation_weeks__lte=8),
                name="program_rotation_1_to_8",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateSession(models.Model):
    """One workout of a program. `rotation_week` places it in a week-to-week rotation."""

    template = models.ForeignKey(ProgramTemplate, on_delete=models.CASCADE, related_name="sessions")
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(default=0)
    rotation_week = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: every week. 1, 2, …: that week of the rotation."
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Progression(models.TextChoices):
    NONE = "none", "No progression"
    ADD_LOAD = "add_load", "Add load"
    ADD_SET = "add_set", "Add a set"
    STEPS = "steps", "Next step (rep range, sets, tempo)"


class Prescription(models.Model):
    """An exercise within a session: sets × a target in the exercise's unit, load, tempo, rest."""

    session = models.ForeignKey(
        TemplateSession, on_delete=models.CASCADE, related_name="prescriptions"
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    sets = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    target_min = models.PositiveIntegerField(help_text="Reps, seconds, contacts or metres.")
    target_max = models.PositiveIntegerField(null=True, blank=True, help_text="For a range: 10–12")
    load_type = models.CharField(max_length=12, choices=LoadType.choices, default=LoadType.NONE)
    load_value = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    tempo = models.CharField(max_length=20, blank=True, help_text="e.g. 3-0-1: a 3 s eccentric")
    rest_seconds = models.PositiveIntegerField(null=True, blank=True)
    per_side = models.BooleanField(default=False)
    notes = models.CharField(max_length=300, blank=True)
    progression = models.CharField(
        max_length=10, choices=Progression.choices, default=Progression.NONE
    )
    progression_every_weeks = models.PositiveSmallIntegerField(default=2)
    progression_load_step = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True
    )
    progression_max_sets = models.PositiveSmallIntegerField(null=True, blank=True)
    progression_steps = models.JSONField(
        default=list,
        blank=True,
        help_text='Later levels, e.g. [{"sets": 3, "target_min": 12, "target_max": 15}, '
        '{"tempo": "3-0-3"}]; each adds to the one before.',
    )

    class Meta:
        ordering = ["session", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sets__gte=1, sets__lte=20), name="prescription_sets_1_to_20"
            ),
            models.CheckConstraint(
                condition=models.Q(target_max__isnull=True)
                | models.Q(target_max__gte=models.F("target_min")),
                name="prescription_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(progression_every_weeks__gte=1),
                name="prescription_progression_every_week_or_more",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} {self.sets}×{self.target_min}"


# --- Assignments and the schedule ----------------------------------------------------------------


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class TeamAssignment(models.Model):
    """A program given to a whole team; athletes who join the team later get it too."""

    template = models.ForeignKey(ProgramTemplate, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "athletes.Team", on_delete=models.CASCADE, related_name="program_assignments"
    )
    start_date = models.DateField()
    sessions_per_week = models.PositiveSmallIntegerField(default=2)
    weekdays = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    min_gap_hours = models.PositiveSmallIntegerField(default=48)
    status = models.CharField(
        max_length=8, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.template} → {self.team}"


class Assignment(models.Model):
    """A program given to one athlete, from a start date, as concrete scheduled sessions."""

    athlete = models.ForeignKey(
        "athletes.Athlete", on_delete=models.CASCADE, related_name="assignments"
    )
    template = models.ForeignKey(
        ProgramTemplate, on_delete=models.PROTECT, related_name="assignments"
    )
    template_version = models.PositiveIntegerField()
    team_assignment = models.ForeignKey(
        TeamAssignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignments"
    )
    start_date = models.DateField()
    sessions_per_week = models.PositiveSmallIntegerField(default=2)
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(),
        default=list,
        blank=True,
        help_text="Preferred weekdays, 0 = Monday … 6 = Sunday; empty: any day.",
    )
    min_gap_hours = models.PositiveSmallIntegerField(default=48)
    status = models.CharField(
        max_length=8, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    reason = models.CharField(max_length=200, blank=True, help_text="Why it was assigned.")
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sessions_per_week__gte=1, sessions_per_week__lte=7),
                name="assignment_sessions_per_week_1_to_7",
            ),
            models.CheckConstraint(
                condition=models.Q(min_gap_hours__lte=168), name="assignment_gap_at_most_a_week"
            ),
        ]
        indexes = [models.Index(fields=["athlete", "status"])]

    def __str__(self) -> str:
        return f"{self.template} for {self.athlete}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    SKIPPED = "skipped", "Skipped"
    ON_HOLD = "on_hold", "On hold (assignment paused)"
    CANCELLED = "cancelled", "Cancelled (assignment ended)"


class ScheduledSession(models.Model):
    """A dated session of an athlete's assignment. `plan` is the template session as it was
    when assigned: exercises with their prescriptions, before progression is applied."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="sessions")
    athlete = models.ForeignKey(
        "athletes.Athlete", on_delete=models.CASCADE, related_name="scheduled_sessions"
    )
    sequence = models.PositiveSmallIntegerField(help_text="1 for the first session, 2 …")
    week = models.PositiveSmallIntegerField(help_text="Week of the program, from 1.")
    date = models.DateField()
    name = models.CharField(max_length=120)
    plan = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completion_uuid = models.UUIDField(null=True, blank=True)
    session_rpe = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(600)]
    )
    pain = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    notes = models.TextField(blank=True)
    completed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "sequence"], name="one_session_per_assignment_sequence"
            ),
            models.CheckConstraint(
                condition=models.Q(session_rpe__isnull=True)
                | models.Q(session_rpe__gte=0, session_rpe__lte=10),
                name="session_rpe_0_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(pain__isnull=True) | models.Q(pain__lte=10),
                name="session_pain_0_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__isnull=True)
                | models.Q(duration_minutes__lte=600),
                name="session_duration_at_most_10_hours",
            ),
        ]
        indexes = [
            models.Index(fields=["athlete", "date"]),
            # A week of a whole club or team (dashboard, reports): a range of dates.
            models.Index(fields=["date"], name="session_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.date}"

    @property
    def session_load(self) -> float | None:
        """Session RPE × minutes (Foster's session load, arbitrary units)."""
        if self.session_rpe is None or self.duration_minutes is None:
            return None
        return float(self.session_rpe) * self.duration_minutes


# --- Logged sets ---------------------------------------------------------------------------------


class LoggedSet(models.Model):
    """One set an athlete did. `client_uuid` is made on the phone: a replay stores nothing new."""

    # No index of its own: the unique (athlete, client_uuid) and the (athlete, performed_at)
    # index both lead with it, and every set logged would keep a third one up to date.
    athlete = models.ForeignKey(
        "athletes.Athlete", on_delete=models.CASCADE, related_name="logged_sets", db_index=False
    )
    client_uuid = models.UUIDField()
    session = models.ForeignKey(
        ScheduledSession,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logged_sets",
        help_text="Empty for an ad hoc set.",
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    set_number = models.PositiveSmallIntegerField(default=1)
    side = models.CharField(
        max_length=5,
        blank=True,
        choices=[("left", "Left"), ("right", "Right"), ("both", "Both")],
    )
    reps = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1000)])
    seconds = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(7200)]
    )
    contacts = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(2000)]
    )
    metres = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10000)]
    )
    load_type = models.CharField(max_length=12, choices=LoadType.choices, default=LoadType.NONE)
    load_value = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    rpe = models.DecimalField(
        "RPE (CR-10)",
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    pain = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="0–10", validators=[MaxValueValidator(10)]
    )
    notes = models.CharField(max_length=500, blank=True)
    rep_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Seconds per rep from the prescribed tempo, if any."
    )
    performed_at = models.DateTimeField()
    logged_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    fingerprint = models.CharField(max_length=64, help_text="Hash of what was sent.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["performed_at", "set_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["athlete", "client_uuid"], name="logged_set_client_uuid_once_per_athlete"
            ),
            models.CheckConstraint(
                condition=models.Q(reps__isnull=False)
                | models.Q(seconds__isnull=False)
                | models.Q(contacts__isnull=False)
                | models.Q(metres__isnull=False),
                name="logged_set_has_a_measure",
            ),
            models.CheckConstraint(
                condition=models.Q(reps__isnull=True) | models.Q(reps__lte=1000),
                name="logged_set_reps_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(seconds__isnull=True) | models.Q(seconds__lte=7200),
                name="logged_set_seconds_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(contacts__isnull=True) | models.Q(contacts__lte=2000),
                name="logged_set_contacts_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(metres__isnull=True) | models.Q(metres__lte=10000),
                name="logged_set_metres_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(rpe__isnull=True) | models.Q(rpe__gte=0, rpe__lte=10),
                name="logged_set_rpe_0_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(pain__isnull=True) | models.Q(pain__lte=10),
                name="logged_set_pain_0_to_10",
            ),
        ]
        indexes = [
            models.Index(fields=["athlete", "performed_at"]),
            # A week of a whole club or team (dashboard, reports): a range of timestamps.
            models.Index(fields=["performed_at"], name="logged_set_performed_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} set {self.set_number}"
