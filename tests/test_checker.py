"""The shared exercise-checker machinery (cnnlib/exercises/checker.py): it never raises,
and it says plainly what is wrong with an answer, whatever the learner's function does.

The toy exercise: double(x) -> 2 * x, with one named mistake (adding 2 instead).
"""
import numpy as np
import pytest

from cnnlib.exercises.checker import (
    DEFAULT_GENERAL_HINT,
    Case,
    Feedback,
    Mistake,
    check_function,
    select_cases,
)

CASES = [
    Case("a row", (np.array([1.0, -2.0, 3.0]),), np.array([2.0, -4.0, 6.0])),
    Case("a grid", (np.array([[0.5, 1.0], [-1.5, 4.0]]),), np.array([[1.0, 2.0], [-3.0, 8.0]])),
    Case("negatives", (np.array([-1.0, -5.0]),), np.array([-2.0, -10.0]), hidden=True),
]
PLUS_TWO = Mistake("added 2 instead of doubling", lambda x: x + 2, "doubling is x * 2, not x + 2.")
EXERCISE = "double(x)"


def check(function, mistakes=(PLUS_TWO,), **options):
    return check_function(function, CASES, mistakes, exercise=EXERCISE, **options)


def test_a_right_answer_passes_with_the_message_the_notebooks_print():
    feedback = check(lambda x: 2 * x)
    assert feedback.attempted and feedback.passed and feedback.mistake == ""
    assert str(feedback) == "All 3 cases pass (a row, a grid, negatives). Well done!"


def test_a_nested_list_of_the_right_numbers_is_accepted():
    assert check(lambda x: (2 * x).tolist()).passed


def test_a_stub_is_not_attempted_yet():
    def stub(x):
        raise NotImplementedError

    feedback = check(stub)
    assert not feedback.attempted and not feedback.passed
    assert str(feedback) == f"Not attempted yet: fill in {EXERCISE}, then run this cell again."


def test_not_implemented_on_a_later_case_names_it_and_the_cases_that_passed():
    def partial(x):
        if x.ndim == 2:
            raise NotImplementedError("2-D later")
        return 2 * x

    feedback = check(partial)
    text = str(feedback)
    assert feedback.attempted and not feedback.passed and feedback.case == "a grid"
    assert "Case 'a grid' (2 of 3)" in text and "raised NotImplementedError" in text
    assert "The 1 case before it passed ('a row')." in text


def test_any_exception_is_reported_with_its_case_and_the_cases_before_it():
    def crashes_on_negatives(x):
        if x.max() < 0:
            return {}["oops"]
        return 2 * x

    feedback = check(crashes_on_negatives)
    text = str(feedback)
    assert not feedback.passed and "Case 'negatives' (3 of 3)" in text and "raised KeyError" in text
    assert "The 2 cases before it passed ('a row', 'a grid')." in text


@pytest.mark.parametrize("function, words", [
    (lambda x: None, ["returned None", "print the result instead of returning it"]),
    (lambda x: print(2 * x), ["returned None", "print the result instead of returning it"]),
    (lambda x: (2 * x, 2 * x), ["returned a tuple of 2 items", "not (dx, dw, db)"]),
    (lambda x: (2 * x,), ["returned a tuple of 1 items"]),
    (lambda x: [[1.0, 2.0], [3.0]], ["ragged list"]),
    (lambda x: (2 * x).astype(complex), ["complex array", "even if every imaginary part is 0", ".real"]),
    (lambda x: np.fft.ifft(np.fft.fft(2 * x)) if x.ndim == 1 else 2 * x, ["complex array"]),
    (lambda x: (2 * x).astype(object), ["object array"]),
    (lambda x: 2 * x > 0, ["True/False"]),
    (lambda x: "2x", ["returned str", "not an array of numbers"]),
    (lambda x: float(np.sum(2 * x)), ["returned a single number", "shape (3,)"]),
])
def test_wrong_kinds_of_return_value_are_rejected_plainly_even_with_right_values(function, words, capsys):
    feedback = check(function)
    text = str(feedback)
    assert feedback.attempted and not feedback.passed, text
    assert text.startswith("Case 'a row' (1 of 3): double(x) ")
    assert feedback.problem and feedback.problem in text and feedback.mistake == ""
    for word in words:
        assert word in text, text


def test_a_wrong_answer_names_the_matching_mistake():
    feedback = check(lambda x: x + 2)
    assert feedback.mistake == PLUS_TWO.name and feedback.case == "a row"
    text = str(feedback)
    assert "wrong values" in text and "expected:" in text and "got:" in text
    assert f"This looks like: {PLUS_TWO.name}. Hint: {PLUS_TWO.hint}" in text
    assert DEFAULT_GENERAL_HINT not in text


def test_a_wrong_answer_no_mistake_matches_gets_the_general_hint():
    feedback = check(lambda x: 3 * x)
    assert feedback.mistake == "" and f"Hint: {DEFAULT_GENERAL_HINT}" in str(feedback)
    custom = check(lambda x: 3 * x, general_hint="multiply, then look at the signs.")
    assert str(custom).endswith("Hint: multiply, then look at the signs.")
    assert "Hint:" not in str(check(lambda x: 3 * x, general_hint=None))


def test_the_general_hint_disappears_once_a_checker_names_a_mistake_itself():
    feedback = check(lambda x: 3 * x)
    feedback.lines.append("This looks like: tripled. Hint: ...")
    feedback.mistake = "tripled"
    assert DEFAULT_GENERAL_HINT not in str(feedback)


def test_a_wrong_shape_is_reported_and_can_still_be_a_named_mistake():
    feedback = check(lambda x: 2 * x.ravel()[:1])
    assert "wrong shape, expected (3,), got (1,)" in str(feedback)
    shape_mistake = Mistake("kept one entry", lambda x: 2 * x.ravel()[:1], "all entries.")
    assert check(lambda x: 2 * x.ravel()[:1], mistakes=(shape_mistake,)).mistake == "kept one entry"


def test_a_function_that_mutates_its_input_is_told_so_and_can_fail_even_with_right_values():
    def doubles_in_place(x):
        x *= 2
        return x

    feedback = check(doubles_in_place, mutation="fail")
    text = str(feedback)
    assert not feedback.passed
    assert "changed its input `x` (argument 1) in place" in text
    assert "Its values are right" in text and feedback.problem == "changed its input"
    # By default (mutation="note") right values still pass, with the change named.
    noted = check(doubles_in_place)
    assert noted.passed and noted.problem == "changed its input"
    assert "changed its input `x` (argument 1) in place" in str(noted) and "fresh copies" in str(noted)
    with pytest.raises(ValueError, match="mutation must be"):
        check(doubles_in_place, mutation="ignore")  # a checker author's typo, not the learner's


def test_mistakes_are_named_from_untouched_copies_of_the_arguments():
    def zeroes_input_then_adds_two(x):
        result = x + 2
        x[...] = 0   # a mistake computed from this x would be 0 + 2
        return result

    feedback = check(zeroes_input_then_adds_two)
    assert feedback.mistake == PLUS_TWO.name, str(feedback)
    assert "changed its input `x`" in str(feedback)
    for case in CASES:  # the cases themselves are untouched
        assert not np.all(case.args[0] == 0)


def test_the_cases_are_never_changed_by_the_learner_or_the_mistakes():
    before = [case.args[0].copy() for case in CASES]

    def destroys(x):
        x[...] = np.nan
        return x

    greedy = Mistake("greedy", lambda x: x.__imul__(0), "")
    check(destroys, mistakes=(greedy,))
    check(lambda x: 3 * x, mistakes=(greedy,))
    for original, case in zip(before, CASES):
        np.testing.assert_array_equal(case.args[0], original)


def test_a_mistake_that_raises_matches_nothing_and_the_checker_does_not_raise():
    broken = Mistake("broken", lambda x: 1 / 0, "")
    feedback = check(lambda x: 3 * x, mistakes=(broken, PLUS_TWO))
    assert feedback.mistake == "" and not feedback.passed


def test_argument_names_fall_back_to_positions():
    def mutates(*args):
        args[0][0] = 99.0
        return 2 * args[0]

    assert "changed its input argument 1 in place" in str(check(mutates))


def test_never_raises_even_on_broken_cases():
    bad_case = [Case("broken expected", (np.ones(2),), object())]
    feedback = check_function(lambda x: x, bad_case)
    assert isinstance(feedback, Feedback) and not feedback.passed


def test_select_cases_still_splits_public_and_hidden():
    assert [c.name for c in select_cases(CASES, "public")] == ["a row", "a grid"]
    assert [c.name for c in select_cases(CASES, "hidden")] == ["negatives"]
    assert len(select_cases(CASES)) == 3
    with pytest.raises(ValueError, match="which must be"):
        select_cases(CASES, "some")


def test_feedback_keeps_its_positional_fields():
    feedback = Feedback(True, False, ["a line"], "a mistake")
    assert (feedback.attempted, feedback.passed, feedback.lines, feedback.mistake) == (True, False, ["a line"],
                                                                                        "a mistake")
    assert str(feedback) == "a line"
