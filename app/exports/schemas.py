"""Export query parameters."""
from marshmallow import fields, validate

from app.common.schemas import BaseSchema


class ResultsExportQuerySchema(BaseSchema):
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))
    include_reset = fields.Boolean(load_default=False)


class AnalyticsExportQuerySchema(BaseSchema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(("pdf", "csv")))


class AnalyticsCsvExportQuerySchema(BaseSchema):
    """`/api/analytics/quiz/{id}/export` answers CSV unless asked otherwise (seed 001 §5.10)."""
    format = fields.String(load_default="csv", validate=validate.OneOf(("pdf", "csv")))
