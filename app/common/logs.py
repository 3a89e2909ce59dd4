"""Structured (JSON) logs carrying the request id."""
import json
import logging
import sys
import uuid

from flask import g, has_request_context, request


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = getattr(g, "request_id", None)
            entry["method"] = request.method
            entry["path"] = request.path
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_qms", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler._qms = True
    root.addHandler(handler)
    root.setLevel(level)


def assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    # Accept a proxy's id only when it looks like one; never echo arbitrary input.
    valid = 8 <= len(incoming) <= 64 and all(c.isalnum() or c in "-_" for c in incoming)
    g.request_id = incoming if valid else uuid.uuid4().hex
    request.request_id = g.request_id
