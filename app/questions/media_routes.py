"""Question media: upload, list and delete (the question's authors), and serving by signed URL."""
import io

from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload

from app.common.apidoc import file_download
from app.common.authz import current_actor, get_visible_question, role_required
from app.common.clock import utcnow
from app.common.schemas import BaseSchema, MessageSchema
from app.errors import ValidationFailed
from app.questions import media, services
from app.questions.media_urls import open_signed_media, signed_url
from app.questions.models import MEDIA_TYPES
from app.questions.schemas import MediaQuerySchema, MediaSchema

blp = Blueprint("media", __name__, url_prefix="/api", description="Images in questions")
AUTHORS = ("admin", "teacher")


class MediaFileSchema(BaseSchema):
    file = Upload()


def _shown(item, actor, now) -> dict:
    """A media item as its author sees it, with a URL signed for them."""
    return {"id": item.id, "question_id": item.question_id, "filename": item.filename,
            "content_type": item.content_type, "size": item.size, "reference": item.reference,
            "created_at": item.created_at, "url": signed_url(item.id, viewer_id=actor.id, attempt_id=None, now=now)}


def _uploaded_bytes(files: dict) -> tuple[str, bytes]:
    upload = files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed("Attach the image as multipart field 'file'", details={"file": ["Required."]})
    # One byte past the cap is enough for the service to refuse it (413).
    return upload.filename, upload.read(media.max_bytes() + 1)


@blp.route("/questions/<uuid:question_id>/media")
class QuestionMedia(MethodView):
    @blp.response(200, MediaSchema(many=True))
    @role_required(*AUTHORS)
    def get(self, question_id):
        """The images of a question, each with its reference and a URL signed for the caller."""
        actor, now = current_actor(), utcnow()
        question = get_visible_question(str(question_id), actor)
        return [_shown(item, actor, now) for item in media.list_question_media(question)]

    @blp.arguments(MediaFileSchema, location="files")
    @blp.response(201, MediaSchema)
    @role_required(*AUTHORS)
    def post(self, files, question_id):
        """Add an image (PNG, JPEG, GIF or WebP, by content) to a question."""
        actor, now = current_actor(), utcnow()
        question = get_visible_question(str(question_id), actor)
        filename, data = _uploaded_bytes(files)
        item = media.store_question_media(question, filename=filename, data=data, actor=actor, now=now)
        return _shown(item, actor, now)


@blp.route("/questions/<uuid:question_id>/media/<uuid:media_id>", methods=["DELETE"])
@blp.response(200, MessageSchema)
@role_required(*AUTHORS)
def delete_question_media(question_id, media_id):
    """Delete an image of a question."""
    actor = current_actor()
    question = get_visible_question(str(question_id), actor)
    services.delete_question_media(question, str(media_id), actor=actor, now=utcnow())
    return {"message": "Media deleted"}


@blp.route("/media/<uuid:media_id>", methods=["GET"])
@blp.arguments(MediaQuerySchema, location="query")
@blp.response(200, description="The image")
@file_download(*MEDIA_TYPES, inline=True)
def serve_media(query, media_id):
    """An image by signed URL, with no Authorization header.

    The URL (a question's `url`, or one written into the HTML shown to a student) is
    signed for one viewer and expires, so it works in an `<img>` tag.
    """
    item, data = open_signed_media(str(media_id), query, now=utcnow())
    response = send_file(io.BytesIO(data), mimetype=item.content_type, download_name=item.filename,
                         max_age=0, etag=item.sha256)
    # Even an image that is also something else (a polyglot) is never run as a page.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
