"""CSV/XLSX output shared by every export, with spreadsheet-formula escaping.

A cell starting with = + - @ TAB or CR is executed by spreadsheet programs
(CSV injection); such cells are prefixed with a single quote.

Times: CSV cells are ISO 8601 UTC text (for programs); XLSX cells are real dates in
the school's zone (for people), which spreadsheets sort, filter and compute with.
Spreadsheet dates carry no zone: the workbook's description names it.
"""
import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from app.common.clock import isoformat, school_time, school_zone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIME = "text/csv; charset=utf-8"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
XLSX_DATE_FORMAT = "yyyy-mm-dd"


def escape_formula(value):
    """Neutralise text that a spreadsheet would run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    return escape_formula(value)


def to_csv_bytes(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_formula(h) for h in headers])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    # BOM so that spreadsheet programs read UTF-8 names (accents, Arabic) correctly.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_cell(sheet, value):
    """A datetime as a real spreadsheet date-time in school time, a date as a date;
    anything else as in CSV."""
    if isinstance(value, datetime):
        local = WriteOnlyCell(sheet, value=school_time(value).replace(tzinfo=None))
        local.number_format = XLSX_DATETIME_FORMAT
        return local
    if isinstance(value, date):
        day = WriteOnlyCell(sheet, value=value)
        day.number_format = XLSX_DATE_FORMAT
        return day
    return cell(value)


def to_xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence], sheet_title: str = "Sheet1") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([escape_formula(h) for h in headers])
    for row in rows:
        sheet.append([xlsx_cell(sheet, v) for v in row])
    workbook.properties.description = f"Times in {school_zone().key}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(content: bytes, filename: str, mimetype: str) -> Response:
    # `content_type`, not `mimetype`: Werkzeug appends a charset to a text/* mimetype,
    # and CSV_MIME already names one (`text/csv; charset=utf-8; charset=utf-8` otherwise).
    response = Response(content, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_response(headers: Sequence[str], rows: Iterable[Sequence], *, fmt: str, basename: str,
                   sheet_title: str = "Sheet1") -> Response:
    """A CSV or XLSX download of one table."""
    if fmt == "xlsx":
        return download(to_xlsx_bytes(headers, rows, sheet_title), f"{basename}.xlsx", XLSX_MIME)
    return download(to_csv_bytes(headers, rows), f"{basename}.csv", CSV_MIME)
