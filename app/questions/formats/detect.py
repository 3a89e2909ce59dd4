"""Which format an uploaded question file is in, from its content (the name only breaks ties)."""
import re

XLSX_MAGIC = b"PK\x03\x04"
CSV_HEADER = re.compile(r"^\ufeff?[\"']?(text|question|questiontext|type)[\"']?\s*[,;]", re.I)


def detect_format(content: bytes, filename: str = "") -> str | None:
    """`moodle_xml`, `json`, `csv` or `gift`; None when nothing fits."""
    if content.startswith(XLSX_MAGIC):
        return "csv"
    head = content[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return "moodle_xml"
    if head.startswith(("[", "{")) and not head.startswith(("[html]", "[markdown]", "[plain]", "[moodle]")):
        return "json"
    if CSV_HEADER.match(head) or filename.lower().endswith((".csv", ".xlsx")):
        return "csv"
    if "{" in head or filename.lower().endswith(".gift") or head.startswith(("//", "::", "$CATEGORY")):
        return "gift"
    return None
