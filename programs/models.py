from django.contrib.postgres.fields import ArrayField
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
                "organisation", Lower("name"), name="exercise_name_unique_in_organisation"
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
