"""Question bank files other systems write: Moodle XML and GIFT, read and written.

Pure functions, no database: a parser turns a file into `Parsed` items in file order,
each a question in the bank's create-payload shape or a reason it is not one; a
writer turns create-payload dicts back into a file. Validation is the bank's own
(`QuestionCreateSchema`), applied by `app.questions.importing`.
"""
from dataclasses import dataclass, field

FORMATS = ("moodle_xml", "gift", "csv", "json")
EXPORT_FORMATS = ("moodle_xml", "gift")


@dataclass
class Parsed:
    """One question of a file: `question` is set when the file's question maps to a
    bank type; otherwise `status` says why not ("error" or "unsupported"). `files` are
    the images it embeds, by the name its HTML refers to (`@@PLUGINFILE@@/<name>`),
    decoded but not yet checked (the importer types them as an upload is typed)."""

    name: str | None
    type: str | None
    question: dict | None = None
    status: str = "ok"
    message: str | None = None
    line: int | None = None
    notes: list[str] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def error(cls, name, type_, message, *, line=None):
        return cls(name=name, type=type_, status="error", message=message, line=line)

    @classmethod
    def unsupported(cls, name, type_, message, *, line=None):
        return cls(name=name, type=type_, status="unsupported", message=message, line=line)


class FileRefused(ValueError):
    """The file as a whole cannot be read (not well-formed, unsafe XML, no questions)."""
