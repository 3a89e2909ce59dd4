"""/api/notifications (seed 000 §4.1) and a teacher's broadcast to a class (seed 003)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from app.common.authz import current_actor, get_visible_class, role_required
from app.common.idempotency import idempotent
from app.common.pagination import PageQuerySchema, ordering_field, page_schema
from app.notifications import services
from app.notifications.schemas import (
    BroadcastResultSchema,
    BroadcastSchema,
    NotificationListQuerySchema,
    NotificationReadSchema,
    NotificationSchema,
    ReadAllSchema,
    SuccessSchema,
    UnreadCountSchema,
)

blp = Blueprint("notifications", __name__, url_prefix="/api", description="Notifications")


class NotificationListQuery(PageQuerySchema, NotificationListQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


class NotificationPage(page_schema(NotificationSchema, "NotificationPageBase")):
    unread_count = fields.Integer(required=True)


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationListQuery, location="query")
    @blp.response(200, NotificationPage)
    @role_required()
    def get(self, params):
        """List the caller's notifications."""
        return services.list_notifications(current_actor(), params)


@blp.route("/notifications/unread-count")
@blp.response(200, UnreadCountSchema)
@role_required()
def unread_count():
    """Count the caller's unread notifications."""
    return {"unread_count": services.unread_count(current_actor().id)}


@blp.route("/notifications/read-all", methods=["POST"])
@blp.response(200, ReadAllSchema)
@role_required()
def read_all():
    """Mark all the caller's notifications read."""
    return {"success": True, "count": services.mark_all_read(actor=current_actor())}


@blp.route("/notifications/<string(length=36):notification_id>/read", methods=["POST"])
@blp.response(200, NotificationReadSchema)
@role_required()
def read_one(notification_id):
    """Mark one notification read."""
    return {"success": True, "notification": services.mark_read(notification_id, actor=current_actor())}


@blp.route("/notifications/<string(length=36):notification_id>", methods=["DELETE"])
@blp.response(200, SuccessSchema)
@role_required()
def delete_one(notification_id):
    """Delete one notification."""
    services.delete_notification(notification_id, actor=current_actor())
    return {"success": True}


@blp.route("/classes/<string:class_id>/notify", methods=["POST"])
@blp.arguments(BroadcastSchema)
@blp.response(200, BroadcastResultSchema)
@role_required("teacher", "admin")
@idempotent
def notify_class(body, class_id):
    """Send a notification to every student of a class."""
    actor = current_actor()
    count = services.broadcast_to_class(get_visible_class(class_id, actor), body, actor=actor)
    return {"success": True, "notified_count": count, "message": f"Notification sent to {count} student(s)"}
