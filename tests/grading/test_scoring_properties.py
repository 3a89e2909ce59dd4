"""Each scoring rule of app.grading.scoring, as properties over generated answers."""
from hypothesis import given
from hypothesis import strategies as st

from app.grading.scoring import (
    blank_credit,
    matching_parts,
    multiple_select_share,
    numeric_share,
    ordering_parts,
    ordering_share,
    text_credit,
)

option_sets = st.integers(min_value=2, max_value=10).flatmap(lambda n: st.tuples(
    st.just(n), st.sets(st.integers(0, n - 1), min_size=1), st.sets(st.integers(0, n - 1))))


@given(option_sets, st.sampled_from(["all_or_nothing", "partial", "right_minus_wrong"]))
def test_multiple_select_stays_between_nothing_and_full_marks(case, scoring):
    count, correct, chosen = case
    assert 0.0 <= multiple_select_share(chosen, correct, count, scoring) <= 1.0


@given(option_sets)
def test_all_or_nothing_is_full_only_for_the_exact_set(case):
    count, correct, chosen = case
    share = multiple_select_share(chosen, correct, count, "all_or_nothing")
    assert share == (1.0 if chosen == correct else 0.0)


@given(option_sets, st.sampled_from(["partial", "right_minus_wrong"]))
def test_partial_rules_are_full_for_the_exact_set_and_a_wrong_choice_never_helps(case, scoring):
    count, correct, chosen = case
    assert multiple_select_share(correct, correct, count, scoring) == 1.0
    wrong = set(range(count)) - correct - chosen
    if wrong:
        more = chosen | {min(wrong)}
        assert multiple_select_share(more, correct, count, scoring) <= multiple_select_share(
            chosen, correct, count, scoring)


@given(option_sets)
def test_partial_gives_each_right_choice_its_share_when_nothing_is_wrong(case):
    count, correct, _chosen = case
    picked = set(sorted(correct)[: len(correct) // 2 or 1])
    assert multiple_select_share(picked, correct, count, "partial") == len(picked) / len(correct)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(finite, finite, st.floats(min_value=0, max_value=1e3), st.sampled_from(["absolute", "relative"]))
def test_numeric_is_full_inside_the_tolerance_and_a_share_otherwise(value, correct, tolerance, kind):
    share = numeric_share(value, correct, tolerance, kind, None)
    allowed = tolerance * abs(correct) if kind == "relative" else tolerance
    assert share in (0.0, 1.0)
    if abs(value - correct) <= allowed:
        assert share == 1.0
    if abs(value - correct) > allowed * 1.01 + 1e-3 * max(1.0, abs(correct)):
        assert share == 0.0


@given(finite, finite, st.floats(min_value=0.01, max_value=1.0))
def test_numeric_accepted_values_give_their_own_credit_never_more_than_full(value, correct, credit):
    accepted = [{"value": value, "tolerance": 0.0, "credit": credit}]
    share = numeric_share(value, correct, 0.0, "absolute", accepted)
    assert share == (1.0 if abs(value - correct) <= 1e-9 * max(1.0, abs(correct)) else credit)


@given(st.integers(2, 10).flatmap(lambda n: st.tuples(st.just(n), st.permutations(range(n)))))
def test_ordering_is_full_only_in_the_right_order_and_partial_counts_places(case):
    count, order = case
    parts = ordering_parts(list(order))
    assert ordering_share(parts, "all_or_nothing") == (1.0 if list(order) == list(range(count)) else 0.0)
    assert 0.0 <= ordering_share(parts, "partial") <= 1.0
    assert ordering_share(parts, "partial") == sum(i == p for p, i in enumerate(order)) / count


@given(st.integers(2, 10).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.none() | st.integers(0, n + 3), min_size=n, max_size=n))))
def test_matching_credits_each_pair_once(case):
    count, chosen = case
    parts = matching_parts(chosen, count)
    assert len(parts) == count
    assert sum(parts) == sum(1 for prompt, match in enumerate(chosen) if match == prompt)


@given(st.text(max_size=20), st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5),
       st.floats(min_value=0.01, max_value=1.0))
def test_text_credit_is_the_credit_of_a_matching_answer_or_nothing(given_text, accepted, credit):
    entries = [{"text": text, "credit": credit} for text in accepted]
    assert text_credit(given_text, entries) in (0.0, credit)
    spaced = f"  {' '.join(accepted[0].split())}  "
    assert text_credit(spaced, entries) == (credit if accepted[0].strip() else 0.0)


def test_case_sensitive_gaps_and_drop_downs():
    typed = {"accepted": [{"text": "NaCl", "credit": 1.0}], "case_sensitive": True}
    assert blank_credit("NaCl", typed) == 1.0 and blank_credit("nacl", typed) == 0.0
    assert blank_credit(" nacl ", {**typed, "case_sensitive": False}) == 1.0
    drop_down = {"options": ["a", "b"], "correct_option": 1}
    assert blank_credit(1, drop_down) == 1.0 and blank_credit(0, drop_down) == 0.0
    assert blank_credit(None, drop_down) == 0.0
