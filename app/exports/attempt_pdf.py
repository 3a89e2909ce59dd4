"""One attempt as a PDF for the student, a parent or the teacher.

A student receives their answers, marks and feedback only when the quiz allows review,
and the correct answers only when it also shows answers after submission.
"""
import io

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from app.attempts.models import QuizAttempt
from app.common.html import html_to_text
from app.exports import pdf
from app.exports.results import slug
from app.grading.scoring import answers_of, attempt_marks, pending_questions
from app.grading.services import ensure_gradable
from app.quizzes import display
from app.users.models import User

WIDTH = pdf.CONTENT_WIDTH


def review_policy(attempt: QuizAttempt, actor: User) -> tuple[bool, bool]:
    """(show answers and marks, show correct answers) for this reader."""
    if not actor.is_student:
        return True, True
    quiz = attempt.quiz
    return bool(quiz.allow_review), bool(quiz.allow_review and quiz.show_answers_after_submission)


def attempt_pdf(attempt: QuizAttempt, *, actor: User, now) -> tuple[bytes, str]:
    ensure_gradable(attempt)
    show_answers, show_key = review_policy(attempt, actor)
    marks, answers = attempt_marks(attempt), answers_of(attempt)
    pending = pending_questions(marks, answers)
    st = pdf.styles()
    student, quiz = attempt.student, attempt.quiz
    story = [pdf.para(quiz.title, st["title"]), pdf.para(f"{quiz.subject} · Attempt report", st["subtitle"]),
             Spacer(1, 5 * mm), _details(attempt, st), Spacer(1, 4 * mm), _score_panel(attempt, pending, st)]
    if show_answers:
        story += [Paragraph("Answers", st["h2"])]
        order = [q for q in (attempt.question_order or []) if q in marks] + [
            q for q in marks if q not in (attempt.question_order or [])]
        for number, qid in enumerate(order, start=1):
            question, max_marks = marks[qid]
            story += _question_block(number, question, max_marks, answers.get(qid), show_key, st)
    else:
        story += [Spacer(1, 6 * mm), pdf.para("Question-by-question review is not available for this quiz.",
                                              st["muted"])]
    buffer = io.BytesIO()
    label = f"{student.user.name} · {quiz.title}"
    doc = pdf.document(buffer, f"{quiz.title} – {student.user.name}")
    doc.build(story, onFirstPage=pdf.footer(label, now), onLaterPages=pdf.footer(label, now))
    filename = f"attempt_{slug(student.registration_number, 'student')}_{slug(quiz.title)}_{attempt.attempt_number}.pdf"
    return buffer.getvalue(), filename


def _details(attempt: QuizAttempt, st) -> Table:
    student = attempt.student
    school_class = student.school_class
    class_name = " ".join(p for p in (school_class.name, school_class.section) if p) if school_class else "–"
    pairs = [
        ("Student", student.user.name), ("Registration no.", student.registration_number),
        ("Class", class_name), ("Attempt", str(attempt.attempt_number)),
        ("Started", pdf.fmt_time(attempt.started_at)), ("Submitted", pdf.fmt_time(attempt.submitted_at)),
        ("Violations", str(attempt.total_violations or 0)),
        ("Submission", _submission_label(attempt)),
    ]
    rows = [[pdf.para(pairs[i][0], st["muted"]), pdf.para(pairs[i][1], st["bold"]),
             pdf.para(pairs[i + 1][0], st["muted"]), pdf.para(pairs[i + 1][1], st["bold"])]
            for i in range(0, len(pairs), 2)]
    table = Table(rows, colWidths=[27 * mm, WIDTH / 2 - 27 * mm, 27 * mm, WIDTH / 2 - 27 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _submission_label(attempt: QuizAttempt) -> str:
    reasons = {"time_expired": "Submitted automatically (time over)",
               "violations": "Submitted automatically (violations)"}
    return reasons.get(attempt.auto_submit_reason, "Submitted by the student")


def _score_panel(attempt: QuizAttempt, pending: list, st) -> Table:
    if pending:
        verdict, colour = f"Awaiting grading ({len(pending)} answer{'s' if len(pending) > 1 else ''})", pdf.WAIT
    elif attempt.passed:
        verdict, colour = "Passed", pdf.GOOD
    else:
        verdict, colour = "Not passed", pdf.BAD
    _regular, bold = pdf.fonts()
    score = f"{pdf.fmt_number(attempt.score)} / {pdf.fmt_number(attempt.total_marks)}"
    rows = [["Score", "Percentage", "Result"],
            [score, pdf.fmt_number(attempt.percentage, "%"), verdict]]
    table = Table(rows, colWidths=[WIDTH / 3] * 3)
    table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 0.8, pdf.RULE), ("BACKGROUND", (0, 0), (-1, -1), pdf.SHADE),
        ("FONTNAME", (0, 0), (-1, 0), _regular), ("FONTSIZE", (0, 0), (-1, 0), 8.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), pdf.MUTED),
        ("FONTNAME", (0, 1), (-1, 1), bold), ("FONTSIZE", (0, 1), (-1, 1), 15),
        ("TEXTCOLOR", (0, 1), (1, 1), pdf.INK), ("TEXTCOLOR", (2, 1), (2, 1), colour),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 1), (-1, 1), 9),
    ]))
    return table


def _question_block(number, question, max_marks, answer, show_key: bool, st) -> list:
    """A shaded heading, then plain paragraphs: a long answer flows onto the next page."""
    awarded = answer.marks_awarded if answer is not None else None
    marks_text = (f"{pdf.fmt_number(awarded)} / {max_marks}" if awarded is not None
                  else ("awaiting marks" if answer is not None else f"0 / {max_marks} (not answered)"))
    heading = Table([[pdf.para(f"Question {number}", st["cellbold"]), pdf.para(marks_text, st["cellright"])]],
                    colWidths=[WIDTH - 45 * mm, 45 * mm])
    heading.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), pdf.SHADE), ("LINEBELOW", (0, 0), (-1, -1), 0.5, pdf.RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    body = [pdf.para(html_to_text(question.text), st["indented"]), *_answer_lines(question, answer, show_key, st)]
    if answer is not None and answer.feedback:
        body.append(pdf.para(f"Teacher's feedback: {answer.feedback}", st["feedback"]))
    return [KeepTogether([heading, *body[:2]]), *body[2:], Spacer(1, 4 * mm)]


def _response_text(question, answer) -> str:
    """A later type's response in words (matching and ordering are numbered by page place)."""
    response, texts = answer.response, display.question_display(question)[0]
    order = (answer.attempt.option_order or {}).get(question.id) or list(range(len(texts)))
    def on_page(k):
        return texts[order[k]] if k is not None and 0 <= k < len(order) else "—"
    if question.type == "multiple_select":
        return ", ".join(texts[i] for i in response if i < len(texts))
    if question.type == "matching":
        return "; ".join(f"{pair['prompt']} → {on_page(k)}" for pair, k in zip(question.pairs, response, strict=False))
    if question.type == "ordering":
        return " → ".join(on_page(k) for k in response)
    if question.type == "fill_in_blanks":
        return "; ".join(f"({n}) " + ("—" if value is None else blank["options"][value] if "options" in blank
                                     else str(value)) for n, (value, blank) in enumerate(
                                         zip(response, question.blanks, strict=False), start=1))
    return str(response)


def _key_text(question) -> str:
    if question.type == "multiple_select":
        return ", ".join(question.options[i] for i in question.correct_options)
    if question.type == "numeric":
        unit = " (relative)" if question.tolerance_type == "relative" else ""
        return f"{question.correct_value:g} ± {question.tolerance or 0:g}{unit}"
    if question.type == "matching":
        return "; ".join(f"{pair['prompt']} → {pair['match']}" for pair in question.pairs)
    if question.type == "ordering":
        return " → ".join(question.items)
    return "; ".join(f"({n}) " + (blank["options"][blank["correct_option"]] if "options" in blank
                                  else " / ".join(a["text"] for a in blank["accepted"]))
                     for n, blank in enumerate(question.blanks, start=1))


def _answer_lines(question, answer, show_key: bool, st) -> list:
    if question.type in ("mcq", "true_false"):
        chosen = answer.answer_option if answer is not None else None
        lines = []
        for index, option in enumerate(question.options or []):
            tags = []
            if index == chosen:
                tags.append("your answer")
            if show_key and index == question.correct_answer:
                tags.append("correct answer")
            style = st["indented_bold"] if tags else st["indented"]
            marker = pdf.bullet(index == chosen)
            suffix = f"   ({', '.join(tags)})" if tags else ""
            lines.append(pdf.para(f"{marker} {chr(65 + index)}. {html_to_text(option)}{suffix}", style))
        if chosen is None:
            lines.append(pdf.para("No option chosen.", st["indented_muted"]))
        return lines
    if question.type in display.RESPONSE_TYPES:
        text = _response_text(question, answer) if answer is not None and answer.response is not None else ""
    else:
        text = (answer.answer_text or "").strip() if answer is not None else ""
    lines = [pdf.para("Answer:", st["indented_muted"]), pdf.para(text or "No answer given.", st["indented"])]
    if show_key and question.type == "short_answer" and question.accepted_answers:
        accepted = [a if isinstance(a, str) else f"{a['text']} ({a['credit']:.0%})" for a in question.accepted_answers]
        lines.append(pdf.para("Accepted answers: " + ", ".join(accepted), st["indented_muted"]))
    if show_key and question.type in display.RESPONSE_TYPES:
        lines.append(pdf.para(f"Correct answer: {_key_text(question)}", st["indented_muted"]))
    if show_key and question.sample_answer:
        lines.append(pdf.para(f"Model answer: {question.sample_answer}", st["indented_muted"]))
    return lines

