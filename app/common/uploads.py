"""Reading uploaded CSV/XLSX tables (student and question imports).

Limits: 16 MB (413), CSV or XLSX only (415), an empty file or one without a header
row (422). Header names are matched ignoring case, spaces and underscores; CSV is
read as UTF-8 (with or without BOM) and falls back to Latin-1.

A table is measured before pandas parses it, because pandas widens every row to the
widest one: a 10 KB workbook whose rows each touch column XFD became 16,384 columns
of every row, seconds of CPU during which the instance's one gevent worker served
nobody. Limits: `IMPORT_MAX_COLUMNS` columns, the import's row cap (rows after the
header, blank ones between included) and, for a workbook, `IMPORT_MAX_UNPACKED_MB`.
A workbook's declared unpacked size and dimension are checked first, then its rows,
read once by openpyxl in read-only mode, as they are read; a CSV's records are
counted with the csv module. A table beyond a limit is refused (422) as soon as that
is known, and pandas gets only the measured rows and builds only the import's columns.
"""
import csv
import io
import math
import re
import zipfile
from dataclasses import dataclass

import pandas as pd
from flask import current_app
from openpyxl import load_workbook
from openpyxl.cell.cell import TYPE_ERROR, TYPE_NUMERIC
from pandas.io.parsers import TextParser
from werkzeug.datastructures import FileStorage

from app.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed

MAX_UPLOAD_BYTES = 16 * 1024 * 1024
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel", "application/octet-stream", ""}
XLSX_TYPES = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream", ""}
XLSX_MAGIC = b"PK\x03\x04"


def normalise_header(name) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).strip().lower()


def read_upload(file: FileStorage | None) -> tuple[bytes, str]:
    """The raw bytes and kind ('csv' or 'xlsx') of an uploaded table."""
    if file is None or not file.filename:
        raise ValidationFailed("Attach the file as multipart field 'file'", details={"file": ["Required."]})
    content = file.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("The file is larger than 16 MB")
    name = file.filename.lower()
    mimetype = (file.mimetype or "").lower()
    if name.endswith(".xlsx") and mimetype in XLSX_TYPES:
        if not content.startswith(XLSX_MAGIC):
            raise UnsupportedMediaType("The file is not a valid XLSX workbook")
        return content, "xlsx"
    if name.endswith(".csv") and mimetype in CSV_TYPES:
        if b"\x00" in content[:4096]:
            raise UnsupportedMediaType("The file is not a text CSV file")
        return content, "csv"
    raise UnsupportedMediaType("Upload a .csv or .xlsx file")


def decode_csv(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


def read_table(file: FileStorage | None, *, columns: dict[str, str], max_rows: int) -> list[dict]:
    """Rows of the uploaded table as dicts keyed by canonical column names.

    `columns` maps normalised header → canonical name (e.g. {"classname": "class_name"}).
    A table with more than `max_rows` rows after its header, or wider than
    `IMPORT_MAX_COLUMNS`, is refused. Every value is a stripped string or None. Row
    dicts carry `_row`: the row's number in the file (the header is row 1).
    """
    content, kind = read_upload(file)
    if not content.strip():
        raise ValidationFailed("The file is empty", details={"file": ["Empty file."]})
    limits = Limits(max_rows, current_app.config["IMPORT_MAX_COLUMNS"])
    try:
        if kind == "xlsx":
            frame, first_row = _xlsx_frame(content, columns, limits), 2
        else:
            frame, first_row = _csv_frame(content, columns, limits)
    except ValidationFailed:
        raise
    except pd.errors.EmptyDataError as exc:
        raise ValidationFailed("The file has no header row", details={"file": ["No header row."]}) from exc
    except Exception as exc:  # openpyxl, csv and pandas raise many parser errors; all mean "unreadable"
        raise ValidationFailed("The file could not be read as a table",
                               details={"file": ["Unreadable table."]}) from exc
    return _rows(frame, columns, first_row)


def _rows(frame: pd.DataFrame, columns: dict[str, str], first_row: int) -> list[dict]:
    rename = {header: columns[normalise_header(header)] for header in frame.columns
              if normalise_header(header) in columns}
    if not rename:
        raise ValidationFailed("The file has no recognised header row",
                               details={"file": [f"Expected columns: {', '.join(sorted(set(columns.values())))}"]})
    frame = frame[list(rename)].rename(columns=rename)
    rows = []
    for offset, record in enumerate(frame.to_dict(orient="records")):
        row = {key: (str(value).strip() or None) if value is not None else None for key, value in record.items()}
        if all(v is None for v in row.values()):
            continue
        row["_row"] = offset + first_row
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Limits:
    """How large a table an import takes: data rows after the header, and columns."""

    max_rows: int
    max_columns: int

    def check_width(self, width: int) -> None:
        if width > self.max_columns:
            raise ValidationFailed(f"The table is wider than {self.max_columns} columns", details={"file": [
                f"{width} columns; the limit is {self.max_columns}. Delete the columns the import does not use."]})

    def check_length(self, rows_after_header: int) -> None:
        """Blank rows between the header and the last row holding a value count too."""
        if rows_after_header > self.max_rows:
            raise ValidationFailed(f"At most {self.max_rows} rows per file", details={"file": [
                f"More than {self.max_rows} rows after the header; the limit is {self.max_rows}."]})


def _holds_value(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _wanted(columns: dict[str, str]):
    """pandas' `usecols`: only the headers the import reads."""
    return lambda header: normalise_header(header) in columns


# --- XLSX ----------------------------------------------------------------------------

def _xlsx_frame(content: bytes, columns: dict[str, str], limits: Limits) -> pd.DataFrame:
    """The first sheet (pandas' default) as `pd.read_excel(dtype=str, keep_default_na=False)`
    would read it, from rows read once and measured as they are read."""
    _check_unpacked_size(content)
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    try:
        data = _sheet_data(book.worksheets[0], limits)
    finally:
        book.close()
    if not data:
        return pd.DataFrame()
    try:
        return TextParser(data, header=0, dtype=str, keep_default_na=False, skip_blank_lines=False,
                          usecols=_wanted(columns)).read()
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _check_unpacked_size(content: bytes) -> None:
    """A workbook is a zip of XML parts, read up to their declared sizes (zipfile stops
    there): a few MB can declare gigabytes, which openpyxl would parse before any row."""
    limit = current_app.config["IMPORT_MAX_UNPACKED_MB"]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > limit * 1024 * 1024:
        raise ValidationFailed(f"The workbook unpacks to more than {limit} MB", details={"file": [
            f"It unpacks to {unpacked / (1024 * 1024):.1f} MB; the limit is {limit} MB."]})


def _sheet_data(sheet, limits: Limits) -> list[list]:
    """The sheet's rows as pandas' openpyxl reader lists them (trailing empty cells and
    rows dropped, rows padded to one width), once its declared dimension and then each
    real row are within the limits. Row 1 is the header, as for pandas."""
    # The dimension the sheet declares (if any), read before any cell.
    if sheet.max_column is not None:
        limits.check_width(sheet.max_column)
    if sheet.max_row is not None:
        limits.check_length(sheet.max_row - 1)
    sheet.reset_dimensions()  # a declaration can lie: each row is as wide as its last cell
    data, last = [], 0
    for number, cells in enumerate(sheet.rows, start=1):
        limits.check_width(len(cells))
        # Rows missing from the file are yielded one by one up to the next one present:
        # counting them all stops a lone row at 1,048,576 after `max_rows` of them.
        limits.check_length(number - 1)
        row = [_cell_value(cell) for cell in cells]
        while row and row[-1] == "":
            row.pop()
        last = number if row else last
        data.append(row)
    width = max((len(row) for row in data), default=0)
    return [row + [""] * (width - len(row)) for row in data[:last]]


def _cell_value(cell):
    """A cell's value as pandas' openpyxl reader converts it: empty is "", an error NaN,
    a whole number an int (so 20240001.0 reads "20240001")."""
    if cell.value is None:
        return ""
    if cell.data_type == TYPE_ERROR:
        return math.nan
    if cell.data_type == TYPE_NUMERIC:
        whole = int(cell.value)
        return whole if whole == cell.value else float(cell.value)
    return cell.value


# --- CSV -----------------------------------------------------------------------------

def _csv_frame(content: bytes, columns: dict[str, str], limits: Limits) -> tuple[pd.DataFrame, int]:
    """The table and the file line number of its first data row."""
    text = decode_csv(content)
    body = text.lstrip("\r\n")
    first_row = 2 + text[:len(text) - len(body)].count("\n")
    records = _measure_csv(body, limits)
    # Blank lines are kept (and dropped later) so that row numbers stay file line numbers.
    frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False, skipinitialspace=True,
                        skip_blank_lines=False, usecols=_wanted(columns), nrows=records)
    return frame, first_row


def _measure_csv(body: str, limits: Limits) -> int:
    """Records after the header up to the last one holding a value, once every record
    is within the limits."""
    last = 0
    for number, fields in enumerate(csv.reader(io.StringIO(body, newline=""), skipinitialspace=True)):
        limits.check_width(len(fields))
        if number and any(_holds_value(field) for field in fields):
            last = number
            limits.check_length(last)
    return last
