"""Tests (the catalogue), baselines (rules), results, test days, flags and protocol rules."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from athletes.models import Athlete, Organisation, Team, User


class Combine(models.TextChoices):
    BEST = "best", "Best trial"
    MEAN = "mean", "Mean of trials"


class Test(models.Model):
    """A test of the catalogue: global (shipped) or an organisation's own."""

    __test__ = False  # not a pytest test class

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="tests"
    )
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    protocol = models.TextField(help_text="How to run the test, as the tester reads it.")
    unit = models.CharField(max_length=20, help_text="reps, cm, s, m, × BW, J …")
    per_side = models.BooleanField(default=True)
    trials = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    combine = models.CharField(max_length=4, choices=Combine.choices, default=Combine.BEST)
    higher_is_better = models.BooleanField(default=True)
    plausible_min = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    plausible_max = models.DecimalField(max_digits=9, decimal_places=2)
    decimals = models.PositiveSmallIntegerField(default=0)
    measurement_error = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Changes smaller than this are not real change.",
    )
    citation = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=Q(organisation__isnull=True), name="global_test_slug"
            ),
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="test_slug_unique_in_organisation"
            ),
            models.CheckConstraint(
                condition=Q(plausible_max__gt=models.F("plausible_min")),
                name="test_plausible_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def sides(self) -> list[str]:
        return ["left", "right"] if self.per_side else ["both"]


class RuleKind(models.TextChoices):
    THRESHOLD = "threshold", "Threshold"
    NORM = "norm", "Age and sex norm"
    LSI = "lsi", "Limb symmetry index (%)"
    SIDE_DIFFERENCE = "side_difference", "Side difference"


class Comparator(models.TextChoices):
    GTE = "gte", "at least (≥)"
    LTE = "lte", "at most (≤)"


class Baseline(models.Model):
    """A rule a result must meet. Global rules ship with the catalogue; an organisation, or one
    of its teams, overrides a rule of the same kind (and may switch it off with active=False).
    """

    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="baselines")
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="baselines"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="baselines"
    )
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    comparator = models.CharField(max_length=3, choices=Comparator.choices, default=Comparator.GTE)
    value = models.DecimalField(
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Threshold; LSI % (e.g. 90); largest allowed side difference.",
    )
    active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["test", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["test", "kind"],
                condition=Q(organisation__isnull=True, team__isnull=True),
                name="one_global_rule_per_kind",
            ),
            models.UniqueConstraint(
                fields=["test", "kind", "organisation"],
                condition=Q(organisation__isnull=False, team__isnull=True),
                name="one_organisation_rule_per_kind",
            ),
            models.UniqueConstraint(
                fields=["test", "kind", "team"],
                condition=Q(team__isnull=False),
                name="one_team_rule_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(team__isnull=True) | Q(organisation__isnull=False),
                name="team_rule_names_its_organisation",
            ),
            models.CheckConstraint(
                condition=Q(kind="norm") | Q(value__isnull=False) | Q(active=False),
                name="rule_has_a_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test}: {self.get_kind_display()}"

    @property
    def scope(self) -> str:
        return "team" if self.team_id else "organisation" if self.organisation_id else "global"


class Norm(models.Model):
    """One row of a norm table: the expected value for a sex and an age band."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="norms")
    sex = models.CharField(max_length=6, choices=[("male", "Men"), ("female", "Women")])
    age_min = models.PositiveSmallIntegerField()
    age_max = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: and over")
    value = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["baseline", "sex", "age_min"]

    def __str__(self) -> str:
        upper = f"–{self.age_max}" if self.age_max is not None else "+"
        return f"{self.sex} {self.age_min}{upper}: {self.value}"


class TestDay(models.Model):
    """A team tested together on one day, entered on a grid."""

    __test__ = False

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    test = models.ForeignKey(Test, on_delete=models.PROTECT, related_name="test_days")
    date = models.DateField()
    notes = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.test} · {self.team or 'club'} · {self.date}"


class Result(models.Model):
    """One athlete's result on a test: the trials per side and their combined values."""

    athlete = models.ForeignKey(Athlete, on_delete=models.CASCADE, related_name="results")
    test = models.ForeignKey(Test, on_delete=models.PROTECT, related_name="results")
    test_day = models.ForeignKey(
        TestDay, null=True, blank=True, on_delete=models.SET_NULL, related_name="results"
    )
    client_uuid = models.UUIDField(null=True, blank=True)
    date = models.DateField()
    trials = models.JSONField(help_text='{"left": [22, 24], "right": [28]} or {"both": [310]}')
    left = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    right = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    both = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    lsi = models.DecimalField("LSI (%)", max_digits=6, decimal_places=1, null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    # The evaluation, written by the worker.
    passed = models.BooleanField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["athlete", "client_uuid"],
                condition=Q(client_uuid__isnull=False),
                name="result_client_uuid_once_per_athlete",
            ),
        ]
        indexes = [
            models.Index(fields=["athlete", "test", "-date"]),
            models.Index(fields=["evaluated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.test} · {self.athlete} · {self.date}"


class FlagKind(models.TextChoices):
    BASELINE = "baseline", "Failed baseline"
    PAIN = "pain", "Pain"
    LOAD = "load", "Load spike"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ON_PROTOCOL = "on_protocol", "On protocol"
    RETEST_DUE = "retest_due", "Retest due"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


CLOSED = [FlagStatus.RESOLVED, FlagStatus.DISMISSED]


class Flag(models.Model):
    """An athlete who needs attention: a failed baseline, pain or a load spike, followed from
    open through the protocol and the retest to resolved (or dismissed with a reason)."""

    athlete = models.ForeignKey(Athlete, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=10, choices=FlagKind.choices)
    test = models.ForeignKey(Test, null=True, blank=True, on_delete=models.PROTECT)
    result = models.ForeignKey(
        Result, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags_raised"
    )
    status = models.CharField(max_length=12, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    reasons = models.JSONField(default=list)
    key = models.CharField(
        max_length=60, blank=True, help_text="What a pain or load flag is about, e.g. a week."
    )
    protocol = models.ForeignKey(
        "programs.Assignment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retest_due = models.DateField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        Result, null=True, blank=True, on_delete=models.SET_NULL, related_name="flags_resolved"
    )
    resolution = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Exactly once: one open baseline flag per athlete and test ...
            models.UniqueConstraint(
                fields=["athlete", "test"],
                condition=Q(kind="baseline") & ~Q(status__in=["resolved", "dismissed"]),
                name="one_open_baseline_flag_per_athlete_and_test",
            ),
            # ... and one pain or load flag per athlete and occasion.
            models.UniqueConstraint(
                fields=["athlete", "kind", "key"],
                condition=Q(kind__in=["pain", "load"]),
                name="one_flag_per_athlete_kind_and_occasion",
            ),
            models.CheckConstraint(
                condition=~Q(kind="baseline") | Q(test__isnull=False),
                name="baseline_flag_names_its_test",
            ),
        ]
        indexes = [models.Index(fields=["status", "retest_due"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.athlete} · {self.get_status_display()}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED


class FlagEvent(models.Model):
    """Every change of a flag: from which status to which, who (empty: the system), when, why."""

    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class ProtocolRule(models.Model):
    """An organisation's rule: failing this test puts the athlete on this program."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="protocol_rules"
    )
    test = models.ForeignKey(Test, on_delete=models.CASCADE, related_name="+")
    template = models.ForeignKey(
        "programs.ProgramTemplate", on_delete=models.PROTECT, related_name="+"
    )
    sessions_per_week = models.PositiveSmallIntegerField(default=2)
    weekdays = models.JSONField(default=list, blank=True)
    retest_after_days = models.PositiveSmallIntegerField(
        default=42, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "test"], name="one_protocol_rule_per_test"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.test} → {self.template}"
