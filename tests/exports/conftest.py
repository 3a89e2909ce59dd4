from tests.analytics.conftest import known_quiz  # noqa: F401  (the shared quiz with known answers)
