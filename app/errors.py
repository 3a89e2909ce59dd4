"""Domain errors and the one place that maps every error to the contract's envelope.

Services raise `DomainError` subclasses; nothing below the routes calls `abort()`.
"""
import logging
import uuid

from flask import current_app, g, has_app_context, jsonify, request
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from app.common.clock import isoformat, utcnow

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    error = "Bad request"
    error_code = "BAD_REQUEST"

    def __init__(self, message: str | None = None, *, details: dict | None = None,
                 error_code: str | None = None, headers: dict | None = None):
        super().__init__(message or self.error)
        self.message = message or self.error
        self.details = details or {}
        self.headers = headers or {}
        if error_code:
            self.error_code = error_code


class BadRequest(DomainError):
    status, error, error_code = 400, "Bad request", "BAD_REQUEST"


class InvalidJSON(BadRequest, ValueError):
    """A body or packet that is not JSON (app.common.strict_json). Also a ValueError, so
    that a caller expecting a decoder's ValueError (`request.get_json(silent=True)`) gets one."""

    error, error_code = "Malformed JSON", "INVALID_JSON"


class Unauthorized(DomainError):
    status, error, error_code = 401, "Authentication required", "UNAUTHORIZED"


class Forbidden(DomainError):
    status, error, error_code = 403, "You are not allowed to do this", "FORBIDDEN"


class NotFound(DomainError):
    status, error, error_code = 404, "Resource not found", "NOT_FOUND"


class Conflict(DomainError):
    status, error, error_code = 409, "Conflict with the current state", "CONFLICT"


class InvalidState(Conflict):
    error_code = "INVALID_STATE"


class PayloadTooLarge(DomainError):
    status, error, error_code = 413, "Upload too large", "PAYLOAD_TOO_LARGE"


class UnsupportedMediaType(DomainError):
    status, error, error_code = 415, "Unsupported media type", "UNSUPPORTED_MEDIA_TYPE"


class ValidationFailed(DomainError):
    status, error, error_code = 422, "Validation failed", "VALIDATION_ERROR"


HTTP_ERROR_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE", 422: "VALIDATION_ERROR", 429: "RATE_LIMITED",
    500: "INTERNAL_ERROR", 503: "SERVICE_UNAVAILABLE",
}
# Every `error_code` an HTTP response can carry, for the `Error` schema's enum: the
# framework's (above), the domain errors' defaults and each one raised with its own
# code. tests/test_openapi_contract.py greps the app for `error_code="…"` and fails
# when a code is missing here.
ERROR_CODES = (
    "ACCESS_CODE_REQUIRED", "ACCESS_CODE_TAKEN", "ALREADY_ACTIVE", "ALREADY_ARCHIVED", "ALREADY_CLAIMED",
    "ALREADY_PUBLISHED", "ATTEMPT_CLOSED", "ATTEMPT_IN_PROGRESS", "ATTEMPT_NOT_REOPENABLE", "BAD_REQUEST",
    "CLAIM_REFUSED", "CLASS_EXISTS", "CONFLICT", "EMAIL_TAKEN", "FORBIDDEN", "IDEMPOTENCY_KEY_REUSED",
    "IMPORT_CONFLICT", "INACTIVE", "INTERNAL_ERROR", "INVALID_CREDENTIALS", "INVALID_JSON", "INVALID_STATE",
    "MEDIA_NAME_TAKEN", "MEDIA_URL_EXPIRED", "METHOD_NOT_ALLOWED",
    "NOTHING_TO_RESET", "NOT_FOUND", "NO_ATTEMPTS_LEFT", "OVERRIDE_EXISTS", "PAYLOAD_TOO_LARGE",
    "QUESTION_HAS_ANSWERS", "QUESTION_IN_USE", "QUIZ_HAS_ATTEMPTS", "QUIZ_NOT_OPEN", "QUIZ_NOT_READY",
    "RATE_LIMITED", "REGISTRATION_NUMBER_TAKEN", "RESET_CODE_INVALID", "RESET_TOKEN_INVALID",
    "SELF_DEACTIVATION", "SERVICE_UNAVAILABLE", "START_CONFLICT", "TIME_EXPIRED", "TOKEN_EXPIRED",
    "TOKEN_INVALID", "TOKEN_MISSING", "TOKEN_NOT_FRESH", "TOKEN_REUSED", "TOKEN_REVOKED",
    "UNAUTHORIZED", "UNREADABLE_FILE", "UNSUPPORTED_MEDIA_TYPE", "VALIDATION_ERROR",
)
HTTP_ERROR_TITLES = {
    400: "Bad request", 401: "Authentication required", 403: "You are not allowed to do this",
    404: "Resource not found", 405: "Method not allowed", 409: "Conflict with the current state",
    413: "Upload too large", 415: "Unsupported media type", 422: "Validation failed",
    429: "Too many requests", 500: "Internal server error", 503: "Service temporarily unavailable",
}


def error_response(status: int, message: str, *, error_code: str | None = None,
                   details: dict | None = None, error: str | None = None, headers=None, **extra):
    body = {
        "error": error or HTTP_ERROR_TITLES.get(status, "Error"),
        "error_code": error_code or HTTP_ERROR_CODES.get(status, "ERROR"),
        "message": message,
        "details": details or {},
        "timestamp": isoformat(utcnow()),
        **extra,
    }
    if has_app_context():  # the X-Request-ID header's value, to quote when reporting
        body["request_id"] = g.setdefault("request_id", uuid.uuid4().hex)
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten_webargs_messages(messages: dict) -> dict:
    """webargs nests errors by location ({"json": {...}}); the contract wants {field: [...]}."""
    flat: dict = {}
    for location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            for field, errors in fields.items():
                # A multipart part without a name arrives keyed None: JSON keys are text.
                flat[str(field) if field is not None else "_unnamed"] = (
                    errors if isinstance(errors, (list, dict)) else [errors])
        else:
            flat[location] = fields if isinstance(fields, list) else [fields]
    return flat


def handle_domain_error(exc: DomainError):
    return error_response(exc.status, exc.message, error_code=exc.error_code,
                          details=exc.details, error=exc.error, headers=exc.headers)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    if status == 422 and "messages" in data:
        details = _flatten_webargs_messages(data["messages"])
        return error_response(422, "One or more fields are invalid", details=details)
    headers = {}
    if status == 429:
        headers["Retry-After"] = str(_retry_after_seconds(exc))
        return error_response(429, "Too many requests, try again later", headers=headers)
    if status == 400 and "messages" in data:
        return error_response(400, "The request body is malformed",
                              details=_flatten_webargs_messages(data["messages"]))
    if status == 405:
        methods = _static_route_methods() or getattr(exc, "valid_methods", None)
        if methods:
            headers["Allow"] = ", ".join(sorted(methods))
    message = exc.description if status < 500 else "Unexpected error"
    return error_response(status, message, headers=headers)


def _retry_after_seconds(exc) -> int:
    limit = getattr(exc, "limit", None)
    try:
        return max(1, int(limit.limit.get_expiry()))
    except Exception:  # the limiter's object is optional on the exception
        return 60


def is_database_unavailable(exc: Exception) -> bool:
    # PoolTimeout: every pooled connection stayed busy for DB_POOL_TIMEOUT; retry later.
    return isinstance(exc, (OperationalError, PoolTimeout)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def handle_unexpected(exc: Exception):
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # a connection lost mid-transaction: the pool discards it; the answer stays the same
        log.warning("rollback after %s failed", exc.__class__.__name__, exc_info=True)
    if is_database_unavailable(exc):
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return error_response(503, "The database is unavailable, retry shortly",
                              headers={"Retry-After": "5"})
    error_id = uuid.uuid4().hex
    log.exception("unhandled error %s", error_id)
    return error_response(500, "An unexpected error occurred; quote the error_id when reporting it",
                          error_id=error_id)


def reject_unsupported_media_type() -> None:
    """A body is JSON (or a multipart upload); anything else is 415, not a puzzling 422."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.path.startswith("/api"):
        return
    if not request.content_length or request.is_json or request.mimetype == "multipart/form-data":
        return
    raise UnsupportedMediaType("Send the request body as application/json",
                               details={"content_type": [request.mimetype or "missing"]})


def _static_route_methods() -> set[str]:
    """Methods of the routes without parameters whose path is exactly this request's."""
    # Built once per URL map: Flask refuses new routes once the app has served a request.
    url_map = current_app.url_map
    by_path = url_map.__dict__.get("_qms_static_methods")
    if by_path is None:
        by_path = {}
        for rule in url_map.iter_rules():
            if not rule.arguments:
                by_path.setdefault(rule.rule, set()).update(rule.methods or ())
        url_map.__dict__["_qms_static_methods"] = by_path
    return set(by_path.get(request.path, ()))


def reject_method_on_static_path():
    """`GET /api/attempts/reset` matches `/api/attempts/<attempt_id>` too; when a route
    without parameters has exactly this path, the method is not allowed here: 405 with
    that route's methods, not a 404 about an object named "reset". OPTIONS answers
    that route's methods alone."""
    if not request.path.startswith("/api") or not (request.view_args or request.method == "OPTIONS"):
        return None
    allowed = _static_route_methods()
    if allowed and request.method == "OPTIONS":
        if set(current_app.url_map.bind_to_environ(request.environ).allowed_methods()) == allowed:
            return None
        response = current_app.response_class(status=200)
        response.headers["Allow"] = ", ".join(sorted(allowed))
        return response
    if allowed and request.method not in allowed:
        raise MethodNotAllowed(valid_methods=sorted(allowed))
    return None


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
