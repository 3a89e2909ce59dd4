"""/api/classes: classes, their teachers and students (seed 001 §5.5).

Admins manage every class; a teacher sees the classes they teach and may assign
or remove students there. Students are refused (403).
"""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from app.classes import schemas, services
from app.common.apidoc import documents_errors
from app.common.authz import current_actor, get_managed_class, get_visible_class, role_required
from app.common.idempotency import idempotent
from app.common.pagination import PageQuerySchema, ordering_field, page_schema
from app.common.schemas import MessageSchema

blp = Blueprint("classes", __name__, url_prefix="/api/classes", description="Classes")
STAFF = ("admin", "teacher")


class ClassListQuery(PageQuerySchema, schemas.ClassListQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


class AssignedStudentsSchema(MessageSchema):
    student_ids = fields.List(fields.String(), required=True)


ClassPage = page_schema(schemas.ClassSchema, "ClassPage")


@blp.route("")
class Classes(MethodView):
    @blp.arguments(ClassListQuery, location="query")
    @blp.response(200, ClassPage)
    @role_required(*STAFF)
    def get(self, params):
        """List classes.

        Teachers see the classes assigned to them.
        """
        return services.list_classes(current_actor(), params)

    @blp.arguments(schemas.ClassCreateSchema)
    @blp.response(201, schemas.ClassDetailSchema)
    @role_required("admin")
    @documents_errors(409)
    @idempotent
    def post(self, body):
        """Create a class."""
        return services.create_class(body, actor=current_actor())


@blp.route("/<string:class_id>")
class ClassItem(MethodView):
    @blp.response(200, schemas.ClassDetailSchema)
    @role_required(*STAFF)
    def get(self, class_id):
        """Read one class."""
        return services.class_detail(get_visible_class(class_id, current_actor()))

    @blp.arguments(schemas.ClassUpdateSchema)
    @blp.response(200, schemas.ClassDetailSchema)
    @role_required("admin")
    @documents_errors(409)
    def put(self, body, class_id):
        """Update a class."""
        actor = current_actor()
        return services.update_class(get_visible_class(class_id, actor), body, actor=actor)

    @blp.response(200, MessageSchema)
    @role_required("admin")
    def delete(self, class_id):
        """Delete a class."""
        actor = current_actor()
        services.delete_class(get_visible_class(class_id, actor), actor=actor)
        return {"message": "Class deleted"}


@blp.route("/<string:class_id>/assign-teacher", methods=["POST"])
@blp.arguments(schemas.AssignTeacherSchema)
@blp.response(200, MessageSchema)
@role_required("admin")
def assign_teacher(body, class_id):
    """Assign a teacher to a class."""
    actor = current_actor()
    services.assign_teacher(get_visible_class(class_id, actor), body["teacher_id"], actor=actor)
    return {"message": "Teacher assigned successfully"}


@blp.route("/<string:class_id>/teachers/<string:teacher_id>", methods=["DELETE"])
@blp.response(200, MessageSchema)
@role_required("admin")
def unassign_teacher(class_id, teacher_id):
    """Remove a teacher from a class."""
    actor = current_actor()
    services.unassign_teacher(get_visible_class(class_id, actor), teacher_id, actor=actor)
    return {"message": "Teacher removed from class"}


@blp.route("/<string:class_id>/assign-students", methods=["POST"])
@blp.arguments(schemas.AssignStudentsSchema)
@blp.response(200, AssignedStudentsSchema)
@role_required(*STAFF)
def assign_students(body, class_id):
    """Move students into a class."""
    actor = current_actor()
    moved = services.assign_students(get_managed_class(class_id, actor), body["student_ids"], actor=actor)
    return {"message": "Students assigned successfully", "student_ids": moved}


@blp.route("/<string:class_id>/students/<string:student_id>", methods=["DELETE"])
@blp.response(200, MessageSchema)
@role_required(*STAFF)
def remove_student(class_id, student_id):
    """Remove a student from a class."""
    actor = current_actor()
    services.remove_student(get_managed_class(class_id, actor), student_id, actor=actor)
    return {"message": "Student removed from class"}
