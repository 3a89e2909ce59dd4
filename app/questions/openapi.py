"""The question body in the OpenAPI document: a `oneOf` of one schema per type, with
`type` as discriminator, so a generated client knows each type's fields."""
from apispec import BasePlugin

from app.questions.schemas import question_body_schemas

BODY_OPERATIONS = {("/api/questions", "post"), ("/api/questions/", "post")}


class QuestionTypesPlugin(BasePlugin):
    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec
        self.refs: dict[str, str] | None = None

    def _register(self) -> dict[str, str]:
        if self.refs is None:
            self.refs = {}
            for question_type, schema in question_body_schemas().items():
                name = schema.__name__.removesuffix("Schema")
                if name not in self.spec.components.schemas:
                    self.spec.components.schema(name, schema=schema)
                self.refs[question_type] = f"#/components/schemas/{name}"
        return self.refs

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if (path, method) in BODY_OPERATIONS and isinstance(operation, dict) and "requestBody" in operation:
                refs = self._register()
                operation["requestBody"]["content"]["application/json"]["schema"] = {
                    "oneOf": [{"$ref": ref} for ref in refs.values()],
                    "discriminator": {"propertyName": "type", "mapping": refs},
                }
