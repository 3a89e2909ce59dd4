"""/api/users: user management, admin only (seed 001 §5.2); and GET /api/auth/me, the
signed-in user's profile, which is built here: auth signs people in, users owns profiles."""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.common.apidoc import documents_errors
from app.common.authz import current_actor, role_required
from app.common.idempotency import idempotent
from app.common.pagination import PageQuerySchema, ordering_field, page_schema
from app.common.schemas import MessageSchema
from app.users import services
from app.users.schemas import MeSchema, UserCreateSchema, UserListQuerySchema, UserSchema, UserUpdateSchema

blp = Blueprint("users", __name__, url_prefix="/api", description="User management (admin)")


class UserListQuery(PageQuerySchema, UserListQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


UserPage = page_schema(UserSchema, "UserPage")


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(UserListQuery, location="query")
    @blp.response(200, UserPage)
    @role_required("admin")
    def get(self, params):
        """List user accounts."""
        return services.list_users(params)

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @role_required("admin")
    @documents_errors(409)
    @idempotent
    def post(self, body):
        """Create a user account."""
        return services.create_user(body, actor=current_actor())


@blp.route("/users/<string:user_id>")
class UserItem(MethodView):
    @blp.response(200, UserSchema)
    @role_required("admin")
    def get(self, user_id):
        """Read one user account."""
        return services.get_user(user_id)

    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    @role_required("admin")
    @documents_errors(409)
    def put(self, body, user_id):
        """Update a user account.

        A role change takes effect on the account's next request; deactivating revokes its tokens.
        """
        return services.update_user(services.get_user(user_id), body, actor=current_actor())

    @blp.response(200, MessageSchema)
    @role_required("admin")
    @documents_errors(409)
    def delete(self, user_id):
        """Deactivate a user account.

        A soft delete: `POST /api/users/{user_id}/restore` undoes it.
        """
        services.deactivate_user(services.get_user(user_id), actor=current_actor())
        return {"message": "User deleted successfully"}


@blp.route("/users/<string:user_id>/restore", methods=["POST"])
@blp.response(200, UserSchema)
@role_required("admin")
@documents_errors(409)
def restore_user(user_id):
    """Reactivate a deactivated user account."""
    return services.restore_user(services.get_user(user_id), actor=current_actor())


@blp.route("/auth/me", methods=["GET"])
@blp.response(200, MeSchema)
@blp.doc(tags=["auth"])
@role_required()
def me():
    """The signed-in user's profile."""
    return services.load_profile(current_actor())
