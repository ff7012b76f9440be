"""What the assessment pages share: htmx detection, rules and results in words, and the
evaluation shown at once on a saved row (the worker's evaluation then drives the flag loop).

The pages themselves are split by feature: views_catalogue.py (tests and baselines),
views_results.py (an athlete's results, test days and their grid, the athlete's own results),
views_flags.py (the flag inbox, a flag's timeline, notification settings).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from athletes.models import Athlete

from .evaluation import Evaluation, Person, Rule, evaluate, fmt, norm_for
from .models import Baseline, Flag, FlagStatus, Result, RuleKind, Test
from .selectors import rules_for
from .services import spec_of

STATUS_BADGES = {
    FlagStatus.OPEN: "badge badge-fail",
    FlagStatus.ON_PROTOCOL: "badge badge-warn",
    FlagStatus.RETEST_DUE: "badge badge-fail",
    FlagStatus.RESOLVED: "badge badge-pass",
    FlagStatus.DISMISSED: "badge",
}
SCOPE_LABELS = {"global": "Global", "organisation": "Club"}


def is_htmx(request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def number(value, decimals: int | None = None) -> str:
    """A value as people write it: 300, 10.5, 1.75 (no trailing zeros unless `decimals`)."""
    if value is None:
        return "–"
    if decimals is not None:
        return fmt(value, decimals)
    text = format(Decimal(str(value)).normalize(), "f")
    return text


# --- rules in words -----------------------------------------------------------------------------


def rule_words(kind: str, comparator: str, value, test: Test, *, active: bool = True) -> str:
    """ "at least 300 reps", "LSI at least 90 %", "side difference at most 2 cm"."""
    if not active:
        return f"{RuleKind(kind).label} switched off"
    least = "at least" if comparator == "gte" else "at most"
    if kind == RuleKind.THRESHOLD:
        return f"{least} {number(value)} {test.unit}"
    if kind == RuleKind.NORM:
        return f"{least} the age and sex norm"
    if kind == RuleKind.LSI:
        return f"LSI at least {number(value)} %"
    return f"side difference at most {number(value)} {test.unit}"


def baseline_words(baseline: Baseline, test: Test) -> str:
    return rule_words(
        baseline.kind, baseline.comparator, baseline.value, test, active=baseline.active
    )


def club_rules(test: Test, baselines: list[Baseline]) -> list[Baseline]:
    """The rules in effect for the club as a whole: per kind the club's rule beats the global
    one; switched-off kinds are left out. `baselines` are the test's global and club rules."""
    chosen: dict[str, Baseline] = {}
    for baseline in baselines:
        if baseline.test_id != test.id or baseline.team_id is not None:
            continue
        current = chosen.get(baseline.kind)
        if current is None or (baseline.organisation_id and not current.organisation_id):
            chosen[baseline.kind] = baseline
    order = list(RuleKind.values)
    return sorted((b for b in chosen.values() if b.active), key=lambda b: order.index(b.kind))


def scope_label(baseline: Baseline) -> str:
    if baseline.team_id:
        return f"Team: {baseline.team.name}"
    return SCOPE_LABELS[baseline.scope]


def norm_table(baseline: Baseline) -> list[dict]:
    """Rows of a norm table by age band: {"ages": "20–29", "male": 37, "female": 30}."""
    bands: dict[tuple, dict] = {}
    for row in baseline.norms.all():
        key = (row.age_min, row.age_max)
        ages = f"{row.age_min}–{row.age_max}" if row.age_max is not None else f"{row.age_min}+"
        bands.setdefault(key, {"ages": ages})[row.sex] = number(row.value)
    return [bands[key] for key in sorted(bands, key=lambda k: (k[0], k[1] or 999))]


# --- results in words ---------------------------------------------------------------------------


def values_of(result: Result) -> dict[str, Decimal | None]:
    return {"left": result.left, "right": result.right, "both": result.both}


def values_text(test: Test, values: dict) -> str:
    """ "240 reps" or "left 22 · right 25 reps"."""
    if not test.per_side:
        return f"{number(values.get('both'), test.decimals)} {test.unit}"
    return (
        f"left {number(values.get('left'), test.decimals)} · "
        f"right {number(values.get('right'), test.decimals)} {test.unit}"
    )


def trials_text(test: Test, trials: dict) -> str:
    """Every trial typed: "left 22, 24 · right 28"."""
    parts = []
    for side in test.sides:
        values = ", ".join(number(v) for v in trials.get(side, []))
        parts.append(values if side == "both" else f"{side} {values}")
    return " · ".join(parts)


def evaluate_for_display(
    test: Test, athlete: Athlete, values: dict, day: datetime.date, *, baselines=None
) -> Evaluation:
    """Pass or fail at once, for the screen; pass the test's `baselines` (norms prefetched) and
    athletes with their teams prefetched so a page of rows runs no queries per row."""
    return evaluate(
        test=spec_of(test),
        rules=rules_for(test, athlete, baselines=baselines),
        values=values,
        person=Person(sex=athlete.sex, age=athlete.age_on(day)),
    )


def lower_first(name: str) -> str:
    if len(name) > 1 and name[1].isupper():
        return name  # an acronym: "LSI …"
    return name[:1].lower() + name[1:]


def _target_sentence(rule: Rule, test: Test, person: Person) -> str | None:
    unit = test.unit
    each = " on each side" if test.per_side else ""
    if rule.kind == RuleKind.THRESHOLD:
        more = "" if rule.comparator == "gte" else " or less"
        return f"The target is {number(rule.value)} {unit}{more}{each}."
    if rule.kind == RuleKind.NORM:
        row = norm_for(rule, person)
        if row is None:
            return None
        return f"The norm for your age and sex is {number(row.value)} {unit}{each}."
    if rule.kind == RuleKind.LSI:
        return (
            f"Your weaker side should reach at least {number(rule.value)} % of your stronger side."
        )
    return f"Your two sides should differ by no more than {number(rule.value)} {unit}."


def flag_in_words(flag: Flag, rules: list[Rule], person: Person) -> dict:
    """The athlete's flag in plain words: what they scored, the target, the protocol and the
    retest ("Your ankling test on 2 Nov: 240 reps. The target is 300 reps. …")."""
    words: dict = {"result": "", "targets": [], "protocol": None, "retest": ""}
    test, result = flag.test, flag.result
    if test is not None and result is not None:
        words["result"] = (
            f"Your {lower_first(test.name)} on {result.date:%-d %b}: "
            f"{values_text(test, values_of(result))}."
        )
        words["targets"] = [
            t for t in (_target_sentence(rule, test, person) for rule in rules) if t
        ]
    else:
        about = test.name if test is not None else flag.get_kind_display()
        words["result"] = f"{about}: {'; '.join(flag.reasons)}." if flag.reasons else about + "."
    if not words["targets"] and flag.reasons and test is not None:
        words["targets"] = [f"Below target: {'; '.join(flag.reasons)}."]
    if flag.protocol_id is not None:
        words["protocol"] = flag.protocol
    if flag.status == FlagStatus.RETEST_DUE and flag.retest_due:
        words["retest"] = f"Your retest is due now (since {flag.retest_due:%-d %b})."
    elif flag.retest_due:
        words["retest"] = f"Retest due {flag.retest_due:%-d %b}."
    return words
