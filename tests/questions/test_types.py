"""The later question types: authored with their keys, every invalid shape refused naming its field."""
import pytest

from app.extensions import db
from app.questions.models import Question
from tests.factories import auth, make_question, make_teacher
from tests.helpers import assert_error

VALID = {
    "multiple_select": {"options": ["2", "3", "4", "5"], "correct_options": [3, 1], "scoring": "partial"},
    "numeric": {"correct_value": 3.14, "tolerance": 0.01, "tolerance_type": "relative",
                "accepted_values": [{"value": 3, "credit": 0.5}]},
    "matching": {"pairs": [{"prompt": "France", "match": "Paris"}, {"prompt": "Spain", "match": "Madrid"}],
                 "distractors": ["Lyon"]},
    "ordering": {"items": ["a", "b", "c"], "scoring": "all_or_nothing"},
    "fill_in_blanks": {"text": "{{1}} is the capital of {{2}}.",
                       "blanks": [{"accepted": ["Paris", {"text": "paris city", "credit": 0.5}]},
                                  {"options": ["France", "Spain"], "correct_option": 0}]},
}


def body(question_type, **fields):
    return {"text": "Question?", "type": question_type, "marks": 4, **VALID[question_type], **fields}


def post(client, teacher, payload):
    return client.post("/api/questions", json=payload, headers=auth(teacher))


@pytest.mark.parametrize("question_type", sorted(VALID))
def test_each_later_type_is_created_with_its_key_and_is_auto_gradable(client, question_type):
    response = post(client, make_teacher(), body(question_type))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["type"] == question_type and created["is_auto_gradable"] is True
    stored = db.session.get(Question, created["id"])
    assert stored.type == question_type


def test_stored_keys_are_normalised(client):
    teacher = make_teacher()
    ms = post(client, teacher, body("multiple_select")).get_json()
    assert ms["correct_options"] == [1, 3] and ms["options"][3] == {"index": 3, "text": "5"}
    numeric = post(client, teacher, body("numeric")).get_json()
    assert numeric["accepted_values"] == [{"value": 3.0, "tolerance": 0.0, "credit": 0.5}]
    blanks = post(client, teacher, body("fill_in_blanks")).get_json()["blanks"]
    assert blanks[0] == {"accepted": [{"text": "Paris", "credit": 1.0}, {"text": "paris city", "credit": 0.5}],
                         "case_sensitive": False}
    assert blanks[1] == {"options": ["France", "Spain"], "correct_option": 0}


def test_options_may_be_sent_in_the_shape_every_view_shows(client):
    options = [{"index": 1, "text": "B"}, {"index": 0, "text": "A"}]
    created = post(client, make_teacher(), {"text": "Q?", "type": "mcq", "marks": 1, "options": options,
                                            "correct_answer": 1}).get_json()
    assert created["options"] == [{"index": 0, "text": "A"}, {"index": 1, "text": "B"}]


def test_short_answer_takes_a_credit_per_accepted_answer(client):
    created = post(client, make_teacher(), {
        "text": "Q?", "type": "short_answer", "marks": 2,
        "accepted_answers": ["mitochondria", {"text": "mitochondrion", "credit": 0.5}]}).get_json()
    assert created["accepted_answers"] == ["mitochondria", {"text": "mitochondrion", "credit": 0.5}]


@pytest.mark.parametrize(("question_type", "change", "field"), [
    ("multiple_select", {"correct_options": []}, "correct_options"),
    ("multiple_select", {"correct_options": [4]}, "correct_options"),
    ("multiple_select", {"correct_options": [1, 1]}, "correct_options"),
    ("multiple_select", {"scoring": "generous"}, "scoring"),
    ("multiple_select", {"options": ["only"]}, "options"),
    ("numeric", {"correct_value": "three"}, "correct_value"),
    ("numeric", {"correct_value": None}, "correct_value"),
    ("numeric", {"tolerance": -1}, "tolerance"),
    ("numeric", {"tolerance_type": "percent"}, "tolerance_type"),
    ("numeric", {"accepted_values": [{"value": 3, "credit": 2}]}, "accepted_values"),
    ("matching", {"pairs": [{"prompt": "A", "match": "1"}]}, "pairs"),
    ("matching", {"pairs": [{"prompt": "A", "match": "1"}, {"prompt": "B", "match": "1"}]}, "pairs"),
    ("matching", {"distractors": ["Paris"]}, "distractors"),
    ("matching", {"pairs": "Paris"}, "pairs"),
    ("ordering", {"items": ["a"]}, "items"),
    ("ordering", {"items": ["a", "A"]}, "items"),
    ("ordering", {"scoring": "right_minus_wrong"}, "scoring"),
    ("fill_in_blanks", {"text": "No gaps here."}, "text"),
    ("fill_in_blanks", {"text": "{{1}} and {{3}}"}, "text"),
    ("fill_in_blanks", {"blanks": [{"accepted": ["Paris"]}]}, "blanks"),
    ("fill_in_blanks", {"blanks": [{"accepted": []}, {"options": ["a", "b"], "correct_option": 0}]}, "blanks"),
    ("fill_in_blanks", {"blanks": [{"accepted": ["x"]}, {"options": ["a", "b"], "correct_option": 2}]}, "blanks"),
    ("numeric", {"options": ["a", "b"]}, "options"),
    ("ordering", {"pairs": [{"prompt": "a", "match": "b"}]}, "pairs"),
])
def test_invalid_shapes_are_refused_naming_the_field_and_nothing_is_stored(client, question_type, change, field):
    response = post(client, make_teacher(), body(question_type, **change))
    assert field in assert_error(response, 422)["details"]
    assert db.session.query(Question).count() == 0


def test_update_of_an_unanswered_question_checks_the_merged_fields(client):
    teacher = make_teacher()
    question = make_question(teacher, type="ordering")
    ok = client.put(f"/api/questions/{question.id}", json={"items": ["x", "y"]}, headers=auth(teacher))
    assert ok.status_code == 200 and ok.get_json()["items"] == ["x", "y"]
    bad = client.put(f"/api/questions/{question.id}", json={"scoring": "half"}, headers=auth(teacher))
    assert "scoring" in assert_error(bad, 422)["details"]
    gaps = make_question(teacher, type="fill_in_blanks")
    retext = client.put(f"/api/questions/{gaps.id}", json={"text": "Only {{1}} now."}, headers=auth(teacher))
    assert "blanks" in assert_error(retext, 422)["details"]


def test_duplicate_copies_the_later_types_keys(client):
    teacher = make_teacher()
    question = make_question(teacher, type="matching")
    copy = client.post(f"/api/questions/{question.id}/duplicate", headers=auth(teacher)).get_json()
    assert copy["pairs"] == question.pairs and copy["distractors"] == ["Lyon"]


def test_the_openapi_document_describes_each_type_and_each_response_shape(client):
    spec = client.get("/api/openapi.json").get_json()
    body = spec["paths"]["/api/questions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    mapping = body["discriminator"]["mapping"]
    assert body["discriminator"]["propertyName"] == "type" and len(body["oneOf"]) == len(mapping) == 9
    schemas = spec["components"]["schemas"]
    multiple = schemas[mapping["multiple_select"].rsplit("/", 1)[-1]]
    assert {"options", "correct_options"} <= set(multiple["required"])
    assert multiple["properties"]["type"]["enum"] == ["multiple_select"]
    assert "pairs" not in multiple["properties"] and multiple["additionalProperties"] is False
    assert multiple["properties"]["options"]["items"]["oneOf"][0] == {"type": "string"}
    numeric = schemas[mapping["numeric"].rsplit("/", 1)[-1]]
    assert numeric["required"] == ["correct_value", "marks", "text", "type"]
    # anyOf: a list of indexes fits the multiple_select, matching and ordering shapes
    # at once, which a oneOf would refuse; the question's type says which applies.
    response = schemas["AnswerIn"]["properties"]["response"]["anyOf"]
    assert [shape["title"] for shape in response] == [
        "multiple_select", "numeric", "matching", "ordering", "fill_in_blanks"]


def test_the_staff_views_type_every_answer_key_field(client):
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    for name in ("Question", "QuizQuestion", "GradingQuestion"):
        fields = schemas[name]["properties"]
        assert [shape["title"] for shape in fields["blanks"]["items"]["oneOf"]] == ["TypedBlank", "DropDownBlank"]
        assert fields["accepted_answers"]["items"]["oneOf"][1]["required"] == ["text", "credit"]
        assert fields["scoring"]["enum"] == ["all_or_nothing", "partial", "right_minus_wrong", None]  # nullable
        assert fields["tolerance_type"]["enum"] == ["absolute", "relative", None]
    # The grading view carries only its own type's key fields.
    assert {"correct_options", "scoring", "correct_value", "blanks"}.isdisjoint(schemas["GradingQuestion"]["required"])
    body = schemas["QuestionCreate"]["properties"]
    assert body["correct_options"]["items"]["type"] == "integer" and body["correct_value"]["type"] == "number"
    assert body["pairs"]["items"]["required"] == ["prompt", "match"]
