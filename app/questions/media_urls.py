"""Signed URLs for question media, and the one rewrite of `@@PLUGINFILE@@` references.

An `<img>` tag sends no Authorization header, so a question's image is served at
`/api/media/<id>?viewer=…&attempt=…&expires=…&sig=…`: an HMAC (itsdangerous,
keyed by `SECRET_KEY`) over the media id, the viewer, the attempt it was shown in
(if any) and the expiry. A URL is minted only for someone who may see the question
at that moment, lives `MEDIA_URL_TTL_SECONDS`, and the serving route checks it all
again: signature, expiry, the viewer still active, and the same visibility rule
(`app.common.authz.may_see_question_media`), so closing review or deactivating an
account stops URLs already handed out.
"""
import calendar
import hashlib
import html
import re
from datetime import timedelta
from urllib.parse import unquote, urlencode

from flask import current_app, has_request_context, url_for
from itsdangerous import Signer

from app.common.authz import may_see_question_media
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.questions.media import media_by_name, read_question_media
from app.questions.models import PLUGINFILE, QuestionMedia
from app.users.models import User

SALT = "question-media-url"
REFERENCE = re.compile(re.escape(PLUGINFILE) + r"/([^\"'\s<>?#]+)")


def rewrite_media_references(text: str | None, urls_by_name) -> str | None:
    """`text` with each `@@PLUGINFILE@@/<name>` replaced by `urls_by_name[name]`.

    Names are matched URL-decoded (Moodle writes `my%20map.png`); a reference to a
    name not in the mapping is left as it is. The text is HTML, so URLs go in escaped.
    """
    if not text or PLUGINFILE not in text:
        return text

    def replace(match):
        url = urls_by_name.get(unquote(html.unescape(match.group(1))))
        return html.escape(url) if url is not None else match.group(0)

    return REFERENCE.sub(replace, text)


def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=SALT, digest_method=hashlib.sha256)


def _message(media_id: str, viewer_id: str, attempt_id: str | None, expires: int) -> bytes:
    return f"{media_id}|{viewer_id}|{attempt_id or ''}|{expires}".encode()


def _timestamp(moment) -> int:
    """Seconds since the epoch of a naive UTC datetime (the app's clock)."""
    return calendar.timegm(moment.utctimetuple())


def signed_url(media_id: str, *, viewer_id: str, attempt_id: str | None, now) -> str:
    expires = _timestamp(now + timedelta(seconds=current_app.config["MEDIA_URL_TTL_SECONDS"]))
    signature = _signer().get_signature(_message(media_id, viewer_id, attempt_id, expires)).decode()
    query = {"viewer": viewer_id, **({"attempt": attempt_id} if attempt_id else {}),
             "expires": expires, "sig": signature}
    if has_request_context():
        return url_for("media.serve_media", media_id=media_id, _external=True, **query)
    return f"/api/media/{media_id}?{urlencode(query)}"


def references_media(*texts) -> bool:
    return any(text and PLUGINFILE in text for text in texts)


def urls_by_question(question_ids, *, viewer_id: str, attempt_id: str | None, now) -> dict[str, dict[str, str]]:
    """{question id: {filename: signed URL}} for a viewer the caller already checked."""
    return {qid: {name: signed_url(media.id, viewer_id=viewer_id, attempt_id=attempt_id, now=now)
                  for name, media in files.items()}
            for qid, files in media_by_name(question_ids).items()}


def open_signed_media(media_id: str, query: dict, *, now) -> tuple[QuestionMedia, bytes]:
    """The image a signed URL names, once the URL and the viewer's right are checked.

    A forged or altered URL, and one for a viewer who may no longer see the question,
    is "not found"; an intact URL past its expiry is 403 `MEDIA_URL_EXPIRED`.
    """
    viewer_id, attempt_id = query.get("viewer") or "", query.get("attempt") or None
    expires = query.get("expires")
    if not _signer().verify_signature(_message(media_id, viewer_id, attempt_id, expires), query.get("sig") or ""):
        raise NotFound("Media not found")
    if expires < _timestamp(now):
        raise Forbidden("This image link has expired; reload the question", error_code="MEDIA_URL_EXPIRED")
    media = db.session.get(QuestionMedia, media_id)
    viewer = db.session.get(User, viewer_id)
    if media is None or viewer is None or not viewer.is_active or not may_see_question_media(
            media.question_id, viewer, attempt_id=attempt_id, now=now):
        raise NotFound("Media not found")
    return media, read_question_media(media)
