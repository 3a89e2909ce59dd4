import statistics

from hypothesis import given
from hypothesis import strategies as st

from app.analytics.counting import bucket_labels
from app.analytics.services import discrimination

marks = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40)), min_size=2, max_size=60)


def sums(pairs):
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    return {"k": len(pairs), "sx": sum(xs), "sy": sum(ys), "sxx": sum(x * x for x in xs),
            "syy": sum(y * y for y in ys), "sxy": sum(x * y for x, y in pairs)}


@given(marks)
def test_discrimination_from_sums_equals_pearson_correlation(pairs):
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    value = discrimination(sums(pairs))
    if len(set(xs)) < 2 or len(set(ys)) < 2:
        assert value is None
    else:
        assert abs(value - 100 * statistics.correlation(xs, ys)) < 1e-6


def test_discrimination_needs_two_attempts():
    assert discrimination(sums([(1, 3)])) is None


def test_buckets_cover_zero_to_hundred():
    labels = bucket_labels({9: 2})
    assert labels[0]["range"] == "0-10" and labels[-1] == {"range": "90-100", "min": 90, "max": 100, "count": 2}
