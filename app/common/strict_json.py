"""The one decoder of the JSON that clients send: request bodies and Socket.IO packets.

Python's `json` accepts, or crashes on, inputs that no client of this API sends:
- nesting deeper than the interpreter's recursion limit (`RecursionError`);
- an integer literal of more than 4,300 digits (`ValueError` from `int()`);
- a lone surrogate escape such as `"\\ud800"`, which decodes to a `str` that is not
  Unicode text: no UTF-8 encoder, and no utf8mb4 column, accepts it;
- `NaN` and `Infinity`, which are not JSON at all (RFC 8259).
Each of them, like any other syntax error, is `InvalidJSON` here (400 `INVALID_JSON`),
before a schema, a service or the database driver sees the value.
"""
import json
import re

from flask.json.provider import DefaultJSONProvider

from app.errors import InvalidJSON

NOT_JSON = "Invalid JSON body."
TOO_DEEP = "Nested too deeply."
LONE_SURROGATE = "A string holds a lone surrogate (\\ud800-\\udfff), which is not Unicode text."
TOO_MANY_DIGITS = "A number has too many digits."
NOT_A_NUMBER = "NaN and Infinity are not JSON numbers."

_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(document: str | bytes | bytearray):
    """The value of a JSON document, or `InvalidJSON` saying what is wrong with it."""
    try:
        text = _text(document)
        value = _DECODER.decode(text)
    except RecursionError as exc:
        raise _invalid(TOO_DEEP) from exc
    except InvalidJSON:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid(NOT_JSON) from exc
    except ValueError as exc:  # int() refuses a literal of more than sys.get_int_max_str_digits()
        raise _invalid(TOO_MANY_DIGITS) from exc
    # Strict UTF-8 leaves no surrogate in `text`: only a `\u` escape can make one, and
    # most bodies have none, so the walk is skipped (the autosave is a hot path).
    if "\\u" in text and _holds_lone_surrogate(value):
        raise _invalid(LONE_SURROGATE)
    return value


def _text(document) -> str:
    if isinstance(document, (bytes, bytearray)):
        # Strict UTF-8 (RFC 8259), not `json.loads`' own guess of the encoding, which
        # decodes with "surrogatepass" and so turns the bytes ED A0 80 into a lone surrogate.
        return bytes(document).decode("utf-8")
    if _SURROGATE.search(document):  # already text (a Socket.IO frame): refuse raw surrogates too
        raise _invalid(LONE_SURROGATE)
    return document


def _invalid(reason: str) -> InvalidJSON:
    return InvalidJSON("The request body is not valid JSON", details={"json": [reason]})


def _refuse_constant(name: str):
    raise _invalid(NOT_A_NUMBER)


# One decoder, built once: `json.loads` with any option builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _holds_lone_surrogate(value) -> bool:
    # A valid pair of escapes decodes to one astral character, so any surrogate left
    # in a decoded string is a lone one. Iterative: the value may be nested ~1,000 deep.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider (`request.get_json`), decoding with `loads` above."""

    def loads(self, s, **kwargs):
        return loads(s)


class SocketJSON:
    """The JSON module given to Socket.IO: packets are decoded like request bodies."""

    dumps = staticmethod(json.dumps)
    loads = staticmethod(loads)
