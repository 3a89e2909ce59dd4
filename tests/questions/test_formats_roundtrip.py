"""Written and read back, a question is the same question: every type, both formats."""
from xml.etree import ElementTree

import pytest

from app.questions.formats import gift, gift_writer, moodle_writer, moodle_xml

EVERY_TYPE = {
    "mcq": {"type": "mcq", "text": "Capital of France?", "marks": 2, "topic": "Geography", "difficulty": "easy",
            "options": ["Paris", "London", "Rome"], "correct_answer": 0},
    "true_false": {"type": "true_false", "text": "<p>The Sun is a <b>star</b>.</p>", "marks": 1, "topic": None,
                   "correct_answer": False},
    "short_answer": {"type": "short_answer", "text": "2 + 2, in words?", "marks": 1, "topic": "Maths/Arithmetic",
                     "accepted_answers": ["four", {"text": "4", "credit": 0.5}], "sample_answer": "Count.",
                     "marking_rubric": "Words only."},
    "descriptive": {"type": "descriptive", "text": "Explain the tides.\nUse a diagram.", "marks": 5,
                    "topic": "Physics", "sample_answer": "The moon's pull.", "marking_rubric": "2 + 3 marks"},
    "multiple_select": {"type": "multiple_select", "text": "Primes?", "marks": 3, "topic": "Maths",
                        "options": ["2", "3", "5", "4"], "correct_options": [0, 1, 2], "scoring": "all_or_nothing"},
    "multiple_select_one": {"type": "multiple_select", "text": "Only one is right, but which?", "marks": 1,
                            "topic": "Maths", "options": ["a", "b"], "correct_options": [1], "scoring": "partial"},
    "numeric": {"type": "numeric", "text": "Pi?", "marks": 1, "topic": "Maths", "correct_value": 3.14,
                "tolerance": 0.005, "tolerance_type": "absolute",
                "accepted_values": [{"value": 3, "tolerance": 0, "credit": 0.5}]},
    "numeric_relative": {"type": "numeric", "text": "g in m/s²?", "marks": 1, "topic": "Physics",
                         "correct_value": 9.81, "tolerance": 0.02, "tolerance_type": "relative"},
    "matching": {"type": "matching", "text": "Match the sounds.", "marks": 3, "topic": "Languages",
                 "pairs": [{"prompt": "cat", "match": "meow"}, {"prompt": "dog", "match": "woof"}],
                 "distractors": ["moo"]},
    "ordering": {"type": "ordering", "text": "Order the planets.", "marks": 2, "topic": "Physics",
                 "items": ["Mercury", "Venus", "Earth"], "scoring": "partial"},
    "fill_in_blanks": {"type": "fill_in_blanks", "text": "The capital of {{1}} is {{2}}.", "marks": 2,
                       "topic": "Geography", "blanks": [
                           {"options": ["France", "Spain"], "correct_option": 0},
                           {"accepted": [{"text": "Paris", "credit": 1}, {"text": "Paris~city#1", "credit": 0.5}],
                            "case_sensitive": True}]},
    "escapes": {"type": "short_answer", "text": "Literal {braces} = ~ # : and a back\\slash", "marks": 1,
                "topic": "Odd/Corners", "accepted_answers": ["a=b", "c~d#e{f}"]},
}
NOT_IN_GIFT = {"ordering", "fill_in_blanks"}


def same(original: dict, read: dict) -> bool:
    """Equal, where a field the reader fills with None was absent from the original."""
    return {k: v for k, v in read.items() if v is not None or k in original} == original


@pytest.mark.parametrize("name", sorted(EVERY_TYPE))
def test_moodle_xml_round_trip_is_identity(name):
    [item] = moodle_xml.parse(moodle_writer.write([EVERY_TYPE[name]]))
    assert item.status == "ok", item.message
    assert same(EVERY_TYPE[name], item.question), item.question


@pytest.mark.parametrize("name", sorted(set(EVERY_TYPE) - NOT_IN_GIFT))
def test_gift_round_trip_is_identity(name):
    text, skipped = gift_writer.write([EVERY_TYPE[name]])
    [item] = gift.parse(text)
    assert skipped == [] and item.status == "ok", item.message
    assert same(EVERY_TYPE[name], item.question), item.question


def test_a_whole_bank_round_trips_in_order_with_its_topics():
    questions = list(EVERY_TYPE.values())
    read = [item.question for item in moodle_xml.parse(moodle_writer.write(questions))]
    assert all(same(q, r) for q, r in zip(questions, read, strict=True)) and len(read) == len(questions)


def test_gift_lists_the_questions_it_cannot_hold():
    manual = {"type": "short_answer", "text": "Graded by hand", "marks": 1, "topic": None}
    questions = [EVERY_TYPE["mcq"], EVERY_TYPE["ordering"], EVERY_TYPE["fill_in_blanks"], manual]
    text, skipped = gift_writer.write(questions)
    assert [q["type"] for q, _reason in skipped] == ["ordering", "fill_in_blanks", "short_answer"]
    assert text.count("// Not exported:") == 3
    assert [item.question["text"] for item in gift.parse(text)] == ["Capital of France?"]


def test_moodle_relative_tolerance_is_written_absolute_for_moodle():
    xml = moodle_writer.write([EVERY_TYPE["numeric_relative"]]).decode()
    assert "<tolerance>0.1962" in xml and "tolerance_type:relative" in xml


def test_moodle_xml_carries_images_beside_the_text_that_refers_to_them():
    question = {**EVERY_TYPE["mcq"], "text": '<p>Where? <img src="@@PLUGINFILE@@/my%20map.png"></p>',
                "options": ['<p><img src="@@PLUGINFILE@@/nile.png"></p>', "Amazon"]}
    files = {"my map.png": b"\x89PNG\r\n\x1a\nmap", "nile.png": b"GIF89a-nile", "unused.gif": b"GIF89a"}
    content = moodle_writer.write([{**question, "files": files}])
    root = ElementTree.fromstring(content)
    placed = {f.get("name"): parent.tag for parent in root.iter() for f in parent.findall("file")}
    assert placed == {"my map.png": "questiontext", "nile.png": "answer", "unused.gif": "questiontext"}
    [item] = moodle_xml.parse(content)
    assert item.files == files and same(question, item.question)


def test_gift_lists_a_question_with_images_as_skipped():
    text, skipped = gift_writer.write([{**EVERY_TYPE["mcq"], "files": {"map.png": None}}])
    [(_question, reason)] = skipped
    assert "GIFT cannot carry files" in reason and "map.png" in reason and "::" not in text
