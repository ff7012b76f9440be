"""Evaluating results against baselines: thresholds, norms by age and sex, LSI, side difference."""

from decimal import Decimal as D

import pytest

from assessments.evaluation import NormRow, Person, Rule, TestSpec, change_note, evaluate, lsi

HEEL_RISE = TestSpec(unit="reps", per_side=True, measurement_error=D(6))
NORMS = tuple(
    NormRow(sex, low, high, D(value))
    for sex, low, high, value in [
        ("male", 20, 29, 37),
        ("female", 20, 29, 30),
        ("male", 30, 39, 32),
        ("female", 30, 39, 27),
        ("male", 80, None, 10),
        ("female", 80, None, 13),
    ]
)


def test_threshold_per_side_names_the_failing_side():
    result = evaluate(
        test=HEEL_RISE,
        rules=[Rule("threshold", "gte", D(25))],
        values={"left": D(22), "right": D(28)},
        person=Person("male", 34),
    )

    assert result.passed is False
    assert result.reasons == ["left 22 reps < 25"]
    assert result.notes == ["right 28 reps ≥ 25"]


@pytest.mark.parametrize(
    ("sex", "age", "reason"),
    [
        ("male", 34, "left 22 reps < 32 for men 30–39"),
        ("female", 25, "left 22 reps < 30 for women 20–29"),
        ("female", 85, None),
    ],
)
def test_norm_lookup_by_age_and_sex(sex, age, reason):
    result = evaluate(
        test=HEEL_RISE,
        rules=[Rule("norm", norms=NORMS)],
        values={"left": D(22), "right": D(40)},
        person=Person(sex, age),
    )

    if reason:
        assert result.reasons == [reason]
    else:
        assert result.passed is True
        assert result.notes[0] == "left 22 reps ≥ 13 for women 80+"


def test_no_norm_for_the_age_is_a_note_not_a_fail():
    result = evaluate(
        test=HEEL_RISE,
        rules=[Rule("norm", norms=NORMS)],
        values={"left": D(22), "right": D(40)},
        person=Person("male", 17),
    )

    assert result.passed is None
    assert result.notes == ["No norm for men aged 17: norm not checked."]


def test_lsi_below_ninety_fails_with_the_percentage():
    result = evaluate(
        test=HEEL_RISE,
        rules=[Rule("lsi", value=D(90))],
        values={"left": D(21), "right": D(25)},
        person=Person(),
    )

    assert result.reasons == ["LSI 84 % < 90 %"]


def test_lsi_of_a_timed_test_uses_the_inverse():
    timed = TestSpec(unit="s", per_side=True, higher_is_better=False, decimals=2)

    assert lsi(D("2.50"), D("2.00"), higher_is_better=False) == D("80.0")
    result = evaluate(
        test=timed,
        rules=[Rule("lsi", value=D(90))],
        values={"left": D("2.50"), "right": D("2.00")},
        person=Person(),
    )
    assert result.reasons == ["LSI 80 % < 90 %"]


def test_side_difference_rule():
    knee_to_wall = TestSpec(unit="cm", per_side=True, decimals=1)
    rules = [Rule("threshold", "gte", D(10)), Rule("side_difference", "lte", D(2))]

    result = evaluate(
        test=knee_to_wall,
        rules=rules,
        values={"left": D("9.5"), "right": D("12.0")},
        person=Person(),
    )

    assert result.reasons == ["left 9.5 cm < 10.0", "side difference 2.5 cm > 2.0 cm"]


def test_bilateral_test_has_no_side_label():
    ankling = TestSpec(unit="reps", per_side=False)

    result = evaluate(
        test=ankling,
        rules=[Rule("threshold", "gte", D(300))],
        values={"both": D(240)},
        person=Person(),
    )

    assert result.reasons == ["240 reps < 300"]


def test_change_smaller_than_the_measurement_error_is_reported_as_such():
    note = change_note(
        test=HEEL_RISE,
        before={"left": D(22), "right": D(30)},
        after={"left": D(27), "right": D(38)},
    )

    assert note == (
        "Change since the flagged result: left +5 reps (within the measurement error of ±6: "
        "no real change), right +8 reps."
    )
