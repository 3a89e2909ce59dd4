"""The Moodle XML and GIFT readers, on files laid out as Moodle's format documentation shows."""
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.questions.formats import FileRefused, gift, moodle_xml

FILES = Path(__file__).parent / "files"


def by_name(items):
    return {item.name: item for item in items}


@pytest.fixture(scope="module")
def moodle():
    return by_name(moodle_xml.parse((FILES / "moodle_bank.xml").read_bytes()))


@pytest.fixture(scope="module")
def gift_items():
    return gift.parse((FILES / "every_construct.gift").read_text())


# --- Moodle XML -------------------------------------------------------------------------

def test_moodle_categories_become_topic_paths(moodle):
    assert moodle["Capital of France"].question["topic"] == "Geography/Europe"
    assert moodle["Pi"].question["topic"] == "Maths/Arithmetic"
    assert moodle["Animal sounds"].question["topic"] == "Languages"


def test_moodle_single_choice_keeps_options_key_and_marks_and_cleans_html(moodle):
    question = moodle["Capital of France"].question
    assert question["options"] == ["London", "Paris", "Rome"]
    assert (question["type"], question["correct_answer"], question["marks"]) == ("mcq", 1, 2)
    assert question["text"] == "<p>What is the <b>capital</b> of France?</p>"


def test_moodle_true_false_with_an_embedded_image(moodle):
    question = moodle["Rhine"].question
    assert (question["type"], question["correct_answer"], question["marks"]) == ("true_false", True, 1)
    assert question["text"].startswith(
        '<p>The Rhine flows into the North Sea.</p><p><img src="@@PLUGINFILE@@/rhine.png"')
    assert moodle["Rhine"].notes == []
    assert list(moodle["Rhine"].files) == ["rhine.png"]
    assert moodle["Rhine"].files["rhine.png"].startswith(b"\x89PNG\r\n\x1a\n")


def test_moodle_short_answer_credits_feedback_and_catch_all(moodle):
    item = moodle["Two plus two"]
    assert item.question["accepted_answers"] == ["four", {"text": "4", "credit": 0.5}]
    assert item.question["sample_answer"] == "Four: count on your fingers."
    assert item.notes == ["the catch-all * answer is dropped"]


def test_moodle_wildcard_answer_is_an_error_naming_it(moodle):
    item = moodle["Colour spelling"]
    assert item.status == "error" and "colo*r" in item.message


def test_moodle_multiple_answers_map_to_multiple_select_with_partial_scoring(moodle):
    question = moodle["Primes"].question
    assert question["type"] == "multiple_select"
    assert (question["correct_options"], question["scoring"]) == ([0, 1, 2], "partial")
    assert moodle["Primes"].notes == []  # -33.33333 per wrong choice is exactly one share


@pytest.mark.parametrize("name, fraction", [("Even numbers (bad fractions)", "90%"), ("Bad fraction", "'120'")])
def test_moodle_fractions_moodle_refuses_are_errors_naming_question_and_fraction(moodle, name, fraction):
    item = moodle[name]
    assert item.status == "error" and item.question is None
    assert item.message.startswith(name) and fraction in item.message


def test_moodle_numerical_tolerance_and_partial_values(moodle):
    question = moodle["Pi"].question
    assert (question["correct_value"], question["tolerance"], question["tolerance_type"]) == (3.14, 0.005, "absolute")
    assert question["accepted_values"] == [{"value": 3, "tolerance": 0, "credit": 0.5}]


def test_moodle_matching_keeps_pairs_and_distractors(moodle):
    question = moodle["Animal sounds"].question
    assert question["pairs"] == [{"prompt": "cat", "match": "meow"}, {"prompt": "dog", "match": "woof"}]
    assert (question["distractors"], question["marks"]) == (["moo"], 3)


def test_moodle_essay_is_descriptive_with_rubric_and_sample(moodle):
    question = moodle["Tides"].question
    assert (question["type"], question["marks"]) == ("descriptive", 5)
    assert question["marking_rubric"].startswith("Two marks for the moon")
    assert question["sample_answer"] == "The moon's pull."


def test_moodle_cloze_becomes_fill_in_blanks(moodle):
    question = moodle["Capitals cloze"].question
    assert question["text"] == "<p>The capital of Germany is {{1}}, and of Italy {{2}}; case matters for {{3}}.</p>"
    assert question["blanks"] == [
        {"accepted": [{"text": "Berlin", "credit": 1.0}, {"text": "berlin city", "credit": 0.5}],
         "case_sensitive": False},
        {"options": ["Milan", "Rome", "Naples"], "correct_option": 1},
        {"accepted": [{"text": "NASA", "credit": 1.0}], "case_sensitive": True},
    ]
    assert question["marks"] == 3  # no defaultgrade: the gaps' weights


def test_moodle_cloze_with_a_numerical_gap_is_an_error(moodle):
    assert moodle["Numerical cloze"].status == "error"
    assert "NUMERICAL" in moodle["Numerical cloze"].message


def test_moodle_ordering(moodle):
    question = moodle["Planets by distance"].question
    assert (question["items"], question["scoring"]) == (["Mercury", "Venus", "Earth"], "partial")


@pytest.mark.parametrize("name, qtype", [("Area of a rectangle", "calculated"), ("Drag words", "ddwtos"),
                                         ("Section intro", "description")])
def test_moodle_types_the_bank_lacks_are_unsupported_with_their_type(moodle, name, qtype):
    item = moodle[name]
    assert (item.status, item.type) == ("unsupported", qtype)
    assert repr(qtype) in item.message


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<quiz><question type="essay"><name><text>&lol3;</text></name></question></quiz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><name><text>&secret;</text></name></question></quiz>"""


@pytest.mark.parametrize("content", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_moodle_entities_and_dtds_refuse_the_whole_file(content):
    with pytest.raises(FileRefused, match="DTD or entities"):
        moodle_xml.parse(content)


@pytest.mark.parametrize("content, message", [(b"<quiz><question>", "not well-formed"),
                                              (b"<html></html>", "root element is <html>"),
                                              (b"<quiz></quiz>", "no Moodle question")])
def test_moodle_unreadable_files_are_refused(content, message):
    with pytest.raises(FileRefused, match=message):
        moodle_xml.parse(content)


# --- GIFT ----------------------------------------------------------------------------

def test_gift_reads_every_construct(gift_items):
    items = by_name(gift_items)
    capital = items["Capital"].question
    assert (capital["type"], capital["options"], capital["correct_answer"]) == ("mcq", ["Paris", "London", "Berlin"], 0)
    assert (capital["marks"], capital["difficulty"], capital["topic"]) == (3, "easy", "Geography/Europe")
    assert items["Rhine"].question["text"] == "<p>The Rhine flows into the <b>North Sea</b>.</p>"
    assert items["Rhine"].question["correct_answer"] is True
    assert items["Danube"].question["correct_answer"] is False
    missing_word = gift_items[3].question
    assert missing_word["text"] == "Moodle costs _____ to download." and missing_word["correct_answer"] == 1
    assert items["Two plus two"].question["accepted_answers"] == ["four", {"text": "4", "credit": 0.5}]
    assert items["Two plus two"].question["sample_answer"] == "Count on your fingers."
    assert items["Two plus two"].question["topic"] == "Maths/Arithmetic"
    assert items["Primes"].question["text"] == "Which of these are **prime**?"
    assert items["Primes"].question["correct_options"] == [0, 1]
    assert items["Essay"].question == {"text": "Explain the tides.", "marks": 1, "topic": "Maths/Arithmetic",
                                       "type": "descriptive", "sample_answer": "The moon's pull."}


def test_gift_numeric_forms(gift_items):
    items = by_name(gift_items)
    assert (items["Pi"].question["correct_value"], items["Pi"].question["tolerance"]) == (3.14, 0.005)
    assert (items["Range"].question["correct_value"], items["Range"].question["tolerance"]) == (3, 2)
    assert items["Several"].question["accepted_values"] == [{"value": 3, "tolerance": 0, "credit": 0.5}]


def test_gift_matching_with_a_distractor(gift_items):
    question = by_name(gift_items)["Sounds"].question
    assert question["pairs"] == [{"prompt": "cat", "match": "meow"}, {"prompt": "dog", "match": "woof"}]
    assert question["distractors"] == ["moo"]


def test_gift_escapes_are_literal(gift_items):
    question = by_name(gift_items)["Escapes"].question
    assert question["text"] == "Braces {like these}, an equals = sign, a tilde ~, a hash # and a colon: all literal"
    assert question["accepted_answers"] == ["a=b#c"]


def test_gift_errors_and_descriptions_name_their_line(gift_items):
    items = by_name(gift_items)
    assert (items["Described"].status, items["Described"].line) == ("unsupported", 46)
    assert items["Unclosed"].status == "error"
    assert items["Unclosed"].message == "line 48: the answer block opened on line 48 is never closed with }"
    assert items["Bad weight"].message == "line 50: weight %150% is outside -100..100"
    assert items["Uneven"].message == "line 52: the positive fractions (50%, 40%) add up to 90%, not 100%"


def test_gift_single_choice_needs_exactly_one_right_answer():
    [item] = gift.parse("::Two::Pick{=a =b ~c}")
    assert item.status == "error" and "exactly one answer at 100%" in item.message


def test_gift_without_questions_is_refused():
    with pytest.raises(FileRefused):
        gift.parse("// only a comment\n\n$CATEGORY: nothing\n")


# --- detection and categories ----------------------------------------------------------

@pytest.mark.parametrize("content, name, expected", [
    (b'<?xml version="1.0"?><quiz></quiz>', "x.dat", "moodle_xml"),
    (b"\xef\xbb\xbf  <quiz></quiz>", "", "moodle_xml"),
    (b'[{"text": "Q"}]', "", "json"),
    (b'{"questions": []}', "", "json"),
    (b"[html]<p>Q</p>{T}", "", "gift"),
    (b"// comment\n::T::Q{T}", "", "gift"),
    (b"text,type,marks\nQ,descriptive,1\n", "", "csv"),
    (b"PK\x03\x04rest", "", "csv"),
    (b"just words", "notes.txt", None),
])
def test_the_format_is_told_from_the_content(content, name, expected):
    from app.questions.formats.detect import detect_format
    assert detect_format(content, name) == expected


@pytest.mark.parametrize("path, topic", [
    ("$course$/top/A/B", "A/B"), ("$system$/top", None), ("Plain/Path", "Plain/Path"),
    ("$course$/top/Either//or", "Either/or"), ("$cat1$/top/X/", "X"),
])
def test_categories_become_topics(path, topic):
    from app.questions.formats.common import topic_from_category
    assert topic_from_category(path) == topic


def test_markdown_with_html_is_sanitised_and_plain_text_is_kept():
    [markdown, plain] = gift.parse("::M::[markdown]**Bold** <img src=x onerror=alert(1)>{T}\n\n"
                                   "::P::[plain]What does <script> do?{T}")
    assert markdown.question["text"] == '**Bold** <img src="x">'
    assert plain.question["text"] == "What does <script> do?"


# --- anything a teacher's file may hold is read or refused, never a crash -------------

GIFT_ALPHABET = "{}=~#:%->\\[]$/.0123456789 \nTFabc"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=GIFT_ALPHABET, max_size=80))
def test_any_gift_text_is_read_or_refused(text):
    try:
        items = gift.parse(text)
    except FileRefused:
        return
    assert all(item.status in ("ok", "error", "unsupported") for item in items)
    assert all(item.line is not None for item in items)


XML_PIECES = ['<question type="multichoice">', '<question type="cloze">', '<question type="numerical">',
              '<question type="category">', "</question>", "<answer fraction=\"50\">", "<answer fraction=\"x\">",
              "</answer>", "<text>", "</text>", "{1:MC:=a~b}", "{:SA:", "<single>false</single>", "<tolerance>",
              "</tolerance>", "nan", "1e999", "<defaultgrade>", "</defaultgrade>", "<subquestion>", "</subquestion>"]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(XML_PIECES), max_size=25))
def test_any_moodle_xml_is_read_or_refused(pieces):
    try:
        items = moodle_xml.parse(("<quiz>" + "".join(pieces) + "</quiz>").encode())
    except FileRefused:
        return
    assert all(item.status in ("ok", "error", "unsupported") for item in items)


def test_infinite_and_nan_numbers_are_errors():
    [gift_item] = gift.parse("::N::Infinite?{#inf:1}")
    assert gift_item.status == "error" and "not a number" in gift_item.message
    [xml_item] = moodle_xml.parse(b'<quiz><question type="numerical"><name><text>N</text></name>'
                                  b'<answer fraction="100"><text>nan</text></answer></question></quiz>')
    assert xml_item.status == "error" and "nan" in xml_item.message


MOODLE_GIFT_EXPORT = """// question: 12  name: Pi
::Pi::[html]<p>Pi to two places?</p>{#
\t=%100%3.14:0.005#Right
\t=%50%3:0#Close
\t~#Not even close
}


// question: 13  name: Two
::Two::[html]Two plus two?{
\t=%100%four#
\t=%50%4#Words, please
}


// question: 14  name: Primes
::Primes::[html]Which are prime?{
\t~%50%2#
\t~%50%3#
\t~%-100%4#
}
"""


def test_gift_as_moodle_exports_it():
    pi, two, primes = gift.parse(MOODLE_GIFT_EXPORT)
    assert (pi.question["correct_value"], pi.question["tolerance"]) == (3.14, 0.005)
    assert pi.question["accepted_values"] == [{"value": 3, "tolerance": 0, "credit": 0.5}]
    assert two.question["accepted_answers"] == ["four", {"text": "4", "credit": 0.5}]
    assert primes.question["correct_options"] == [0, 1]
    assert primes.notes == ["wrong choices now each remove one share (50%), as `partial` scoring does"]


def test_gift_line_numbers_skip_categories_and_comments():
    [item] = gift.parse("$CATEGORY: Maths\n// a comment\n// marks: 2\n::Q::Unclosed {=a\n")
    assert (item.line, item.message) == (4, "line 4: the answer block opened on line 4 is never closed with }")


def _with_files(*files: tuple[str, str]) -> bytes:
    elements = "".join(f'<file name="{name}" path="/" encoding="base64">{data}</file>' for name, data in files)
    return (f'<quiz><question type="essay"><name><text>Q</text></name><questiontext format="html">'
            f'<text>x</text>{elements}</questiontext><graderinfo format="html"><text>r</text>{elements}'
            f'</graderinfo></question></quiz>').encode()


def test_moodle_file_repeated_in_two_text_areas_is_one_file():
    [item] = moodle_xml.parse(_with_files(("a.png", "iVBORw0KGgo=")))
    assert item.status == "ok" and item.files == {"a.png": b"\x89PNG\r\n\x1a\n"}


def test_moodle_two_different_files_under_one_name_are_an_error():
    [item] = moodle_xml.parse(_with_files(("a.png", "iVBORw0KGgo="), ("a.png", "R0lGODlh")))
    assert item.status == "error" and item.message == "Q: two different files are both named 'a.png'"
