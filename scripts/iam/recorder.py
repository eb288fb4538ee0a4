"""A recording proxy for the AWS calls the Lambda functions make while the
samples run (scripts/invoke-samples.sh starts it through the invoke_samples
runner): every DynamoDB, `@connections` and Secrets Manager request of every
function goes through it, is attributed to a function by its SigV4 credential
(each function runs with its own dummy access key id), is recorded the way IAM
authorizes it, and is then forwarded:

  dynamodb        -> DynamoDB Local, unchanged (it does not check signatures);
  execute-api     -> the local stack's `@connections` gateway, re-signed with
                     the stack's management credentials (the gateway checks
                     SigV4 against those only);
  secretsmanager  -> a stand-in answering GetSecretValue from IAM_SECRETS, or
                     IAM_UPSTREAM_SECRETSMANAGER when one is given.

A request with no SigV4 credential, or one whose access key is no function's,
is refused (403) and recorded as unattributed, so the check fails on it.

One record per authorization IAM makes: a TransactWriteItems is recorded item
by item with the action IAM checks for each (a Put needs dynamodb:PutItem on
its table), a BatchWriteItem / BatchGetItem item by item with its own action.
Each record names the table, the index, and the partition key value
(dynamodb:LeadingKeys) where the request carries one.

Environment (set by local/tests/invoke_samples/recorder.rs):
  IAM_RECORDING                 where the recording goes (JSON lines); written
                                to <path>.partial and renamed on POST /__recorder/finish
  IAM_PRINCIPALS                JSON {access key id: function logical id}
  IAM_META                      JSON written as the first line's "meta"
  IAM_UPSTREAM_DYNAMODB         DynamoDB Local's URL
  IAM_UPSTREAM_CONNECTIONS      the gateway's base URL (the stage path is kept)
  IAM_CONNECTIONS_KEY_ID, IAM_CONNECTIONS_SECRET   the gateway's credentials
  IAM_SECRETS                   JSON {secret id: secret string} for the stand-in
  IAM_UPSTREAM_SECRETSMANAGER   a real stand-in to forward to instead

Prints "recorder listening on 127.0.0.1:<port>" once it serves.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The SigV4 Authorization header's credential scope.
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
# `name = :value` (or the reverse) in a KeyConditionExpression.
EQUALITY = re.compile(r"(#?[A-Za-z0-9_.]+)\s*=\s*(:[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)\s*=\s*(#?[A-Za-z0-9_.]+)")
# Headers that describe one hop only, never forwarded.
HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}
# What IAM checks for each kind of item in a transaction.
TRANSACT_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}


def attribute_text(value: dict) -> str:
    """An AttributeValue as the string IAM compares dynamodb:LeadingKeys with."""
    for kind in ("S", "N", "B"):
        if kind in value:
            return str(value[kind])
    return json.dumps(value, sort_keys=True)


class Recording:
    """The JSON-lines file, written one record at a time (threads share it)."""

    def __init__(self, path: str, meta: dict):
        self.path = path
        self.partial = path + ".partial"
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # A recording from an earlier run must not pass for this one's.
        for stale in (path, self.partial):
            if os.path.exists(stale):
                os.remove(stale)
        self.lock = threading.Lock()
        self.count = 0
        self.file = open(self.partial, "w", encoding="utf-8")
        self.file.write(json.dumps({"meta": meta}, sort_keys=True) + "\n")
        self.file.flush()

    def add(self, record: dict) -> None:
        with self.lock:
            self.file.write(json.dumps(record, sort_keys=True) + "\n")
            self.file.flush()
            self.count += 1

    def finish(self) -> int:
        with self.lock:
            self.file.close()
            os.replace(self.partial, self.path)
            return self.count


class KeySchemas:
    """Each table's and index's partition key attribute, asked of DynamoDB
    Local once per table (DescribeTable)."""

    def __init__(self, upstream: str):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.lock = threading.Lock()
        self.cache: dict[str, dict[str | None, str]] = {}

    def hash_key(self, table: str, index: str | None = None) -> str | None:
        with self.lock:
            if table not in self.cache:
                self.cache[table] = self._describe(table)
            return self.cache[table].get(index)

    def _describe(self, table: str) -> dict[str | None, str]:
        body = json.dumps({"TableName": table}).encode()
        conn = HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=10)
        try:
            conn.request(
                "POST",
                "/",
                body,
                {
                    "Content-Type": "application/x-amz-json-1.0",
                    "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                    # DynamoDB Local (-sharedDb) wants the header's shape only.
                    "Authorization": "AWS4-HMAC-SHA256 Credential=recorder/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
                },
            )
            answer = json.loads(conn.getresponse().read() or b"{}")
        finally:
            conn.close()
        described = answer.get("Table", {})
        out: dict[str | None, str] = {}

        def hash_of(schema: list) -> str | None:
            return next((k["AttributeName"] for k in schema if k.get("KeyType") == "HASH"), None)

        out[None] = hash_of(described.get("KeySchema", []))
        for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            for index in described.get(kind, []):
                out[index["IndexName"]] = hash_of(index.get("KeySchema", []))
        return out


def query_leading_keys(body: dict, partition: str | None) -> list[str]:
    """The partition key value a Query names (KeyConditionExpression or the
    legacy KeyConditions)."""
    if partition is None:
        return []
    names = body.get("ExpressionAttributeNames", {})
    values = body.get("ExpressionAttributeValues", {})
    expression = body.get("KeyConditionExpression")
    if expression:
        for m in EQUALITY.finditer(expression):
            name, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
            if names.get(name, name) == partition and value in values:
                return [attribute_text(values[value])]
        return []
    condition = body.get("KeyConditions", {}).get(partition)
    if condition and condition.get("ComparisonOperator") == "EQ":
        return [attribute_text(v) for v in condition.get("AttributeValueList", [])]
    return []


def dynamodb_records(operation: str, body: dict, schemas: KeySchemas) -> list[dict]:
    """The authorizations one DynamoDB request needs, one record each."""

    def leading(table: str, key: dict | None, index: str | None = None) -> list[str]:
        attribute = schemas.hash_key(table, index)
        if key is None or attribute is None or attribute not in key:
            return []
        return [attribute_text(key[attribute])]

    def record(action: str, table: str | None, index: str | None = None, keys: list | None = None, **extra) -> dict:
        out = {"action": action, "table": table, "index": index, "leading_keys": keys if keys is not None else None}
        out.update(extra)
        return out

    single = {"GetItem": "Key", "DeleteItem": "Key", "UpdateItem": "Key", "PutItem": "Item"}
    if operation in single:
        table = body.get("TableName")
        return [record(f"dynamodb:{operation}", table, None, leading(table, body.get(single[operation])))]
    if operation == "Query":
        table, index = body.get("TableName"), body.get("IndexName")
        return [record("dynamodb:Query", table, index, query_leading_keys(body, schemas.hash_key(table, index)))]
    if operation == "Scan":
        # No partition key: the context key is absent.
        return [record("dynamodb:Scan", body.get("TableName"), body.get("IndexName"), [])]
    if operation == "BatchGetItem":
        out = []
        for table, request in body.get("RequestItems", {}).items():
            for key in request.get("Keys", []):
                out.append(record("dynamodb:BatchGetItem", table, None, leading(table, key), item="Get"))
        return out
    if operation == "BatchWriteItem":
        out = []
        for table, requests in body.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    key, item = request["PutRequest"].get("Item"), "Put"
                else:
                    key, item = request.get("DeleteRequest", {}).get("Key"), "Delete"
                out.append(record("dynamodb:BatchWriteItem", table, None, leading(table, key), item=item))
        return out
    if operation in ("TransactWriteItems", "TransactGetItems"):
        out = []
        for entry in body.get("TransactItems", []):
            for item, inner in entry.items():
                table = inner.get("TableName")
                key = inner.get("Item") if item == "Put" else inner.get("Key")
                action = TRANSACT_ACTIONS.get(item, f"dynamodb:{item}")
                out.append(record(action, table, None, leading(table, key), item=item))
        return out
    # Anything else (DescribeTable, ...): its own action on the table, no key.
    return [record(f"dynamodb:{operation}", body.get("TableName"), None, [])]


class Proxy:
    """Shared state of the handler threads."""

    def __init__(self, env: dict):
        self.principals: dict[str, str] = json.loads(env["IAM_PRINCIPALS"])
        self.recording = Recording(env["IAM_RECORDING"], json.loads(env.get("IAM_META", "{}")))
        self.dynamodb = urllib.parse.urlsplit(env["IAM_UPSTREAM_DYNAMODB"])
        self.schemas = KeySchemas(env["IAM_UPSTREAM_DYNAMODB"])
        connections = env.get("IAM_UPSTREAM_CONNECTIONS")
        self.connections = urllib.parse.urlsplit(connections) if connections else None
        self.connections_key = (env.get("IAM_CONNECTIONS_KEY_ID", ""), env.get("IAM_CONNECTIONS_SECRET", ""))
        secrets = env.get("IAM_UPSTREAM_SECRETSMANAGER")
        self.secrets_upstream = urllib.parse.urlsplit(secrets) if secrets else None
        self.secrets: dict[str, str] = json.loads(env.get("IAM_SECRETS", "{}"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: Proxy  # set on the class before serving

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:
        self.handle_any()

    def do_POST(self) -> None:
        self.handle_any()

    def do_DELETE(self) -> None:
        self.handle_any()

    def do_PUT(self) -> None:
        self.handle_any()

    # ------------------------------------------------------------------ answer

    def answer(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        for name, value in headers or []:
            if name.lower() not in HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def aws_error(self, status: int, kind: str, message: str) -> None:
        body = json.dumps({"__type": kind, "message": message}).encode()
        self.answer(status, body, [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", kind)])

    def forward(self, upstream: urllib.parse.SplitResult, path: str, body: bytes, headers: list[tuple[str, str]]) -> int:
        conn = HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            conn.putrequest(self.command, path, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", upstream.netloc)
            for name, value in headers:
                if name.lower() not in HOP:
                    conn.putheader(name, value)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            data = response.read()
            self.answer(response.status, data, response.getheaders())
            self.upstream_body = data
            return response.status
        finally:
            conn.close()

    # ----------------------------------------------------------------- request

    def handle_any(self) -> None:
        proxy = self.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/__recorder/finish" and "Authorization" not in self.headers:
            count = proxy.recording.finish()
            self.answer(200, json.dumps({"records": count}).encode(), [("Content-Type", "application/json")])
            return
        scope = CREDENTIAL.search(self.headers.get("Authorization", ""))
        function = proxy.principals.get(scope.group(1)) if scope else None
        if scope is None or function is None:
            proxy.recording.add(
                {
                    "function": None,
                    "access_key_id": scope.group(1) if scope else None,
                    "service": scope.group(4) if scope else None,
                    "method": self.command,
                    "path": self.path,
                    "error": "unattributed: no SigV4 credential of a known function",
                }
            )
            self.aws_error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
            return
        service, region = scope.group(4), scope.group(3)
        base = {"function": function, "service": service, "region": region}
        if service == "dynamodb":
            self.dynamodb(base, body)
        elif service == "execute-api":
            self.connections(base, body)
        elif service == "secretsmanager":
            self.secretsmanager(base, body)
        else:
            proxy.recording.add({**base, "error": f"a service the recorder does not pass: {service}", "path": self.path})
            self.aws_error(403, "AccessDeniedException", f"the recorder does not pass {service}")

    def dynamodb(self, base: dict, body: bytes) -> None:
        operation = self.headers.get("X-Amz-Target", "").split(".")[-1]
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        records = dynamodb_records(operation, request, self.proxy.schemas)
        status = self.forward(self.proxy.dynamodb, self.path, body, list(self.headers.items()))
        for record in records:
            self.proxy.recording.add({**base, "operation": operation, "status": status, **record})

    def connections(self, base: dict, body: bytes) -> None:
        proxy = self.proxy
        path = urllib.parse.urlsplit(self.path).path
        # /<stage>/@connections/<id>, as the SDK calls it under the endpoint's path.
        m = re.fullmatch(r"/(?:([^/]+)/)?@connections/([^/]+)", path)
        record = {
            **base,
            "operation": {"POST": "PostToConnection", "GET": "GetConnection", "DELETE": "DeleteConnection"}.get(self.command, self.command),
            "action": "execute-api:ManageConnections",
            "method": self.command,
            "stage": m.group(1) if m else None,
            "connection_id": urllib.parse.unquote(m.group(2)) if m else None,
        }
        if proxy.connections is None or m is None:
            proxy.recording.add({**record, "error": "no @connections upstream or not an @connections path", "path": path})
            self.aws_error(403, "ForbiddenException", "not an @connections call")
            return
        headers = resign(self.command, proxy.connections, self.path, body, self.headers, base["region"], proxy.connections_key)
        status = self.forward(proxy.connections, proxy.connections.path.rstrip("/") + self.path, body, headers)
        proxy.recording.add({**record, "status": status})

    def secretsmanager(self, base: dict, body: bytes) -> None:
        proxy = self.proxy
        operation = self.headers.get("X-Amz-Target", "").split(".")[-1]
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        secret_id = request.get("SecretId")
        record = {**base, "operation": operation, "action": f"secretsmanager:{operation}", "secret_id": secret_id}
        if proxy.secrets_upstream is not None:
            status = self.forward(proxy.secrets_upstream, self.path, body, list(self.headers.items()))
            try:
                record["secret_arn"] = json.loads(self.upstream_body).get("ARN")
            except (ValueError, AttributeError):
                pass
        elif operation == "GetSecretValue" and secret_id in proxy.secrets:
            status = 200
            # Secrets Manager names a secret's ARN <name>-<six characters>.
            arn = secret_id if str(secret_id).startswith("arn:") else f"arn:aws:secretsmanager:{base['region']}:000000000000:secret:{secret_id}-AbCdEf"
            record["secret_arn"] = arn
            answer = {
                "ARN": arn,
                "Name": str(secret_id).split(":")[-1],
                "SecretString": proxy.secrets[secret_id],
                "VersionId": "00000000-0000-0000-0000-000000000000",
                "VersionStages": ["AWSCURRENT"],
                "CreatedDate": time.time(),
            }
            self.answer(200, json.dumps(answer).encode(), [("Content-Type", "application/x-amz-json-1.1")])
        else:
            status = 400
            self.aws_error(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
        proxy.recording.add({**record, "status": status})


def resign(method: str, upstream, path: str, body: bytes, headers, region: str, key: tuple[str, str]) -> list[tuple[str, str]]:
    """The request's headers signed for `upstream` with the gateway's own
    credentials (the function's signature named the proxy's host)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    kept = {
        name: value
        for name, value in headers.items()
        if name.lower() not in HOP
        and name.lower() not in ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")
        and not name.lower().startswith("amz-sdk-")
        and name.lower() not in ("user-agent", "x-amz-user-agent")
    }
    url = f"{upstream.scheme}://{upstream.netloc}{upstream.path.rstrip('/')}{path}"
    request = AWSRequest(method=method, url=url, data=body, headers=kept)
    SigV4Auth(Credentials(*key), "execute-api", region).add_auth(request)
    return [(k, v) for k, v in request.headers.items() if k.lower() != "host"]


def main() -> int:
    proxy = Proxy(dict(os.environ))
    Handler.proxy = proxy
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("IAM_RECORDER_PORT", "0"))), Handler)
    server.daemon_threads = True
    print(f"recorder listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
