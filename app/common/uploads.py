"""Reading uploaded CSV/XLSX tables (student and question imports).

Limits: 16 MB (413), CSV or XLSX only (415), an empty file or one without a header
row (422). Header names are matched ignoring case, spaces and underscores; CSV is
read as UTF-8 (with or without BOM) and falls back to Latin-1.
"""
import io
import re

import pandas as pd
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


def read_table(file: FileStorage | None, *, columns: dict[str, str]) -> list[dict]:
    """Rows of the uploaded table as dicts keyed by canonical column names.

    `columns` maps normalised header → canonical name (e.g. {"classname": "class_name"}).
    Every value is a stripped string or None. Row dicts carry `_row`: the row's
    number in the file (the header is row 1).
    """
    content, kind = read_upload(file)
    if not content.strip():
        raise ValidationFailed("The file is empty", details={"file": ["Empty file."]})
    first_row = 2  # the header is row 1
    try:
        if kind == "xlsx":
            frame = pd.read_excel(io.BytesIO(content), dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            text = decode_csv(content)
            body = text.lstrip("\r\n")
            first_row += text[:len(text) - len(body)].count("\n")
            # Blank lines are kept (and dropped below) so that row numbers stay file line numbers.
            frame = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False,
                                skipinitialspace=True, skip_blank_lines=False)
    except pd.errors.EmptyDataError as exc:
        raise ValidationFailed("The file has no header row", details={"file": ["No header row."]}) from exc
    except Exception as exc:  # pandas raises many parser errors; all mean "unreadable"
        raise ValidationFailed("The file could not be read as a table",
                               details={"file": ["Unreadable table."]}) from exc
    rename = {}
    for header in frame.columns:
        canonical = columns.get(normalise_header(header))
        if canonical:
            rename[header] = canonical
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
