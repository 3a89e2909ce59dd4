"""GET /api/asyncapi.json: the Socket.IO interface as an AsyncAPI 3.0 document."""
from flask import current_app, request
from flask_smorest import Blueprint

from app.realtime.asyncapi import ASYNCAPI_VERSION, asyncapi_document

blp = Blueprint("realtime", __name__, url_prefix="/api", description="The Socket.IO interface")

_DOCUMENT = {"type": "object", "required": ["asyncapi", "info", "channels", "operations", "components"],
             "properties": {"asyncapi": {"type": "string", "enum": [ASYNCAPI_VERSION]}},
             "description": "An AsyncAPI 3.0 document (https://www.asyncapi.com/docs/reference/specification/v3.0.0)"}


@blp.route("/asyncapi.json")
@blp.doc(security=[], operationId="getAsyncApiDocument",
         summary="The Socket.IO interface as an AsyncAPI 3.0 document",
         description="Both namespaces: authentication, every client event with its acknowledgement, every "
                     "server event with its payload schema. `servers` names the host that was asked.",
         responses={"200": {"description": "OK", "content": {"application/json": {"schema": _DOCUMENT}}}})
def asyncapi_json():
    return asyncapi_document(host=request.host, secure=request.scheme == "https",
                             version=current_app.config["VERSION"])
