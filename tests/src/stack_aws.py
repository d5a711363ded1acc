"""The stack test's calls to the AWS emulator (moto) that are not the deploy itself, with boto3
from infra/test's virtualenv. The endpoint, region and dummy credentials come from the
environment (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).

  prepare CFN_IN CFN_OUT BUCKET PARAMS_JSON
      A throwaway bucket with one small zip per function; the expanded template's
      Code pointed at them and written compact; the SSM SecureStrings of PARAMS_JSON
      ({"name": "value", ...}) created. The code is never run by moto: the test runs the real
      bootstraps itself.
  describe STACK
      Prints, as JSON, what the stack created: its resources and outputs, each function's
      configuration and resource policy, each role's policies, the queues' and the table's
      attributes, and the schedule rules with their targets.
"""

import ast
import io
import json
import os
import sys
import zipfile

import boto3


def as_document(document):
    """A policy document: boto3 decodes IAM's JSON; moto's CloudFormation stores the policies of
    a role it creates as the text of a Python dict, which boto3 hands over as a string."""
    if isinstance(document, str):
        try:
            return json.loads(document)
        except ValueError:
            return ast.literal_eval(document)
    return document


def client(service):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def prepare(cfn_in, cfn_out, bucket, params_json):
    with open(cfn_in, encoding="utf-8") as f:
        template = json.load(f)
    s3 = client("s3")
    region = s3.meta.region_name
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    for logical, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("bootstrap", "#!/bin/sh\n# a stand-in: the stack test runs the real one\nexit 1\n")
        key = f"{logical}.zip"
        s3.put_object(Bucket=bucket, Key=key, Body=archive.getvalue())
        resource["Properties"]["Code"] = {"S3Bucket": bucket, "S3Key": key}
    with open(cfn_out, "w", encoding="utf-8") as f:
        json.dump(template, f, separators=(",", ":"))
    ssm = client("ssm")
    with open(params_json, encoding="utf-8") as f:
        params = json.load(f)
    for name, value in params.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString")


def describe(stack):
    cfn = client("cloudformation")
    resources = {}
    for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]:
        if not r.get("LogicalResourceId"):
            continue  # moto lists resources it does not model without their ids
        resources[r["LogicalResourceId"]] = {
            "type": r.get("ResourceType"),
            "physical": r.get("PhysicalResourceId"),
            "status": r.get("ResourceStatus"),
        }
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs") or []
    }
    if not outputs:
        # moto 5.2.5 evaluates a stack's outputs when the stack is created or updated, not when
        # a change set (what `aws cloudformation deploy` makes) creates its resources: there
        # are none then. The deployed template's outputs that are a plain Ref are resolved
        # here instead, the way CloudFormation does, from the stack's own resources.
        body = cfn.get_template(StackName=stack)["TemplateBody"]
        template = body if isinstance(body, dict) else json.loads(body)
        for key, output in (template.get("Outputs") or {}).items():
            value = output.get("Value")
            if isinstance(value, dict) and list(value) == ["Ref"] and value["Ref"] in resources:
                outputs[key] = resources[value["Ref"]]["physical"]
    lam, iam, sqs, ddb, events = (
        client("lambda"),
        client("iam"),
        client("sqs"),
        client("dynamodb"),
        client("events"),
    )
    functions, roles, queues, tables, rules = {}, {}, {}, {}, {}
    for logical, r in resources.items():
        kind, physical = r["type"], r["physical"]
        if kind == "AWS::Lambda::Function":
            config = lam.get_function_configuration(FunctionName=physical)
            config.pop("ResponseMetadata", None)
            try:
                policy = json.loads(lam.get_policy(FunctionName=physical)["Policy"])
            except lam.exceptions.ResourceNotFoundException:
                policy = None
            try:
                concurrency = lam.get_function_concurrency(FunctionName=physical).get(
                    "ReservedConcurrentExecutions"
                )
            except Exception:  # moto may not model it: the test says so when it matters
                concurrency = None
            functions[logical] = {
                "configuration": config,
                "policy": policy,
                "reserved_concurrency": concurrency,
            }
        elif kind == "AWS::IAM::Role":
            inline = []
            for name in iam.list_role_policies(RoleName=physical)["PolicyNames"]:
                document = iam.get_role_policy(RoleName=physical, PolicyName=name)["PolicyDocument"]
                document = as_document(document)
                inline.append({"name": name, "document": document})
            attached = [
                p["PolicyArn"]
                for p in iam.list_attached_role_policies(RoleName=physical)["AttachedPolicies"]
            ]
            role = iam.get_role(RoleName=physical)["Role"]
            trust = role.get("AssumeRolePolicyDocument")
            trust = as_document(trust)
            roles[logical] = {
                "name": physical,
                "arn": role["Arn"],
                "inline": inline,
                "attached": attached,
                "trust": trust,
            }
        elif kind == "AWS::SQS::Queue":
            attributes = sqs.get_queue_attributes(QueueUrl=physical, AttributeNames=["All"])
            queues[logical] = {"url": physical, "attributes": attributes.get("Attributes", {})}
        elif kind == "AWS::DynamoDB::Table":
            table = ddb.describe_table(TableName=physical)["Table"]
            tables[logical] = {"name": physical, "arn": table["TableArn"]}
        elif kind == "AWS::Events::Rule":
            rule = events.describe_rule(Name=physical)
            targets = events.list_targets_by_rule(Rule=physical)["Targets"]
            rules[logical] = {
                "name": physical,
                "arn": rule["Arn"],
                "schedule": rule.get("ScheduleExpression"),
                "state": rule.get("State"),
                "targets": [t["Arn"] for t in targets],
            }
    json.dump(
        {
            "resources": resources,
            "outputs": outputs,
            "functions": functions,
            "roles": roles,
            "queues": queues,
            "tables": tables,
            "rules": rules,
        },
        sys.stdout,
        default=str,
    )


def main(argv):
    if argv[:1] == ["prepare"] and len(argv) == 5:
        prepare(*argv[1:])
    elif argv[:1] == ["describe"] and len(argv) == 2:
        describe(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
