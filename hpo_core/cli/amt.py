"""``hpo export-amt``: write the ``CreateHyperParameterTuningJob`` request of a tuning job.

    hpo export-amt DIR [-o FILE] [--role-arn ARN] [--output-path S3URI]
                       [--instance-type TYPE] [--instance-count N] [--volume-gb N]
                       [--no-validate]

DIR is a job directory (its stored document is exported) or a job document file. The request
(JSON) goes to FILE or stdout, ready for ``aws sagemaker create-hyper-parameter-tuning-job
--cli-input-json file://FILE`` or ``boto3``'s ``create_hyper_parameter_tuning_job(**request)``.
Exit codes: 0 written; 2 the job cannot be exported (a one-line message naming the field).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``export-amt``."""
    p = subparsers.add_parser(
        "export-amt", help="write the CreateHyperParameterTuningJob request of a job",
        description="Write the request that runs this tuning job on SageMaker AMT.")
    p.add_argument("dir", metavar="DIR", help="job directory, or a job document file")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--role-arn", help="RoleArn for definitions without one")
    p.add_argument("--output-path", metavar="S3URI",
                   help="OutputDataConfig.S3OutputPath for definitions without one")
    p.add_argument("--instance-type", help="ResourceConfig.InstanceType for definitions "
                   "without a ResourceConfig")
    p.add_argument("--instance-count", type=int, default=1)
    p.add_argument("--volume-gb", type=int, default=30)
    p.add_argument("--no-validate", action="store_true",
                   help="skip the check against botocore's service model")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Export the job of ``args.dir``; 0 on success (errors are HPOError: exit 2)."""
    from hpo_core.jobs.amt_export import amt_request, validate

    request = amt_request(_document(Path(args.dir)), role_arn=args.role_arn,
                          output_path=args.output_path, instance_type=args.instance_type,
                          instance_count=args.instance_count, volume_gb=args.volume_gb)
    if not args.no_validate:
        try:
            validate(request)
        except ImportError:
            print("hpo export-amt: botocore is not installed; the request was not validated "
                  "(pip install 'hpo_core[aws]')", file=sys.stderr)
    text = json.dumps(request, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _document(path: Path) -> dict[str, Any]:
    from hpo_core.errors import JobStateError

    if path.is_dir():
        from hpo_core.jobs.store import Store

        store = Store(path)
        try:
            doc = store.get("document")
        finally:
            store.close()
        if doc is None:
            raise JobStateError(f"{path}: the job directory holds no job document yet")
        return dict(doc)
    from hpo_core.jobs.document import load_document

    return load_document(path)
