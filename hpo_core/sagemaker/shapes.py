"""Our service-shaped responses as a boto3 client returns them, and botocore's check of them.

:mod:`hpo_core.jobs.responses` writes times as ISO 8601 strings (JSON-ready); a boto3 client
returns ``datetime`` objects, and SDK code does arithmetic on them. :func:`as_boto` walks the
operation's output shape in botocore's service model and turns each timestamp member into a
UTC ``datetime``; members the shape does not know (our ``"Local"`` extras) are kept as they are.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

__all__ = ["as_boto", "output_shape", "validation_report"]


@cache
def _model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("sagemaker")


def output_shape(operation: str) -> Any:
    """The botocore output shape of SageMaker's ``operation``."""
    return _model().operation_model(operation).output_shape


def _convert(value: Any, shape: Any) -> Any:
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if kind == "structure" and isinstance(value, dict):
        return {k: _convert(v, shape.members[k]) if k in shape.members else v
                for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_convert(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _convert(v, shape.value) for k, v in value.items()}
    return value


def as_boto(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """``response`` with its timestamps as ``datetime`` (what a boto3 client returns)."""
    return _convert(response, output_shape(operation))  # type: ignore[no-any-return]


def validation_report(operation: str, response: dict[str, Any]) -> str:
    """botocore's report on ``response`` against the output shape (``""``: valid)."""
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(response, output_shape(operation))
    return report.generate_report()  # type: ignore[no-any-return]
