"""GIFT's lexical rules: `\\` escapes `~ = # { } :` (and `\\n` is a new line), and the
answer block's separators count only when not escaped."""
import re

SPECIAL = "~=#{}:"
ESCAPE = re.compile(r"\\(.)", re.S)


def find(text: str, token: str, start: int = 0) -> int:
    """The first unescaped `token` at or after `start`, or -1."""
    i = start
    while i <= len(text) - len(token):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(token, i):
            return i
        i += 1
    return -1


def split_answers(body: str) -> tuple[str, list[tuple[str, str]]]:
    """What precedes the first unescaped `=`/`~`, and each (marker, raw text) after it."""
    marks = []
    i = 0
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] in "=~":
            marks.append(i)
        i += 1
    head = body[:marks[0]] if marks else body
    ends = marks[1:] + [len(body)] if marks else []
    return head, [(body[m], body[m + 1:end]) for m, end in zip(marks, ends, strict=True)]


def unescape(text: str) -> str:
    def one(match):
        char = match.group(1)
        if char == "n":
            return "\n"
        return char if char in SPECIAL + "\\" else match.group(0)
    return ESCAPE.sub(one, text)


def escape(text: str) -> str:
    text = str(text).replace("\\", "\\\\")
    for char in SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\n", "\\n")
