"""What CloudFormation, CloudWatch and a reader of the functions' settings
would refuse in template.yaml, checked on the template CloudFormation really
receives (the SAM transform's output), each with a control on the template as
it was before these checks existed (fixtures/template-before.yaml), which must
fail them.

    .venv/bin/python -m pytest -q scripts/template   (scripts/sam-validate.sh runs it)
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from samtranslator.yaml_helper import yaml_parse

sys.path.insert(0, str(Path(__file__).parent))
from transform import transformed  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Path(os.environ.get("TEMPLATE", ROOT / "template.yaml"))
BEFORE = Path(__file__).parent / "fixtures" / "template-before.yaml"
CFN_LINT = ROOT / ".venv" / "bin" / "cfn-lint"

# Tables holding what cannot be rebuilt: kept when the stack goes.
KEPT_TABLES = {"EventsTable", "UsersTable", "StreamersTable", "SnapshotsTable"}
# Point-in-time recovery behind the PointInTimeRecovery parameter.
RECOVERABLE_TABLES = {"EventsTable", "UsersTable"}
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|_KEY$", re.I)


def lint_errors(template_path, parameters=()):
    """cfn-lint's errors (not warnings) on the transformed template, with
    `parameters` ("Name=value") given values instead of their defaults."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(transformed(template_path), f)
    try:
        out = subprocess.run(
            [str(CFN_LINT), "--format", "parseable", f.name] + (["--parameters", *parameters] if parameters else []),
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(f.name)
    # Exit status: a bit mask of 2 (errors), 4 (warnings), 8 (informational);
    # anything else means cfn-lint itself failed.
    if out.returncode & ~0b1110:
        pytest.fail(f"cfn-lint failed to run ({out.returncode}): {out.stderr}")
    # parseable: file:line:col:line:col:RULE:message
    lines = [line for line in out.stdout.splitlines() if line.count(":") >= 6]
    return [(line.split(":")[5], line) for line in lines if line.split(":")[5].startswith("E")]


def test_the_transformed_template_has_no_cfn_lint_error():
    errors = lint_errors(TEMPLATE)
    assert errors == [], "\n".join(line for _, line in errors)


def test_control_the_old_template_is_refused_for_its_cycle():
    rules = {r for r, _ in lint_errors(BEFORE)}
    assert "E3004" in rules


# --- Dashboard SEARCH expressions ---------------------------------------


def _dashboard_bodies(template):
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::CloudWatch::Dashboard":
            continue
        body = resource["Properties"]["DashboardBody"]
        if isinstance(body, dict) and "Fn::Sub" in body:
            body = body["Fn::Sub"]
            body = body[0] if isinstance(body, list) else body
        # Every ${...} stands for a name that may hold '-' (a stack name).
        yield json.loads(re.sub(r"\$\{[^}]+\}", "stack-name", body))


def _expressions(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "expression" and isinstance(v, str):
                yield v
            else:
                yield from _expressions(v)
    elif isinstance(node, list):
        for v in node:
            yield from _expressions(v)


def unquoted_search_names(template_path):
    """Names in SEARCH schemas ({Namespace,Dim,...}) that need double quotes and lack them."""
    with open(template_path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    bad, seen = [], 0
    for body in _dashboard_bodies(template):
        for expr in _expressions(body):
            for schema in re.findall(r"SEARCH\(\s*'\{([^}]*)\}", expr):
                seen += 1
                for name in re.findall(r'"[^"]*"|[^,]+', schema):
                    name = name.strip()
                    if not name.startswith('"') and not re.fullmatch(r"[A-Za-z0-9_]+", name):
                        bad.append((expr, name))
    return seen, bad


def test_every_search_expression_quotes_names_with_special_characters():
    seen, bad = unquoted_search_names(TEMPLATE)
    assert seen > 0, "the dashboard has no SEARCH expression to check"
    assert bad == []


def test_control_the_old_dashboard_has_unquoted_namespaces():
    _, bad = unquoted_search_names(BEFORE)
    assert any(name.startswith("StreamerEvents/") for _, name in bad)


# --- Secrets never in a function's environment --------------------------


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def secrets_in_environments(template_path):
    """(function, variable, why) for every secret a function's Environment holds."""
    cfn = transformed(template_path)
    no_echo = {name for name, p in cfn.get("Parameters", {}).items() if str(p.get("NoEcho")).lower() == "true"}
    found = []
    for fname, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        for var, value in variables.items():
            refs = set(re.findall(r"\$\{([^}.!]+)\}", " ".join(_strings(value))))
            if isinstance(value, dict) and "Ref" in value:
                refs.add(value["Ref"])
            if refs & no_echo:
                found.append((fname, var, f"NoEcho parameter {sorted(refs & no_echo)}"))
            if any("{{resolve:" in s for s in _strings(value)):
                found.append((fname, var, "a dynamic reference ({{resolve:...}})"))
            if isinstance(value, str) and SECRET_NAME.search(var):
                found.append((fname, var, "a literal secret"))
    return found


def test_no_function_environment_holds_a_secret():
    assert secrets_in_environments(TEMPLATE) == []


def test_control_the_old_template_put_secrets_in_environments():
    found = secrets_in_environments(BEFORE)
    assert {"EVENTSUB_SECRET", "SESSION_KEY", "TWITCH_CLIENT_SECRET"} <= {v for _, v, _ in found}


def test_the_functions_read_only_their_own_stacks_secret():
    cfn = transformed(TEMPLATE)
    for name, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for st in policy["PolicyDocument"]["Statement"]:
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                if any(a.startswith("secretsmanager:") for a in actions):
                    assert actions == ["secretsmanager:GetSecretValue"], name
                    arn = json.dumps(st["Resource"])
                    assert "secret:streamer-events/${AWS::StackName}-??????" in arn, (name, arn)


# --- Deploys in a new account, keeps data, logs that expire ---------------


def _functions(cfn):
    return {n: r for n, r in cfn["Resources"].items() if r["Type"] == "AWS::Lambda::Function"}


def test_no_function_reserves_concurrency_by_default():
    cfn = transformed(TEMPLATE)
    params = cfn["Parameters"]
    for name, fn in _functions(cfn).items():
        reserved = fn["Properties"].get("ReservedConcurrentExecutions")
        if reserved is None:
            continue
        assert isinstance(reserved, dict) and "Fn::If" in reserved, (name, reserved)
        condition, _, otherwise = reserved["Fn::If"]
        assert otherwise == {"Ref": "AWS::NoValue"}, name
        # The condition is "the parameter is not empty", and it defaults to empty.
        cond = cfn["Conditions"][condition]
        param = cond["Fn::Not"][0]["Fn::Equals"][0]["Ref"]
        assert params[param]["Default"] == "", (name, param)


def test_control_the_old_template_reserved_concurrency():
    reserved = [n for n, f in _functions(transformed(BEFORE)).items() if "ReservedConcurrentExecutions" in f["Properties"]]
    assert reserved


def test_every_function_logs_to_its_own_group_with_retention():
    cfn = transformed(TEMPLATE)
    for name, fn in _functions(cfn).items():
        logging = fn["Properties"].get("LoggingConfig", {})
        assert logging.get("LogFormat") == "JSON", name
        group = logging.get("LogGroup", {}).get("Ref")
        assert group, f"{name} names no log group"
        lg = cfn["Resources"][group]
        assert lg["Type"] == "AWS::Logs::LogGroup"
        assert lg["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, group
        # The group must not be named after the function (it would then be
        # created after the function it is for).
        assert name not in json.dumps(lg["Properties"]["LogGroupName"]), group


def test_tables_that_cannot_be_rebuilt_are_retained_and_recoverable():
    cfn = transformed(TEMPLATE)
    tables = {n: r for n, r in cfn["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert KEPT_TABLES <= set(tables)
    for name in KEPT_TABLES:
        assert tables[name].get("DeletionPolicy") == "RetainExceptOnCreate", name
        assert tables[name].get("UpdateReplacePolicy") == "Retain", name
    for name in RECOVERABLE_TABLES:
        pitr = tables[name]["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        assert pitr == {"Fn::If": ["PointInTimeRecoveryOn", True, False]}, name
    assert cfn["Parameters"]["PointInTimeRecovery"]["Default"] == "true"


# --- Capacity mode: on-demand by default, provisioned with auto scaling ---

METRIC = {"Write": "DynamoDBWriteCapacityUtilization", "Read": "DynamoDBReadCapacityUtilization"}


def _sub_text(value):
    if isinstance(value, dict) and "Fn::Sub" in value:
        return value["Fn::Sub"]
    return value


def capacity_mode_problems(cfn):
    """What keeps a TableCapacityMode=provisioned stack from following its load
    at 70 %: a switched table or index without provisioned throughput, or
    without a scalable target and target-tracking policy per dimension."""
    problems = []
    param = cfn.get("Parameters", {}).get("TableCapacityMode")
    if not param or param.get("Default") != "on-demand":
        problems.append("no TableCapacityMode parameter defaulting to on-demand")
    switch = {"Fn::If": ["TablesProvisioned", "PROVISIONED", "PAY_PER_REQUEST"]}
    tables = {
        n: r["Properties"]
        for n, r in cfn["Resources"].items()
        if r["Type"] == "AWS::DynamoDB::Table" and r["Properties"].get("BillingMode") == switch
    }
    if not tables:
        problems.append("no table switches its BillingMode on TableCapacityMode")
    targets = {
        (_sub_text(r["Properties"]["ResourceId"]), r["Properties"]["ScalableDimension"]): n
        for n, r in cfn["Resources"].items()
        if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget" and r.get("Condition") == "TablesProvisioned"
    }
    policies = {
        r["Properties"]["ScalingTargetId"]["Ref"]: r["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy" and r.get("Condition") == "TablesProvisioned"
    }
    for name, props in tables.items():
        scaled = [(f"table/${{{name}}}", "table", props)]
        scaled += [(f"table/${{{name}}}/index/{g['IndexName']}", "index", g) for g in props.get("GlobalSecondaryIndexes", [])]
        for resource_id, level, holder in scaled:
            if "Fn::If" not in holder.get("ProvisionedThroughput", {}):
                problems.append(f"{resource_id}: no provisioned throughput under TablesProvisioned")
            for kind, metric in METRIC.items():
                target = targets.get((resource_id, f"dynamodb:{level}:{kind}CapacityUnits"))
                policy = policies.get(target)
                if policy is None:
                    problems.append(f"{resource_id}: no {kind} scaling target with a policy")
                elif policy["TargetValue"] != 70 or policy["PredefinedMetricSpecification"]["PredefinedMetricType"] != metric:
                    problems.append(f"{resource_id}: {kind} policy {policy}")
    return problems


def test_provisioned_tables_and_their_indexes_scale_at_70_percent():
    assert capacity_mode_problems(transformed(TEMPLATE)) == []


def test_control_the_old_template_has_no_capacity_mode():
    assert capacity_mode_problems(transformed(BEFORE))


def _provisioned(template_path):
    """cfn-lint parameters for TableCapacityMode=provisioned (with a value for
    each parameter that has no default, which cfn-lint then requires)."""
    params = transformed(template_path)["Parameters"]
    given = [f"{name}=x" for name, p in params.items() if "Default" not in p]
    return ["TableCapacityMode=provisioned", *given]


def test_the_provisioned_capacity_mode_has_no_cfn_lint_error():
    errors = lint_errors(TEMPLATE, _provisioned(TEMPLATE))
    assert errors == [], "\n".join(line for _, line in errors)


def test_control_provisioned_without_a_table_throughput_is_refused(tmp_path):
    # (An index without throughput passes cfn-lint: capacity_mode_problems
    # checks the indexes.)
    text = TEMPLATE.read_text(encoding="utf-8")
    table_throughput = (
        "      ProvisionedThroughput: !If\n        - TablesProvisioned\n"
        "        - ReadCapacityUnits: !Ref TableMinCapacity\n"
        "          WriteCapacityUnits: !Ref TableMinCapacity\n        - !Ref AWS::NoValue\n"
    )
    assert table_throughput in text
    broken = tmp_path / "template-no-table-throughput.yaml"
    broken.write_text(text.replace(table_throughput, "", 1), encoding="utf-8")
    rules = {r for r, _ in lint_errors(broken, _provisioned(broken))}
    assert "E3639" in rules, rules


# --- The webhook's front door: HTTP API by default, or its function URL ---

HTTP_API_CALLBACK = {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/eventsub"}
FUNCTION_URL_CALLBACK = {"Fn::Sub": "${WebhookFunctionUrl.FunctionUrl}eventsub"}


def front_door_problems(cfn):
    """What keeps WebhookFrontDoor from switching where Twitch delivers: the
    parameter and its default, the function URL (kept with either door, so
    its address survives a switch; public only behind itself), the public
    grants under the condition, and the manager's callback with the other
    door's URL as the one it moves subscriptions from."""
    problems = []
    param = cfn.get("Parameters", {}).get("WebhookFrontDoor")
    if not param or param.get("Default") != "http-api" or set(param.get("AllowedValues", [])) != {"http-api", "function-url"}:
        problems.append("no WebhookFrontDoor parameter (http-api | function-url) defaulting to http-api")
    if cfn.get("Conditions", {}).get("WebhookBehindFunctionUrl") != {"Fn::Equals": [{"Ref": "WebhookFrontDoor"}, "function-url"]}:
        problems.append("no WebhookBehindFunctionUrl condition")
    resources = cfn["Resources"]
    url = resources.get("WebhookFunctionUrl", {})
    if url.get("Type") != "AWS::Lambda::Url" or "Condition" in url:
        problems.append("WebhookFunctionUrl: not a function URL kept with either front door")
    elif url["Properties"].get("AuthType") != {"Fn::If": ["WebhookBehindFunctionUrl", "NONE", "AWS_IAM"]}:
        problems.append(f"WebhookFunctionUrl: AuthType {url['Properties'].get('AuthType')}")
    grants = {
        (r["Properties"]["Action"], r["Properties"].get("FunctionUrlAuthType"), r["Properties"].get("InvokedViaFunctionUrl"))
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission" and r["Properties"].get("Principal") == "*"
        and r["Properties"].get("FunctionName") == {"Ref": "WebhookFunction"}
        and r.get("Condition") == "WebhookBehindFunctionUrl"
    }
    if grants != {("lambda:InvokeFunctionUrl", "NONE", None), ("lambda:InvokeFunction", None, True)}:
        problems.append(f"the public URL's two grants under WebhookBehindFunctionUrl: {grants}")
    env = resources.get("EventSubManagerFunction", {}).get("Properties", {}).get("Environment", {}).get("Variables", {})
    if env.get("CALLBACK_URL") != {"Fn::If": ["WebhookBehindFunctionUrl", FUNCTION_URL_CALLBACK, HTTP_API_CALLBACK]}:
        problems.append(f"the manager's CALLBACK_URL does not follow the front door: {env.get('CALLBACK_URL')}")
    if env.get("FORMER_CALLBACK_URLS") != {"Fn::If": ["WebhookBehindFunctionUrl", HTTP_API_CALLBACK, FUNCTION_URL_CALLBACK]}:
        problems.append(f"the manager's FORMER_CALLBACK_URLS is not the other door: {env.get('FORMER_CALLBACK_URLS')}")
    return problems


def test_the_front_door_switches_the_callback_and_keeps_the_function_url():
    assert front_door_problems(transformed(TEMPLATE)) == []


def test_control_the_old_template_has_no_front_door():
    assert front_door_problems(transformed(BEFORE))


def test_control_a_function_url_made_only_with_its_door_is_refused(tmp_path):
    # cfn-lint reports no error for it, yet behind the HTTP API the manager's
    # FORMER_CALLBACK_URLS would name a resource that does not exist.
    text = TEMPLATE.read_text(encoding="utf-8")
    head = "  WebhookFunctionUrl:\n    Type: AWS::Lambda::Url\n    Properties:"
    assert head in text
    broken = tmp_path / "template-conditional-url.yaml"
    broken.write_text(text.replace(head, head.replace("    Properties:", "    Condition: WebhookBehindFunctionUrl\n    Properties:"), 1), encoding="utf-8")
    assert any("kept with either front door" in p for p in front_door_problems(transformed(broken)))


def _function_url(template_path):
    """cfn-lint parameters for WebhookFrontDoor=function-url."""
    params = transformed(template_path)["Parameters"]
    return ["WebhookFrontDoor=function-url", *(f"{name}=x" for name, p in params.items() if "Default" not in p)]


def test_the_function_url_front_door_has_no_cfn_lint_error():
    errors = lint_errors(TEMPLATE, _function_url(TEMPLATE))
    assert errors == [], "\n".join(line for _, line in errors)


def test_control_the_function_url_door_is_linted_with_its_url(tmp_path):
    text = TEMPLATE.read_text(encoding="utf-8")
    auth = "      AuthType: !If [WebhookBehindFunctionUrl, NONE, AWS_IAM]\n"
    assert auth in text
    broken = tmp_path / "template-bad-auth.yaml"
    broken.write_text(text.replace(auth, auth.replace("NONE", "PUBLIC"), 1), encoding="utf-8")
    rules = {r for r, _ in lint_errors(broken, _function_url(broken))}
    assert "E3030" in rules, rules
