"""The SAM transform of a template, offline: what CloudFormation receives.

    .venv/bin/python scripts/template/transform.py [template.yaml] > out.json

samtranslator (installed with aws-sam-cli) expands every AWS::Serverless::*
resource into plain CloudFormation: the functions' roles with their inline
policies, event source mappings, permissions. Checks that must see what
CloudFormation sees (cfn-lint's cycle check, the IAM check) run on this, not
on template.yaml, because cfn-lint skips cycles that pass through SAM
resources. Local CodeUris become S3 URIs (as `sam package` would make them)
and managed policies resolve to nothing (no IAM call is made).
"""

import copy
import json
import logging
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# The pseudo parameters the checks resolve ARNs with.
PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "streamer-events",
}


class _NoManagedPolicies:
    """samtranslator asks IAM for the managed policies' ARNs; offline there are none."""

    def load(self):
        return {}


def transform_doc(template, parameter_values=None):
    """The CloudFormation template SAM makes of a parsed SAM template (a copy)."""
    # samtranslator's metrics and region lookup: quiet, and on loopback.
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    os.environ.setdefault("AWS_REGION", PSEUDO["AWS::Region"])
    os.environ.setdefault("AWS_DEFAULT_REGION", PSEUDO["AWS::Region"])
    doc = copy.deepcopy(template)
    for name, resource in doc.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            code = props.get("CodeUri")
            if isinstance(code, str) and not code.startswith("s3://"):
                props["CodeUri"] = f"s3://artifacts/{name}.zip"
    values = dict(PSEUDO) if parameter_values is None else parameter_values
    return transform(doc, values, _NoManagedPolicies())


def load(path):
    """The SAM template at `path`, parsed (CloudFormation's short forms too)."""
    with open(path, encoding="utf-8") as f:
        return yaml_parse(f.read())


def transformed(path):
    """The CloudFormation template SAM makes of the template at `path`."""
    return transform_doc(load(path))


if __name__ == "__main__":
    json.dump(transformed(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"), sys.stdout, indent=1)
    sys.stdout.write("\n")
