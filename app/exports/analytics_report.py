"""The quiz report as a PDF (figures, score-distribution chart, per-question table,
students) or as a CSV of the per-question statistics."""
import io

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from app.exports import pdf

WIDTH = pdf.CONTENT_WIDTH
CSV_HEADERS = (
    "Number", "Question", "Type", "Topic", "Marks", "Attempts", "Answered", "Graded", "Awaiting Marks",
    "Correct", "Partially Correct", "Incorrect", "Success Rate %", "Average Marks", "Facility Index %",
    "Discrimination Index %",
)
READING_NOTE = (
    "Facility index: the average mark on a question as a percentage of its maximum (high = easy). "
    "Discrimination index: the correlation, across attempts, between the marks on a question and the "
    "marks on the rest of the quiz, × 100 (30 or more discriminates well; near zero or negative "
    "deserves a second look at the question). Every finished attempt that was not reset counts once."
)


def csv_rows(report: dict):
    for row in report["question_statistics"]:
        q = row["question"]
        yield (row["number"], q["text"], q["type"], q["topic"], q["marks"], row["attempts"],
               row["answered_count"], row["graded_count"], row["pending_count"], row["correct_count"],
               row["partially_correct_count"], row["incorrect_count"], row["success_rate"],
               row["average_marks"], row["facility_index"], row["discrimination_index"])


def analytics_pdf(report: dict, *, now) -> bytes:
    st = pdf.styles()
    quiz = report["quiz"]
    window = f"{pdf.fmt_time(quiz['start_date'])} – {pdf.fmt_time(quiz['end_date'])}"
    story = [
        pdf.para(quiz["title"], st["title"]),
        pdf.para(f"{quiz['subject']} · Quiz report · {window}", st["subtitle"]), Spacer(1, 5 * mm),
        _figures(report), Spacer(1, 2 * mm),
        KeepTogether([Paragraph("Score distribution", st["h2"]), _chart(report["score_distribution"])]),
        Paragraph("Questions", st["h2"]), _question_table(report["question_statistics"], st),
        Spacer(1, 2 * mm), pdf.para(READING_NOTE, st["muted"]),
    ]
    violations = report["violation_summary"]
    if violations["total_violations"]:
        rows = [["Violation", "Count"]] + [[kind.replace("_", " "), str(n)] for kind, n in
                                           violations["by_type"].items()]
        story += [KeepTogether([Paragraph("Violations", st["h2"]),
                                pdf.grid(rows, [60 * mm, 25 * mm], align_right_from=1)])]
    if report["student_performance"]:
        story += [Paragraph("Students", st["h2"]), _student_table(report["student_performance"], st)]
    buffer = io.BytesIO()
    doc = pdf.document(buffer, f"{quiz['title']} – report")
    label = f"{quiz['title']} · quiz report"
    doc.build(story, onFirstPage=pdf.footer(label, now), onLaterPages=pdf.footer(label, now))
    return buffer.getvalue()


def _figures(report: dict):
    quiz = report["quiz"]
    cells = [
        ("Attempts", str(report["total_attempts"])), ("Students", str(report["total_students"])),
        ("Average", pdf.fmt_number(report["average_score"], "%")),
        ("Pass rate", pdf.fmt_number(report["pass_rate"], "%")),
        ("Highest", pdf.fmt_number(report["highest_score"], "%")),
        ("Lowest", pdf.fmt_number(report["lowest_score"], "%")),
        ("Pass mark", f"{quiz['passing_percentage']}%"),
        ("Awaiting marks", str(report["pending_grading"])),
    ]
    _regular, bold = pdf.fonts()
    rows = [[label for label, _v in cells[:4]], [v for _l, v in cells[:4]],
            [label for label, _v in cells[4:]], [v for _l, v in cells[4:]]]
    table = pdf.grid(rows, [WIDTH / 4] * 4, header=False, zebra=False)
    table.setStyle([
        ("BACKGROUND", (0, 0), (-1, -1), pdf.SHADE), ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("TEXTCOLOR", (0, 0), (-1, 0), pdf.MUTED), ("TEXTCOLOR", (0, 2), (-1, 2), pdf.MUTED),
        ("FONTNAME", (0, 1), (-1, 1), bold), ("FONTNAME", (0, 3), (-1, 3), bold),
        ("FONTSIZE", (0, 1), (-1, 1), 14), ("FONTSIZE", (0, 3), (-1, 3), 14),
        ("BOTTOMPADDING", (0, 1), (-1, 1), 8), ("BOTTOMPADDING", (0, 3), (-1, 3), 8),
        ("LINEBELOW", (0, 0), (-1, -1), 0, pdf.SHADE), ("LINEBELOW", (0, 1), (-1, 1), 0.5, pdf.RULE),
    ])
    return table


def _chart(buckets: list[dict]) -> Drawing:
    regular, _bold = pdf.fonts()
    drawing = Drawing(WIDTH, 62 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 14 * mm, 12 * mm, WIDTH - 20 * mm, 44 * mm
    counts = [b["count"] for b in buckets]
    chart.data = [counts]
    chart.categoryAxis.categoryNames = [f"{b['min']}–{b['max']}" for b in buckets]
    chart.categoryAxis.labels.fontName = regular
    chart.categoryAxis.labels.fontSize = 7.5
    chart.valueAxis.labels.fontName = regular
    chart.valueAxis.labels.fontSize = 7.5
    chart.valueAxis.valueMin = 0
    top = max(counts or [0])
    step = max(1, -(-top // 5))
    chart.valueAxis.valueMax = max(step * 5, 1)
    chart.valueAxis.valueStep = step
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = pdf.RULE
    chart.valueAxis.gridStrokeWidth = 0.3
    chart.bars[0].fillColor = pdf.ACCENT
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = lambda v: str(int(v)) if v else ""
    chart.barLabels.fontName = regular
    chart.barLabels.fontSize = 7
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(String(chart.x + chart.width / 2, 2 * mm, "Score (%)", fontName=regular, fontSize=8,
                       textAnchor="middle", fillColor=pdf.MUTED))
    drawing.add(String(2 * mm, chart.y + chart.height + 3 * mm, "Attempts", fontName=regular, fontSize=8,
                       fillColor=pdf.MUTED))
    return drawing


def _question_table(statistics: list[dict], st):
    header = ["#", "Question", "Marks", "Graded", "Correct", "Partial", "Wrong", "Avg", "Facility",
              "Discrim."]
    rows = [header]
    for row in statistics:
        q = row["question"]
        text = q["text"] if len(q["text"]) <= 140 else q["text"][:137] + "…"
        rows.append([
            str(row["number"]), [pdf.para(text, st["cell"]), pdf.para(q["type"].replace("_", " "), st["cellmuted"])],
            str(q["marks"]),
            str(row["graded_count"]), str(row["correct_count"]), str(row["partially_correct_count"]),
            str(row["incorrect_count"]), pdf.fmt_number(row["average_marks"]),
            pdf.fmt_number(row["facility_index"], "%"), pdf.fmt_number(row["discrimination_index"]),
        ])
    widths = [7 * mm, 53 * mm, 12 * mm, 13 * mm, 14 * mm, 13 * mm, 12 * mm, 11 * mm, 16 * mm, 18 * mm]
    return pdf.grid(rows, widths, align_right_from=2)


def _student_table(performance: list[dict], st):
    rows = [["Student", "Reg. no.", "Class", "Attempts", "Best", "Average", "Result"]]
    for row in performance:
        s = row["student"]
        result = "awaiting marks" if row["pending_grading"] else ("passed" if row["passed"] else "not passed")
        rows.append([pdf.para(s["name"], st["cell"]), pdf.para(s["registration_number"], st["cell"]),
                     pdf.para(s["class_name"] or "–", st["cell"]), str(row["attempts"]),
                     pdf.fmt_number(row["best_score"], "%"), pdf.fmt_number(row["average_score"], "%"), result])
    widths = [45 * mm, 26 * mm, 26 * mm, 16 * mm, 16 * mm, 18 * mm, 22 * mm]
    return pdf.grid(rows, widths, align_right_from=3)
