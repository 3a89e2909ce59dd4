"""/api/teachers: teachers, their classes and students (seed 001 §5.4).

An admin sees every teacher; a teacher sees only themself (anyone else is 404).
Students are refused (403).
"""
from flask.views import MethodView
from flask_smorest import Blueprint

from app.classes import services as class_services
from app.classes.routes import ClassListQuery, ClassPage
from app.common.authz import current_actor, get_visible_teacher, role_required
from app.common.pagination import PageQuerySchema, ordering_field, page_schema
from app.students import services as student_services
from app.students.routes import StudentListQuery, StudentPage
from app.teachers import services
from app.teachers.schemas import TeacherListQuerySchema, TeacherSchema

blp = Blueprint("teachers", __name__, url_prefix="/api/teachers", description="Teachers")
STAFF = ("admin", "teacher")


class TeacherListQuery(PageQuerySchema, TeacherListQuerySchema):
    ordering = ordering_field(services.ORDERINGS)


TeacherPage = page_schema(TeacherSchema, "TeacherPage")


@blp.route("")
class Teachers(MethodView):
    @blp.arguments(TeacherListQuery, location="query")
    @blp.response(200, TeacherPage)
    @role_required(*STAFF)
    def get(self, params):
        """List teachers."""
        return services.list_teachers(current_actor(), params)


@blp.route("/<string:teacher_id>")
@blp.response(200, TeacherSchema)
@role_required(*STAFF)
def get_teacher(teacher_id):
    """Read one teacher."""
    return services.teacher_detail(get_visible_teacher(teacher_id, current_actor()))


def _list_for_visible_teacher(list_items, params: dict, teacher_id: str) -> dict:
    """A list narrowed to one teacher's classes, for a teacher the caller may see (404 otherwise)."""
    actor = current_actor()
    teacher = get_visible_teacher(teacher_id, actor)
    return list_items(actor, {**params, "teacher_id": teacher.id})


@blp.route("/<string:teacher_id>/classes")
@blp.arguments(ClassListQuery, location="query")
@blp.response(200, ClassPage)
@role_required(*STAFF)
def teacher_classes(params, teacher_id):
    """List a teacher's classes."""
    return _list_for_visible_teacher(class_services.list_classes, params, teacher_id)


@blp.route("/<string:teacher_id>/students")
@blp.arguments(StudentListQuery, location="query")
@blp.response(200, StudentPage)
@role_required(*STAFF)
def teacher_students(params, teacher_id):
    """List the students of a teacher's classes."""
    return _list_for_visible_teacher(student_services.list_students, params, teacher_id)
