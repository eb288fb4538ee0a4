"""Tests of the IAM check's parts: the policy evaluator (allowed, and denied
by action, by resource, by index, by condition), the recorder's item-by-item
view of DynamoDB requests, the template's roles and intrinsics, and the proof
against what issue 20 found (today's template denies the poller's Query on
SnapshotsTable/index/live_now).

  .venv/bin/python -m pytest scripts/iam -q
"""

from __future__ import annotations

import copy
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import check  # noqa: E402
import evaluator as ev  # noqa: E402
import recorder  # noqa: E402
import roles  # noqa: E402

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/Snap"


def allowed(statements, action, resource, **context) -> bool:
    labelled = [(f"s{i}", s) for i, s in enumerate(statements)]
    request = ev.Request(action, resource, {k.lower().replace("__", ":"): v for k, v in context.items()})
    return ev.evaluate(labelled, request).allowed


def allow(actions, resources, condition=None) -> dict:
    s = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        s["Condition"] = condition
    return s


# ----------------------------------------------------------------- evaluator


def test_allowed_by_a_matching_statement():
    assert allowed([allow(["dynamodb:Query"], TABLE)], "dynamodb:Query", TABLE)


def test_action_wildcards_and_case():
    assert allowed([allow("dynamodb:Get*", TABLE)], "dynamodb:GetItem", TABLE)
    assert allowed([allow("DynamoDB:getitem", TABLE)], "dynamodb:GetItem", TABLE)
    assert not allowed([allow("dynamodb:Get*", TABLE)], "dynamodb:PutItem", TABLE)


def test_denied_by_action():
    assert not allowed([allow(["dynamodb:GetItem"], TABLE)], "dynamodb:Query", TABLE)


def test_denied_by_resource():
    assert not allowed([allow(["dynamodb:Query"], TABLE)], "dynamodb:Query", TABLE.replace("Snap", "Other"))


def test_denied_by_index_a_table_arn_does_not_cover_its_indexes():
    assert not allowed([allow(["dynamodb:Query"], TABLE)], "dynamodb:Query", f"{TABLE}/index/live_now")
    assert allowed([allow(["dynamodb:Query"], f"{TABLE}/index/*")], "dynamodb:Query", f"{TABLE}/index/live_now")
    assert not allowed([allow(["dynamodb:Query"], f"{TABLE}/index/tracked")], "dynamodb:Query", f"{TABLE}/index/live_now")


def test_a_wildcard_does_not_cross_arn_parts():
    # `*` in the region part matches a region, not the rest of the ARN.
    assert allowed([allow("dynamodb:Query", "arn:aws:dynamodb:*:123456789012:table/Snap")], "dynamodb:Query", TABLE)
    assert not allowed([allow("dynamodb:Query", "arn:aws:dynamodb:*:*:table/Other*")], "dynamodb:Query", TABLE)
    with pytest.raises(ev.Unsupported):
        allowed([allow("dynamodb:Query", "arn:aws:dynamodb:*")], "dynamodb:Query", TABLE)


def test_denied_by_condition_for_all_values_string_equals():
    only_poller = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["POLLER"]}}
    s = [allow("dynamodb:PutItem", TABLE, only_poller)]
    assert allowed(s, "dynamodb:PutItem", TABLE, dynamodb__LeadingKeys=["POLLER"])
    assert not allowed(s, "dynamodb:PutItem", TABLE, dynamodb__LeadingKeys=["SNAP#1"])
    assert not allowed(s, "dynamodb:PutItem", TABLE, dynamodb__LeadingKeys=["POLLER", "SNAP#1"])


def test_for_all_values_holds_when_the_key_is_absent():
    # AWS: ForAllValues with no request values is true (a Scan names no key).
    s = [allow("dynamodb:Scan", TABLE, {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["POLLER"]}})]
    assert allowed(s, "dynamodb:Scan", TABLE)


def test_for_all_values_string_like():
    sessions = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["SESSION#*", "TICKET#?"]}}
    s = [allow("dynamodb:DeleteItem", TABLE, sessions)]
    assert allowed(s, "dynamodb:DeleteItem", TABLE, dynamodb__LeadingKeys=["SESSION#abc"])
    assert allowed(s, "dynamodb:DeleteItem", TABLE, dynamodb__LeadingKeys=["TICKET#1"])
    assert not allowed(s, "dynamodb:DeleteItem", TABLE, dynamodb__LeadingKeys=["TICKET#12"])
    assert not allowed(s, "dynamodb:DeleteItem", TABLE, dynamodb__LeadingKeys=["USER#1"])


def test_for_any_value_and_single_valued_operators():
    any_user = [allow("dynamodb:GetItem", TABLE, {"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["USER#*"]}})]
    assert allowed(any_user, "dynamodb:GetItem", TABLE, dynamodb__LeadingKeys=["X", "USER#1"])
    assert not allowed(any_user, "dynamodb:GetItem", TABLE)
    plain = [allow("dynamodb:GetItem", TABLE, {"StringEquals": {"dynamodb:LeadingKeys": "A"}})]
    assert not allowed(plain, "dynamodb:GetItem", TABLE)
    if_exists = [allow("dynamodb:GetItem", TABLE, {"StringEqualsIfExists": {"dynamodb:LeadingKeys": "A"}})]
    assert allowed(if_exists, "dynamodb:GetItem", TABLE)
    negated = [allow("dynamodb:GetItem", TABLE, {"StringNotLike": {"dynamodb:LeadingKeys": "SESSION#*"}})]
    assert not allowed(negated, "dynamodb:GetItem", TABLE, dynamodb__LeadingKeys=["SESSION#1"])
    assert allowed(negated, "dynamodb:GetItem", TABLE, dynamodb__LeadingKeys=["USER#1"])


def test_conditions_and_together():
    both = {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["A*"]},
        "StringEquals": {"aws:RequestedRegion": "us-east-1"},
    }
    s = [allow("dynamodb:GetItem", TABLE, both)]
    assert allowed(s, "dynamodb:GetItem", TABLE, dynamodb__LeadingKeys=["A1"], aws__RequestedRegion=["us-east-1"])
    assert not allowed(s, "dynamodb:GetItem", TABLE, dynamodb__LeadingKeys=["A1"], aws__RequestedRegion=["eu-west-1"])


def test_an_explicit_deny_wins():
    s = [allow("dynamodb:*", "*"), {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE}]
    assert not allowed(s, "dynamodb:DeleteItem", TABLE)
    assert allowed(s, "dynamodb:GetItem", TABLE)


def test_not_action_and_not_resource():
    s = [{"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "NotResource": f"{TABLE}/index/*"}]
    assert allowed(s, "dynamodb:GetItem", TABLE)
    assert not allowed(s, "dynamodb:DeleteItem", TABLE)
    assert not allowed(s, "dynamodb:Query", f"{TABLE}/index/x")


def test_what_it_does_not_implement_is_refused_not_guessed():
    with pytest.raises(ev.Unsupported):
        allowed([allow("dynamodb:GetItem", TABLE, {"NumericLessThan": {"dynamodb:LeadingKeys": "1"}})], "dynamodb:GetItem", TABLE)
    with pytest.raises(ev.Unsupported):
        allowed([allow("dynamodb:GetItem", TABLE, {"StringEquals": {"dynamodb:Attributes": "a"}})], "dynamodb:GetItem", TABLE)
    with pytest.raises(ev.Unsupported):
        allowed(
            [allow("dynamodb:GetItem", TABLE, {"StringEquals": {"dynamodb:LeadingKeys": "${aws:userid}"}})],
            "dynamodb:GetItem",
            TABLE,
            dynamodb__LeadingKeys=["x"],
        )


def test_a_denial_says_what_is_missing():
    statements = [("P/OnTable", allow("dynamodb:Query", TABLE))]
    decision = ev.evaluate(statements, ev.Request("dynamodb:Query", f"{TABLE}/index/live_now"))
    assert not decision.allowed
    assert "P/OnTable grants the action but on" in ev.explain(decision)


# ------------------------------------------------------------------ recorder


class Schemas:
    """Key schemas as DynamoDB Local would describe them."""

    def hash_key(self, table, index=None):
        return {"live_now": "live", "by_user": "session_user"}.get(index, "pk")


def test_a_transaction_is_recorded_item_by_item_with_the_action_iam_checks():
    body = {
        "TransactItems": [
            {"Put": {"TableName": "Events", "Item": {"pk": {"S": "EV#1"}, "sk": {"S": "a"}}}},
            {"Update": {"TableName": "Events", "Key": {"pk": {"S": "DAY#1"}, "sk": {"S": "b"}}}},
            {"ConditionCheck": {"TableName": "Streamers", "Key": {"pk": {"S": "STREAMER#1"}, "sk": {"S": "META"}}}},
            {"Delete": {"TableName": "Users", "Key": {"pk": {"S": "SESSION#x"}, "sk": {"S": "S"}}}},
        ]
    }
    got = [(r["action"], r["table"], r["leading_keys"]) for r in recorder.dynamodb_records("TransactWriteItems", body, Schemas())]
    assert got == [
        ("dynamodb:PutItem", "Events", ["EV#1"]),
        ("dynamodb:UpdateItem", "Events", ["DAY#1"]),
        ("dynamodb:ConditionCheckItem", "Streamers", ["STREAMER#1"]),
        ("dynamodb:DeleteItem", "Users", ["SESSION#x"]),
    ]


def test_batches_are_recorded_item_by_item():
    body = {
        "RequestItems": {
            "Users": [
                {"DeleteRequest": {"Key": {"pk": {"S": "SESSION#1"}, "sk": {"S": "S"}}}},
                {"PutRequest": {"Item": {"pk": {"S": "SESSION#2"}, "sk": {"S": "S"}}}},
            ]
        }
    }
    got = [(r["action"], r["item"], r["leading_keys"]) for r in recorder.dynamodb_records("BatchWriteItem", body, Schemas())]
    assert got == [("dynamodb:BatchWriteItem", "Delete", ["SESSION#1"]), ("dynamodb:BatchWriteItem", "Put", ["SESSION#2"])]
    get = {"RequestItems": {"Snap": {"Keys": [{"pk": {"S": "LIVE#1"}}, {"pk": {"S": "LIVE#2"}}]}}}
    assert [r["leading_keys"] for r in recorder.dynamodb_records("BatchGetItem", get, Schemas())] == [["LIVE#1"], ["LIVE#2"]]


def test_a_query_names_its_index_and_partition_value():
    body = {
        "TableName": "Snap",
        "IndexName": "live_now",
        "KeyConditionExpression": "#l = :live AND begins_with(pk, :p)",
        "ExpressionAttributeNames": {"#l": "live"},
        "ExpressionAttributeValues": {":live": {"N": "1"}, ":p": {"S": "LIVE#"}},
    }
    (r,) = recorder.dynamodb_records("Query", body, Schemas())
    assert (r["action"], r["table"], r["index"], r["leading_keys"]) == ("dynamodb:Query", "Snap", "live_now", ["1"])
    on_table = {"TableName": "Snap", "KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "POLLER"}}}
    (r,) = recorder.dynamodb_records("Query", on_table, Schemas())
    assert (r["index"], r["leading_keys"]) == (None, ["POLLER"])


# ------------------------------------------------------------------ template

FIXTURE = os.path.join(HERE, "..", "template", "fixtures", "template-before.yaml")
TABLES = {
    "EventsTable": "t-events",
    "SubscriptionsTable": "t-subscriptions",
    "ConnectionsTable": "t-connections",
    "StreamersTable": "t-streamers",
    "UsersTable": "t-users",
    "SnapshotsTable": "t-snapshots",
}
META = {"tables": {physical: logical for logical, physical in TABLES.items()}}


def record(function, action, table, index=None, keys=None, **extra):
    return {
        "function": function,
        "service": "dynamodb",
        "region": "us-east-1",
        "operation": action.split(":")[1],
        "action": action,
        "table": TABLES[table],
        "index": index,
        "leading_keys": keys,
        "status": 200,
        **extra,
    }


@pytest.fixture(scope="module")
def before():
    return roles.load(FIXTURE)


def test_intrinsics_resolve_to_the_runners_names(before):
    cfn = roles.transform(before)
    resolver = roles.Resolver(cfn, TABLES)
    assert resolver.resolve({"Fn::GetAtt": ["SnapshotsTable", "Arn"]}) == "arn:aws:dynamodb:us-east-1:123456789012:table/t-snapshots"
    assert resolver.resolve({"Fn::Sub": "${UsersTable.Arn}/index/fans"}).endswith("table/t-users/index/fans")
    assert resolver.resolve({"Ref": "EventsTable"}) == "t-events"
    assert (
        resolver.resolve({"Fn::Sub": "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${WebSocketApi}/prod/POST/@connections/*"})
        == "arn:aws:execute-api:us-east-1:123456789012:websocketapi0/prod/POST/@connections/*"
    )
    assert resolver.resolve({"Fn::Sub": "StreamerEvents/${AWS::StackName}"}) == "StreamerEvents/invoke-samples"


def test_roles_split_the_codes_grants_from_the_lambda_services(before):
    cfn = roles.transform(before)
    found = roles.roles(cfn, roles.Resolver(cfn, TABLES))
    fanout = found["FanoutFunction"]
    assert any(label.endswith("/ConnectionsQueryDelete") for label, _ in fanout.code)
    assert [s["Action"] for _, s in fanout.service] == ["sqs:SendMessage"]
    assert any(a.endswith("AWSLambdaDynamoDBExecutionRole") for a in fanout.service_managed)
    assert not any("sqs:" in str(s) for _, s in fanout.code)


def test_proof_todays_template_denies_the_pollers_query_on_live_now(before):
    live_now = record("PollerFunction", "dynamodb:Query", "SnapshotsTable", index="live_now", keys=["1"])
    result = check.evaluate(before, META, [live_now])
    (denial,) = result.denials
    function, summary, why, grant = denial
    assert function == "PollerFunction"
    assert "table/t-snapshots/index/live_now" in summary
    assert grant == "Action: dynamodb:Query  Resource: !Sub ${SnapshotsTable.Arn}/index/live_now"


def test_the_same_query_is_allowed_once_the_index_is_granted(before):
    fixed = copy.deepcopy(before)
    statements = fixed["Resources"]["PollerFunction"]["Properties"]["Policies"][0]["Statement"]
    statements.append({"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": {"Fn::Sub": "${SnapshotsTable.Arn}/index/live_now"}})
    live_now = record("PollerFunction", "dynamodb:Query", "SnapshotsTable", index="live_now", keys=["1"])
    assert not check.evaluate(fixed, META, [live_now]).denials


def test_conditions_in_the_template_are_evaluated(before):
    # The api may put the poller's pause flag, and nothing else, in Snapshots.
    pause = record("ApiFunction", "dynamodb:PutItem", "SnapshotsTable", keys=["POLLER"])
    snapshot = record("ApiFunction", "dynamodb:PutItem", "SnapshotsTable", keys=["SNAP#1337"])
    result = check.evaluate(before, META, [pause, snapshot])
    assert [d[1] for d in result.denials] == [
        "dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/t-snapshots LeadingKeys=['SNAP#1337']"
    ]


def test_an_unattributed_call_and_a_silent_function_fail(before):
    stray = {"function": None, "method": "POST", "path": "/", "error": "unattributed"}
    result = check.evaluate(before, META, [stray, record("PollerFunction", "dynamodb:PutItem", "SnapshotsTable", keys=["POLLER"])])
    texts = [t for _, t in result.problems]
    assert any("unattributed" in t for t in texts)
    assert any("bypassed the recorder" in t for f, t in result.problems if f == "WebhookFunction")
    assert result.failed


# ------------------------------------------------------------------ mutation


def test_removing_a_statement_denies_the_call_that_needed_it(before):
    import mutate

    tracked = record("PollerFunction", "dynamodb:Query", "StreamersTable", index="tracked", keys=["T"])
    pause = record("PollerFunction", "dynamodb:PutItem", "SnapshotsTable", keys=["POLLER"])
    outcomes = {}
    for function, statement, what, doc in mutate.mutants(before):
        if function != "PollerFunction":
            continue
        denied = [summary for _, summary, _, _ in check.evaluate(doc, META, [tracked, pause]).denials]
        outcomes[(statement, what)] = denied
    assert outcomes[("TrackedStreamers", "statement")] == [
        "dynamodb:Query on arn:aws:dynamodb:us-east-1:123456789012:table/t-streamers/index/tracked LeadingKeys=['T']"
    ]
    assert len(outcomes[("SnapshotsReadWrite", "action dynamodb:PutItem")]) == 1
    # A grant no call needs survives its removal.
    assert outcomes[("SnapshotsReadWrite", "action dynamodb:GetItem")] == []


# ------------------------------------------------------------ recorder (live)


def test_the_recorder_attributes_by_credential_and_stands_in_for_secrets_manager(tmp_path):
    import json
    import subprocess
    import urllib.request

    import boto3
    import botocore.exceptions

    recording = tmp_path / "calls.jsonl"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "IAM_RECORDING": str(recording),
        "IAM_PRINCIPALS": json.dumps({"AKIAAPIFUNCTION00000": "ApiFunction"}),
        "IAM_META": json.dumps({"tables": {}}),
        "IAM_UPSTREAM_DYNAMODB": "http://127.0.0.1:9",
        "IAM_SECRETS": json.dumps({"app-secrets": '{"ADMIN_TOKEN":"x"}'}),
    }
    proxy = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "recorder.py")], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        url = "http://" + proxy.stdout.readline().strip().rsplit(" ", 1)[1]

        def client(key):
            return boto3.client(
                "secretsmanager",
                endpoint_url=url,
                region_name="us-east-1",
                aws_access_key_id=key,
                aws_secret_access_key="dummy",
            )

        answer = client("AKIAAPIFUNCTION00000").get_secret_value(SecretId="app-secrets")
        assert answer["SecretString"] == '{"ADMIN_TOKEN":"x"}'
        with pytest.raises(botocore.exceptions.ClientError):
            client("AKIASOMEONEELSE00000").get_secret_value(SecretId="app-secrets")
        with urllib.request.urlopen(urllib.request.Request(f"{url}/__recorder/finish", method="POST")) as r:
            assert json.load(r) == {"records": 2}
    finally:
        proxy.kill()
        proxy.wait()
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert lines[0] == {"meta": {"tables": {}}}
    ok, stray = lines[1], lines[2]
    assert (ok["function"], ok["action"], ok["secret_id"], ok["status"]) == (
        "ApiFunction",
        "secretsmanager:GetSecretValue",
        "app-secrets",
        200,
    )
    assert stray["function"] is None and stray["access_key_id"] == "AKIASOMEONEELSE00000"
    # Checked against a role, the stray call fails the check, the other is evaluated.
    result = check.evaluate(roles.load(FIXTURE), META, lines[1:])
    assert any("unattributed" in text for _, text in result.problems)
    assert [d[1] for d in result.denials] == [
        "secretsmanager:GetSecretValue on arn:aws:secretsmanager:us-east-1:123456789012:secret:app-secrets-AbCdEf"
    ]
