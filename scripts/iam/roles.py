"""The roles a SAM template gives its functions, as plain IAM policies with
every intrinsic resolved: the template is transformed with samtranslator
(what `sam deploy` hands CloudFormation), each function's role found, and
!Ref / !GetAtt / !Sub / !Join / !If resolved to the names and ARNs the
invoke_samples runner uses (tables by the physical names it created, in
region us-east-1 of account 123456789012).

A role's policies are split in two:
- the code's: what the function's own `Policies` (or its own `Role`'s
  inline policies and attached AWS::IAM::Policy resources) grant;
- the Lambda service's: what SAM adds for Lambda itself (the managed
  AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess,
  AWSLambdaDynamoDBExecutionRole, the SQS/SNS failure destination's inline
  policy), which the functions' code never calls.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK = "invoke-samples"
# SAM names the inline policy it makes from a function's `Policies`
# <Function>RolePolicy<N>; every other one on the role is SAM's own.
CODE_POLICY = re.compile(r"^(?P<function>.+)RolePolicy\d+$")


class Unresolvable(Exception):
    """An intrinsic the resolver does not know how to evaluate."""


def load(path: str) -> dict:
    """The SAM template at `path`, parsed (CloudFormation's short forms too)."""
    return _template_tools().load(path)


def transform(sam: dict) -> dict:
    """Plain CloudFormation, as samtranslator makes it (a copy; `sam` is kept)."""
    # No parameter values: this module resolves the pseudo parameters itself,
    # with the runner's stack name.
    return _template_tools().transform_doc(sam, {})


def _template_tools():
    """scripts/template/transform.py: the one offline SAM transform."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "template", "transform.py")
    spec = importlib.util.spec_from_file_location("template_transform", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Resolver:
    """Evaluates the intrinsics of a transformed template."""

    doc: dict
    # Logical id -> physical name, for tables the runner created.
    tables: dict = field(default_factory=dict)
    region: str = REGION

    def resources(self) -> dict:
        return self.doc.get("Resources", {})

    def ref(self, name: str):
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{self.region}:{ACCOUNT}:stack/{STACK}/0",
        }
        if name in pseudo:
            return pseudo[name]
        parameters = self.doc.get("Parameters", {})
        if name in parameters:
            if "Default" not in parameters[name]:
                raise Unresolvable(f"parameter {name} has no Default")
            return parameters[name]["Default"]
        resource = self.resources().get(name)
        if resource is None:
            raise Unresolvable(f"Ref {name}: no such parameter or resource")
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table":
            return self.table_name(name)
        if kind == "AWS::SecretsManager::Secret":
            return self.secret_arn(name)
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{name}"
        if kind == "AWS::ApiGatewayV2::Api":
            return api_id(name)
        return name

    def table_name(self, logical: str) -> str:
        given = self.resources()[logical].get("Properties", {}).get("TableName")
        if given is not None:
            return self.resolve(given)
        if logical not in self.tables:
            raise Unresolvable(f"table {logical}: the recording does not name its physical table")
        return self.tables[logical]

    def secret_arn(self, logical: str) -> str:
        # Secrets Manager appends six random characters to a secret's name.
        return f"arn:{PARTITION}:secretsmanager:{self.region}:{ACCOUNT}:secret:{logical}-AbCdEf"

    def get_att(self, name: str, attribute: str):
        resource = self.resources().get(name)
        if resource is None:
            raise Unresolvable(f"GetAtt {name}.{attribute}: no such resource")
        kind = resource["Type"]
        if kind == "AWS::DynamoDB::Table":
            arn = f"arn:{PARTITION}:dynamodb:{self.region}:{ACCOUNT}:table/{self.table_name(name)}"
            if attribute == "Arn":
                return arn
            if attribute == "StreamArn":
                return f"{arn}/stream/2026-01-01T00:00:00.000"
        if kind == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:{PARTITION}:sqs:{self.region}:{ACCOUNT}:{name}"
        if kind == "AWS::SNS::Topic" and attribute == "TopicName":
            return name
        if kind == "AWS::SecretsManager::Secret" and attribute in ("Arn", "Id"):
            return self.secret_arn(name)
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}"
        if kind == "AWS::Lambda::Function" and attribute == "Arn":
            return f"arn:{PARTITION}:lambda:{self.region}:{ACCOUNT}:function:{name}"
        if kind == "AWS::ApiGatewayV2::Api" and attribute == "ApiId":
            return api_id(name)
        raise Unresolvable(f"GetAtt {name}.{attribute} ({kind})")

    def condition(self, name: str) -> bool:
        conditions = self.doc.get("Conditions", {})
        if name not in conditions:
            raise Unresolvable(f"condition {name}")
        return bool(self.resolve(conditions[name]))

    def sub(self, text: str, variables: dict) -> str:
        def one(m: re.Match) -> str:
            inner = m.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                return str(self.resolve(variables[inner]))
            if "." in inner and not inner.startswith("AWS::"):
                name, attribute = inner.split(".", 1)
                return str(self.get_att(name, attribute))
            return str(self.ref(inner))

        return re.sub(r"\$\{([^}]+)\}", one, text)

    def resolve(self, value):
        """`value` with every intrinsic evaluated; AWS::NoValue items dropped."""
        if isinstance(value, list):
            out = [self.resolve(v) for v in value]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self.sub(text, variables)
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                a, b = self.resolve(arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Condition":
                return self.condition(arg)
            if key.startswith("Fn::"):
                raise Unresolvable(f"intrinsic {key}")
        out = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not NO_VALUE}


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()


def api_id(logical: str) -> str:
    """The id an API gets (stands in for the random one)."""
    return f"{logical.lower()}0"


@dataclass
class Role:
    """One function's permissions: (label, statement) pairs, resolved."""

    function: str
    code: list
    # The Lambda service's: managed policy ARNs, and SAM's inline statements.
    service_managed: list
    service: list


def roles(cfn: dict, resolver: Resolver) -> dict:
    """Each function's Role, by the function's logical id (its SAM name)."""
    resources = cfn.get("Resources", {})
    out = {}
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        role_ref = resource.get("Properties", {}).get("Role")
        role_name = role_ref.get("Fn::GetAtt", [None])[0] if isinstance(role_ref, dict) else None
        if isinstance(role_name, str) and "." in role_name:
            role_name = role_name.split(".")[0]
        role = resources.get(role_name) if role_name else None
        if role is None or role.get("Type") != "AWS::IAM::Role":
            raise Unresolvable(f"{name}: its Role {role_ref} is not a role in the template")
        sam_made = role_name == f"{name}Role"
        code, service = [], []
        for policy in role.get("Properties", {}).get("Policies", []):
            policy = resolver.resolve(policy)
            document = policy["PolicyDocument"]
            mine = not sam_made or CODE_POLICY.match(policy["PolicyName"] or "")
            for i, statement in enumerate(as_statements(document)):
                label = f"{policy['PolicyName']}/{statement.get('Sid', i)}"
                (code if mine else service).append((label, statement))
        # Separate policy resources attached to the role: the code's.
        for other_name, other in resources.items():
            if other.get("Type") not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                continue
            attached = [r.get("Ref") if isinstance(r, dict) else r for r in other.get("Properties", {}).get("Roles", [])]
            if role_name in attached:
                document = resolver.resolve(other["Properties"]["PolicyDocument"])
                for i, statement in enumerate(as_statements(document)):
                    code.append((f"{other_name}/{statement.get('Sid', i)}", statement))
        managed = resolver.resolve(role.get("Properties", {}).get("ManagedPolicyArns", []))
        out[name] = Role(name, code, managed, service)
    return out


def as_statements(document: dict) -> list:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def websocket_api(cfn: dict) -> str | None:
    """The template's one WebSocket API (the `@connections` calls' API)."""
    apis = [
        name
        for name, r in cfn.get("Resources", {}).items()
        if r.get("Type") == "AWS::ApiGatewayV2::Api" and r.get("Properties", {}).get("ProtocolType") == "WEBSOCKET"
    ]
    return apis[0] if len(apis) == 1 else None


def short(value) -> str:
    """An intrinsic as the template writes it (`!GetAtt X.Arn`, `!Sub ...`)."""
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Fn::GetAtt":
            return "!GetAtt " + (".".join(arg) if isinstance(arg, list) else arg)
        if key == "Fn::Sub" and isinstance(arg, str):
            return "!Sub " + arg
        if key == "Ref":
            return "!Ref " + arg
    return str(value)
