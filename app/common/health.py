"""GET /api/health: liveness plus the state of the database and Redis."""
from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from app.common.clock import isoformat, utcnow
from app.extensions import db

blp = Blueprint("health", __name__, url_prefix="/api", description="Service health")


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    timestamp = fields.String(required=True)
    version = fields.String(required=True)
    database = fields.String(required=True)
    redis = fields.String(required=True)


def database_state() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        db.session.rollback()
        return "unavailable"


def redis_state() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not_configured"
    try:
        import redis

        redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5).ping()
        return "ok"
    except Exception:
        return "unavailable"


@blp.route("/health")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="The database is unreachable")
def health():
    """Service health.

    `status`, the database and Redis; 503 when the database is unreachable. Needs no token.
    """
    database = database_state()
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "timestamp": isoformat(utcnow()),
        "version": current_app.config["VERSION"],
        "database": database,
        "redis": redis_state(),
    }
    return body, (200 if database == "ok" else 503)
