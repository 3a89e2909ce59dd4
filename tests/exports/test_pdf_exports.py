import csv
import io
import os
import unicodedata

import pytest
from pypdf import PdfReader

from app.common.db import commit
from app.exports import pdf as pdf_module
from tests.factories import auth, make_admin, make_attempt, make_student, make_teacher
from tests.helpers import assert_error

HAS_DEJAVU = any(os.path.exists(os.path.join(d, "DejaVuSans.ttf")) for d in pdf_module.FONT_DIRS)


def pdf_text(response) -> str:
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def attempt_pdf(client, user, attempt):
    return client.get(f"/api/exports/attempts/{attempt.id}/pdf", headers=auth(user))


def test_attempt_pdf_for_the_teacher_has_name_score_answers_and_key(client, known_quiz):
    bruno_attempt = known_quiz["attempts"][1]
    response = attempt_pdf(client, known_quiz["teacher"], bruno_attempt)
    assert response.headers["Content-Disposition"].startswith('attachment; filename="attempt_stu')
    assert response.headers["Content-Disposition"].endswith('_term_1_algebra_1.pdf"')
    text = pdf_text(response)
    assert "Bruno Díaz" in text
    assert "5 / 8" in text and "62.5%" in text and "Passed" in text
    assert "Partial answer" in text and "correct answer" in text and "Model answer" in text


@pytest.mark.skipif(not HAS_DEJAVU, reason="Arabic needs DejaVu Sans (fonts-dejavu-core), not installed here")
def test_attempt_pdf_renders_arabic_names(client, known_quiz):
    text = pdf_text(attempt_pdf(client, make_admin(), known_quiz["attempts"][3]))
    assert "أحمد علي" in text
    assert "0 / 8" in text and "Not passed" in text


@pytest.mark.skipif(not HAS_DEJAVU, reason="DejaVu Sans (fonts-dejavu-core) is not installed here")
def test_pdf_embeds_a_unicode_font(client, known_quiz):
    response = attempt_pdf(client, known_quiz["teacher"], known_quiz["attempts"][3])
    font_dict = PdfReader(io.BytesIO(response.data)).pages[0]["/Resources"]["/Font"].get_object()
    fonts = {str(ref.get_object()["/BaseFont"]) for ref in font_dict.values()}
    assert any("DejaVuSans" in name for name in fonts)


def test_student_gets_own_pdf_with_review_but_without_key_by_default(client, known_quiz):
    alice = known_quiz["students"][0]
    text = pdf_text(attempt_pdf(client, alice, known_quiz["attempts"][0]))
    assert "Alice Martin" in text and "8 / 8" in text
    assert "Full answer" in text
    assert "correct answer" not in text and "Model answer" not in text


def test_student_sees_correct_answers_when_the_quiz_shows_them(client, known_quiz):
    known_quiz["quiz"].show_answers_after_submission = True
    commit()
    text = pdf_text(attempt_pdf(client, known_quiz["students"][2], known_quiz["attempts"][2]))
    assert "correct answer" in text and "Model answer" in text


def test_student_without_review_gets_only_the_score(client, known_quiz):
    known_quiz["quiz"].allow_review = False
    known_quiz["quiz"].show_answers_after_submission = True
    commit()
    text = pdf_text(attempt_pdf(client, known_quiz["students"][1], known_quiz["attempts"][1]))
    assert "Bruno Díaz" in text and "5 / 8" in text
    assert "Partial answer" not in text and "correct answer" not in text
    assert "review is not available" in text


def test_attempt_pdf_shows_awaiting_grading(client, known_quiz):
    from tests.factories import make_answer
    attempt = make_attempt(known_quiz["quiz"], make_student(known_quiz["cls"]), status="submitted")
    make_answer(attempt, known_quiz["questions"][2], text="essay")
    text = pdf_text(attempt_pdf(client, known_quiz["teacher"], attempt))
    assert "Awaiting grading" in text and "awaiting marks" in text


def test_attempt_pdf_visibility(client, known_quiz):
    attempt = known_quiz["attempts"][0]
    assert_error(attempt_pdf(client, known_quiz["students"][1], attempt), 404)
    assert_error(attempt_pdf(client, make_teacher(), attempt), 404)
    assert_error(attempt_pdf(client, known_quiz["students"][0], known_quiz["running"]), 404)
    assert_error(attempt_pdf(client, known_quiz["teacher"], known_quiz["running"]), 409)


def test_analytics_pdf_has_chart_and_question_table(client, known_quiz):
    quiz_id = known_quiz["quiz"].id
    response = client.get(f"/api/exports/analytics/{quiz_id}", headers=auth(known_quiz["teacher"]))
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="quiz_analytics_term_1_algebra_')
    assert response.headers["Content-Disposition"].endswith('.pdf"')
    text = pdf_text(response)
    assert "Term 1 Algebra" in text and "Score distribution" in text and "90–100" in text
    assert "46.88%" in text and "80.83" in text and "98.98" in text
    assert "Alice Martin" in text and "Chloé Durand" in text
    assert "أحمد علي" in text or not HAS_DEJAVU
    same = client.get(f"/api/analytics/quiz/{quiz_id}/export?format=pdf", headers=auth(make_admin()))
    assert "80.83" in pdf_text(same)


def test_analytics_csv_is_the_question_table(client, known_quiz):
    quiz = known_quiz["quiz"]
    known_quiz["questions"][1].text = "=1+1 is two?"
    commit()
    for path in (f"/api/analytics/quiz/{quiz.id}/export", f"/api/exports/analytics/{quiz.id}?format=csv"):
        response = client.get(path, headers=auth(known_quiz["teacher"]))
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].endswith('.csv"')
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert rows[0][0] == "Number" and rows[0][-2:] == ["Facility Index %", "Discrimination Index %"]
        assert [r[-1] for r in rows[1:]] == ["80.83", "26.21", "98.98"]
        assert rows[2][1] == "'=1+1 is two?"


def test_analytics_exports_visibility(client, known_quiz):
    quiz_id = known_quiz["quiz"].id
    for path in (f"/api/exports/analytics/{quiz_id}", f"/api/analytics/quiz/{quiz_id}/export"):
        assert_error(client.get(path, headers=auth(make_teacher())), 404)
        assert_error(client.get(path, headers=auth(known_quiz["students"][0])), 403)
    assert_error(client.get(f"/api/exports/analytics/{quiz_id}?format=xml", headers=auth(make_admin())), 422)


def test_reports_fall_back_to_a_builtin_font(client, known_quiz, monkeypatch):
    monkeypatch.setattr(pdf_module, "_fonts", ("Helvetica", "Helvetica-Bold"))
    text = pdf_text(attempt_pdf(client, known_quiz["teacher"], known_quiz["attempts"][1]))
    assert "Bruno Díaz" in text and "[x]" in text
    arabic = attempt_pdf(client, known_quiz["teacher"], known_quiz["attempts"][3])
    assert "0 / 8" in pdf_text(arabic)  # glyphs missing from the built-in font, but no failure


def test_a_very_long_answer_flows_over_several_pages(client, known_quiz):
    from sqlalchemy import select

    from app.attempts.models import StudentAnswer
    from app.extensions import db
    attempt, essay = known_quiz["attempts"][0], known_quiz["questions"][2]
    answer = db.session.scalar(select(StudentAnswer).where(
        StudentAnswer.attempt_id == attempt.id, StudentAnswer.question_id == essay.id))
    answer.answer_text = ("A long paragraph of a thorough answer. " * 60 + "\n\n") * 12
    answer.feedback = "Detailed feedback. " * 150
    commit()
    response = attempt_pdf(client, known_quiz["teacher"], attempt)
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.data)).pages) >= 3


def test_question_html_reads_as_plain_text_in_the_pdf(client, known_quiz):
    attempt = known_quiz["attempts"][1]
    question = attempt.quiz.question_links[0].question
    question.text = "<p>Is 3 &lt; 5 &amp; 2 &gt; 1?</p><p><b>Explain</b></p>"
    commit()
    text = pdf_text(attempt_pdf(client, known_quiz["teacher"], attempt))
    assert "Is 3 < 5 & 2 > 1?" in text and "Explain" in text
    assert "<p>" not in text and "&lt;" not in text
