"""Evaluates a recording of the functions' AWS calls (scripts/iam/recorder.py,
written by the invoke_samples run) against each function's role in a SAM
template, and prints:

  - every call the role would deny: the function, the call, what is missing
    and the grant that would allow it (exit 1);
  - the least-privilege report: each of the code's grants (statement, action,
    resource) no recorded call exercised;
  - the grants SAM adds for the Lambda service itself, apart.

  python scripts/iam/check.py [--template template.yaml] [--recording .aws-sam/iam-calls.jsonl]

Exit: 0 every call allowed; 1 a call denied (or a record that could not be
attributed, or a function with no recorded call: it bypassed the recorder);
2 the template or recording could not be read or uses what the evaluator
does not implement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import evaluator as policy  # noqa: E402
import roles as tpl  # noqa: E402

# The managed policies SAM attaches for the Lambda service, as AWS publishes
# them (their statements, so a call is evaluated against the whole role).
MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "*"}
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            "Resource": "*",
        }
    ],
}


def read_recording(path: str) -> tuple[dict, list]:
    meta, records = {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            item = json.loads(line)
            if "meta" in item:
                meta = item["meta"]
            else:
                records.append(item)
    return meta, records


@dataclass
class Call:
    """One recorded authorization, as IAM sees it."""

    function: str | None
    request: policy.Request | None
    summary: str
    record: dict


def call_of(record: dict, websocket_api: str | None) -> Call:
    function = record.get("function")
    if record.get("error") or function is None:
        return Call(function, None, f"{record.get('method')} {record.get('path')}: {record.get('error')}", record)
    region = record.get("region") or tpl.REGION
    service = record.get("service")
    context: dict = {"aws:requestedregion": [region]}
    if service == "dynamodb":
        arn = f"arn:aws:dynamodb:{region}:{tpl.ACCOUNT}:table/{record.get('table')}"
        if record.get("index"):
            arn += f"/index/{record['index']}"
        keys = record.get("leading_keys")
        if keys:
            context["dynamodb:leadingkeys"] = list(keys)
        via = record.get("operation")
        item = f" ({via} {record['item']})" if record.get("item") else (f" (via {via})" if via and f"dynamodb:{via}" != record["action"] else "")
        summary = f"{record['action']} on {arn}{item}" + (f" LeadingKeys={keys}" if keys else "")
    elif service == "execute-api":
        api = tpl.api_id(websocket_api) if websocket_api else "unknown-api"
        arn = f"arn:aws:execute-api:{region}:{tpl.ACCOUNT}:{api}/{record.get('stage')}/{record.get('method')}/@connections/{record.get('connection_id')}"
        summary = f"{record['action']} ({record.get('operation')}) on {arn}"
    elif service == "secretsmanager":
        # IAM authorizes against the secret's own ARN (its name and the six
        # characters Secrets Manager adds), whatever the request called it:
        # the store's answer says what that is.
        secret = str(record.get("secret_arn") or record.get("secret_id"))
        name = secret.split(":", 5)[5] if secret.startswith("arn:") else f"secret:{secret}"
        arn = f"arn:aws:secretsmanager:{region}:{tpl.ACCOUNT}:{name}"
        summary = f"{record['action']} on {arn}"
    else:
        return Call(function, None, f"{service}: a service the check does not know", record)
    return Call(function, policy.Request(record["action"], arn, context), summary, record)


@dataclass
class Result:
    denials: list = field(default_factory=list)  # (function, summary, why, grant)
    problems: list = field(default_factory=list)  # (function, text)
    # function -> statement label -> {"actions": set, "resources": set, "calls": int}
    used: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    calls: int = 0
    # (function, action, resource in template terms, key shape) -> count
    exercised: dict = field(default_factory=lambda: defaultdict(int))
    # Physical names back to the template's: for messages.
    readable: object = staticmethod(lambda text: text)

    @property
    def failed(self) -> bool:
        return bool(self.denials or self.problems)


def template_terms(arn: str, tables: dict, websocket_api: str | None) -> str:
    """An ARN written back the way the template would grant it."""
    for logical, physical in tables.items():
        prefix = f"arn:aws:dynamodb:{tpl.REGION}:{tpl.ACCOUNT}:table/{physical}"
        if arn == prefix:
            return f"!GetAtt {logical}.Arn"
        if arn.startswith(prefix + "/"):
            return f"!Sub ${{{logical}.Arn}}{arn[len(prefix):]}"
    if websocket_api and ":execute-api:" in arn:
        rest = arn.split(":", 5)[5].split("/", 1)[1]
        stage_method = "/".join(rest.split("/")[:2])
        return f"!Sub arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{websocket_api}}}/{stage_method}/@connections/*"
    return arn


def key_shape(keys) -> str:
    """A partition key value's kind: its prefix up to `#` (SESSION#, EV#),
    or the value itself when short (POLLER)."""
    shapes = sorted({k.split("#", 1)[0] + "#" if "#" in k else (k if len(k) <= 12 else "…") for k in keys or []})
    return ",".join(shapes)


def readable_names(tables_by_logical: dict, websocket_api: str | None):
    """Rewrites physical table ARNs and the API id as the template names them."""
    pairs = [
        (f"arn:aws:dynamodb:{tpl.REGION}:{tpl.ACCOUNT}:table/{physical}", f"${{{logical}.Arn}}")
        for logical, physical in sorted(tables_by_logical.items(), key=lambda kv: -len(kv[1]))
    ]
    if websocket_api:
        pairs.append((f"arn:aws:execute-api:{tpl.REGION}:{tpl.ACCOUNT}:{tpl.api_id(websocket_api)}/", f"${{{websocket_api}}}/"))

    def rewrite(text: str) -> str:
        for physical, logical in pairs:
            text = text.replace(physical, logical)
        return text

    return rewrite


def evaluate(sam: dict, meta: dict, records: list, cfn: dict | None = None) -> Result:
    """Every record against its function's role in the SAM template `sam`."""
    cfn = cfn if cfn is not None else tpl.transform(sam)
    tables_by_logical = {logical: physical for physical, logical in meta.get("tables", {}).items()}
    resolver = tpl.Resolver(cfn, tables_by_logical)
    roles = tpl.roles(cfn, resolver)
    websocket_api = tpl.websocket_api(cfn)
    result = Result(roles=roles)
    result.readable = readable_names(tables_by_logical, websocket_api)
    statements = {}
    for name, role in roles.items():
        managed = []
        for arn in role.service_managed:
            if arn not in MANAGED:
                result.problems.append((name, f"managed policy {arn}: its statements are unknown to the check"))
                continue
            managed += [(f"{arn.rsplit('/', 1)[1]}/{i}", s) for i, s in enumerate(MANAGED[arn])]
        statements[name] = role.code + role.service + managed
        result.used[name] = {label: {"actions": set(), "resources": set(), "pairs": set(), "calls": 0} for label, _ in role.code}

    seen = set()
    called = defaultdict(int)
    for record in records:
        call = call_of(record, websocket_api)
        result.calls += 1
        if call.request is None:
            result.problems.append((call.function, call.summary))
            continue
        called[call.function] += 1
        resource = result.readable(call.request.resource)
        if ":execute-api:" in call.request.resource:
            resource = resource.rsplit("/", 1)[0] + "/*"
        shape = key_shape(call.request.context.get("dynamodb:leadingkeys"))
        result.exercised[(call.function, call.request.action, resource, shape)] += 1
        if call.function not in statements:
            result.problems.append((call.function, f"{call.summary}: no such function in the template"))
            continue
        decision = policy.evaluate(statements[call.function], call.request)
        if decision.allowed:
            for label, statement in decision.by:
                usage = result.used[call.function].get(label)
                if usage is None:
                    continue
                usage["calls"] += 1
                actions = [a for a in policy.as_list(statement.get("Action")) if policy.action_matches(a, call.request.action)]
                resources = [r for r in policy.as_list(statement.get("Resource")) if policy.resource_matches(r, call.request.resource)]
                usage["actions"].update(actions)
                usage["resources"].update(resources)
                usage["pairs"].update((a, r) for a in actions for r in resources)
            continue
        key = (call.function, call.summary)
        if key in seen:
            continue
        seen.add(key)
        grant = f"Action: {call.request.action}  Resource: {template_terms(call.request.resource, tables_by_logical, websocket_api)}"
        result.denials.append((call.function, call.summary, policy.explain(decision), grant))
    for name in roles:
        if not called.get(name):
            result.problems.append((name, "no call recorded: it made none, or it bypassed the recorder"))
    return result


def unused(result: Result) -> list:
    """(function, statement label, what) for every grant no call exercised."""
    out = []
    for name, role in result.roles.items():
        for label, statement in role.code:
            usage = result.used[name][label]
            if statement.get("Effect") != "Allow":
                continue
            if usage["calls"] == 0:
                out.append((name, label, "the whole statement"))
                continue
            for action in policy.as_list(statement.get("Action")):
                if action not in usage["actions"]:
                    out.append((name, label, f"action {action}"))
            for resource in policy.as_list(statement.get("Resource")):
                if resource not in usage["resources"]:
                    out.append((name, label, f"resource {resource}"))
    return out


def report(result: Result, out=sys.stdout, calls: bool = False) -> None:
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"iam-check: {result.calls} recorded authorization(s), {len(result.roles)} function(s)")
    if calls:
        p("calls the samples made (function, action, resource, partition key kinds: count):")
        for (function, action, resource, shape), n in sorted(result.exercised.items()):
            p(f"  {function:<24} {action:<30} {resource:<40} {shape:<22} {n}")
        p("")
    for function, text in result.problems:
        p(f"FAIL {function}: {text}")
    r = result.readable
    for function, summary, why, grant in result.denials:
        p(f"DENIED {function}: {r(summary)}")
        p(f"       missing: {r(why)}")
        p(f"       needs:   {grant}")
    p("")
    p("least privilege: the code's grants no recorded call exercised")
    rows = unused(result)
    for function, label, what in rows:
        p(f"  {function:<24} {label.split('/', 1)[-1]:<26} {r(what)}")
    if not rows:
        p("  (none)")
    p("")
    p("grants SAM adds for the Lambda service itself (not the code's; not evaluated against its calls):")
    for name, role in result.roles.items():
        extra = ", ".join(f"{label}: {policy.as_list(s.get('Action'))}" for label, s in role.service)
        p(f"  {name:<24} managed {[a.rsplit('/', 1)[1] for a in role.service_managed]}" + (f"; inline {extra}" if extra else ""))
    p("")
    p(f"iam-check: {'FAILED' if result.failed else 'ok'}: {len(result.denials)} denied call(s), {len(result.problems)} problem(s)")


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", default=os.path.join(root, "template.yaml"))
    parser.add_argument("--recording", default=os.path.join(root, ".aws-sam", "iam-calls.jsonl"))
    parser.add_argument("--calls", action="store_true", help="also list the calls the samples made")
    args = parser.parse_args(argv)
    try:
        sam = tpl.load(args.template)
        meta, records = read_recording(args.recording)
        result = evaluate(sam, meta, records)
    except (OSError, ValueError, tpl.Unresolvable, policy.Unsupported) as e:
        print(f"iam-check: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    report(result, calls=args.calls)
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
