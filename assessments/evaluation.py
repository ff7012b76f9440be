"""Comparing a result with its baselines: pure functions, no database.

An evaluation gives pass or fail and human reasons, e.g. "left 22 reps < 25" or
"LSI 84 % < 90 %". LSI (limb symmetry index) = the weaker side ÷ the stronger side × 100; for
tests where lower is better (timed hops) the faster time is the stronger side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

SEX_LABEL = {"male": "men", "female": "women"}


@dataclass(frozen=True)
class NormRow:
    sex: str
    age_min: int
    age_max: int | None
    value: Decimal


@dataclass(frozen=True)
class Rule:
    kind: str
    comparator: str = "gte"
    value: Decimal | None = None
    norms: tuple[NormRow, ...] = ()
    scope: str = "global"


@dataclass(frozen=True)
class TestSpec:
    __test__ = False  # not a pytest test class

    unit: str
    per_side: bool
    higher_is_better: bool = True
    decimals: int = 0
    measurement_error: Decimal | None = None


@dataclass(frozen=True)
class Person:
    sex: str = ""
    age: int | None = None


@dataclass
class Evaluation:
    passed: bool | None
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def fmt(value: Decimal | float | int, decimals: int = 0) -> str:
    quantum = Decimal(1).scaleb(-decimals)
    text = str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    return text


def combine(values: list, how: str, higher_is_better: bool = True) -> Decimal | None:
    numbers = [Decimal(str(v)) for v in values if v is not None and v != ""]
    if not numbers:
        return None
    if how == "mean":
        return sum(numbers) / len(numbers)
    return max(numbers) if higher_is_better else min(numbers)


def lsi(left: Decimal | None, right: Decimal | None, higher_is_better: bool = True):
    if left is None or right is None:
        return None
    weaker, stronger = sorted([left, right])
    if not higher_is_better:
        weaker, stronger = stronger, weaker  # the longer time is the weaker side
        if weaker == 0:
            return None
        return (stronger / weaker * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if stronger == 0:
        return None
    return (weaker / stronger * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _meets(value: Decimal, comparator: str, limit: Decimal) -> bool:
    return value >= limit if comparator == "gte" else value <= limit


def _symbol(comparator: str, met: bool) -> str:
    if comparator == "gte":
        return "≥" if met else "<"
    return "≤" if met else ">"


def norm_for(rule: Rule, person: Person) -> NormRow | None:
    for row in rule.norms:
        if row.sex != person.sex or person.age is None:
            continue
        if row.age_min <= person.age and (row.age_max is None or person.age <= row.age_max):
            return row
    return None


def _band(row: NormRow) -> str:
    ages = f"{row.age_min}–{row.age_max}" if row.age_max is not None else f"{row.age_min}+"
    return f"{SEX_LABEL.get(row.sex, row.sex)} {ages}"


def evaluate(
    *, test: TestSpec, rules: list[Rule], values: dict[str, Decimal | None], person: Person
) -> Evaluation:
    """`values` holds the combined value per side: {"left", "right"} or {"both"}."""
    sides = ["left", "right"] if test.per_side else ["both"]
    present = {s: values.get(s) for s in sides if values.get(s) is not None}
    result = Evaluation(passed=None)
    checked = False
    unit = test.unit
    for rule in rules:
        if rule.kind in ("threshold", "norm"):
            limit, suffix = rule.value, ""
            if rule.kind == "norm":
                row = norm_for(rule, person)
                if row is None:
                    who = f"{SEX_LABEL.get(person.sex, 'athletes')} aged {person.age}"
                    if person.age is None or not person.sex:
                        who = "an athlete without date of birth or sex"
                    result.notes.append(f"No norm for {who}: norm not checked.")
                    continue
                limit, suffix = row.value, f" for {_band(row)}"
            for side, value in present.items():
                checked = True
                met = _meets(value, rule.comparator, limit)
                label = "" if side == "both" else f"{side} "
                text = (
                    f"{label}{fmt(value, test.decimals)} {unit} "
                    f"{_symbol(rule.comparator, met)} {fmt(limit, test.decimals)}{suffix}"
                )
                (result.notes if met else result.reasons).append(text.strip())
        elif rule.kind == "lsi" and len(present) == 2:
            checked = True
            index = lsi(present["left"], present["right"], test.higher_is_better)
            if index is None:
                continue
            met = _meets(index, "gte", rule.value)
            text = f"LSI {fmt(index, 0)} % {_symbol('gte', met)} {fmt(rule.value, 0)} %"
            (result.notes if met else result.reasons).append(text)
        elif rule.kind == "side_difference" and len(present) == 2:
            checked = True
            difference = abs(present["left"] - present["right"])
            met = difference <= rule.value
            text = (
                f"side difference {fmt(difference, max(test.decimals, 1))} {unit} "
                f"{_symbol('lte', met)} {fmt(rule.value, max(test.decimals, 1))} {unit}"
            )
            (result.notes if met else result.reasons).append(text)
    if checked:
        result.passed = not result.reasons
    return result


def change_note(
    *, test: TestSpec, before: dict[str, Decimal | None], after: dict[str, Decimal | None]
) -> str:
    """How a retest compares with the result that raised the flag, against measurement error."""
    parts = []
    for side in ("left", "right", "both"):
        old, new = before.get(side), after.get(side)
        if old is None or new is None:
            continue
        delta = new - old
        sign = "+" if delta >= 0 else "−"
        label = "" if side == "both" else f"{side} "
        text = f"{label}{sign}{fmt(abs(delta), test.decimals)} {test.unit}"
        error = test.measurement_error
        if error is not None and abs(delta) < error:
            text += (
                f" (within the measurement error of ±{fmt(error, test.decimals)}: no real change)"
            )
        parts.append(text)
    return "Change since the flagged result: " + ", ".join(parts) + "." if parts else ""
