#!/usr/bin/env python3
"""Expands a SAM template to plain CloudFormation, offline, with aws-sam-translator.

Usage: sam2cfn.py TEMPLATE.yaml OUT.json

cfn-lint on a SAM template validates the AWS::Serverless resources only against SAM's own
schema and misses mistakes such as a wrong runtime, a 5-field cron or an SQS batch size out of
range; on the expanded CloudFormation it catches them. The translator needs a region and a boto
session but no credentials, and makes no calls. CodeUri is replaced by a placeholder because
`sam build` (cargo-lambda) is not run here.
"""

import json
import sys

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

REGION = "eu-west-1"
PLACEHOLDER_CODE = "s3://placeholder-bucket/placeholder.zip"


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    source, target = argv
    with open(source, encoding="utf-8") as f:
        sam = yaml_parse(f.read())
    for resource in (sam.get("Resources") or {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = PLACEHOLDER_CODE
    translator = Translator(
        managed_policy_map={},
        sam_parser=Parser(),
        boto_session=boto3.session.Session(region_name=REGION),
    )
    try:
        cfn = translator.translate(
            sam,
            parameter_values={"AWS::Region": REGION, "AWS::Partition": "aws"},
            get_managed_policy_map=lambda: {},
        )
    except InvalidDocumentException as err:
        causes = "\n".join(f"  {cause.message}" for cause in err.causes)
        print(f"sam2cfn: {source} does not translate:\n{causes}", file=sys.stderr)
        return 1
    with open(target, "w", encoding="utf-8") as f:
        json.dump(cfn, f, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
