"""scripts/deploy.sh against stand-ins: Secrets Manager is a moto server on
loopback, `sam` is sam_stub.py on PATH (it records every call, with its
environment and its parent's). Nothing leaves 127.0.0.1: the children get
dummy credentials, AWS_EC2_METADATA_DISABLED, Secrets Manager's endpoint on the
moto server and every other AWS endpoint on a closed loopback port (so a
control-plane call that bypassed `sam` would fail here).

    .venv/bin/python -m pytest scripts/deploy -q -p no:cacheprovider
    (or scripts/deploy-test.sh)
"""

import base64
import fcntl
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import termios
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEPLOY = str(ROOT / "scripts" / "deploy.sh")
REGION = "us-east-1"
CLIENT_ID = "abcdefghij0123456789klmnopqrst"
# What the "user" types when asked for the Twitch client secret.
CLIENT_SECRET = "Tw1tchClientSecretTypedByTheUser"
KEYS = {"eventsub_secret", "ticket_secret", "admin_token", "session_key", "twitch_client_secret"}
RUN_TIMEOUT = 60


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_env() -> dict:
    """The base of every child's environment: dummy credentials, no metadata lookups, and
    every HTTP(S) request to anything but 127.0.0.1 sent to a closed loopback port (the
    proxy), so it fails here instead of leaving the machine."""
    dead_end = f"http://127.0.0.1:{closed_port()}"
    return {
        "PATH": os.environ["PATH"],
        "LANG": "C.UTF-8",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "SAM_CLI_TELEMETRY": "0",
        "HTTP_PROXY": dead_end,
        "HTTPS_PROXY": dead_end,
        "NO_PROXY": "127.0.0.1",
    }


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory):
    """A moto server on a free loopback port for the whole session, stopped by its PID."""
    env = loopback_env() | {"HOME": str(tmp_path_factory.mktemp("moto-home"))}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    port = None
    assert proc.stdout is not None
    for line in proc.stdout:  # ends at EOF if moto exits
        m = re.search(r"Running on http://127\.0\.0\.1:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        proc.kill()
        pytest.fail("the moto server did not start")
    # Its request log keeps coming; read it so the pipe never fills.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)


def aws_client(service: str, moto_url: str):
    """A boto3 client of the moto server."""
    return boto3.client(service, region_name=REGION, endpoint_url=moto_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def outputs_for(base: str, admin_url: str | None = None) -> list:
    """The stack outputs, as `sam list stack-outputs --output json` prints them."""
    return [
        {"OutputKey": "PageUrl", "OutputValue": f"{base}/", "Description": "The page"},
        {"OutputKey": "TwitchRedirectUrl", "OutputValue": f"{base}/auth/callback",
         "Description": "Register exactly this OAuth Redirect URL"},
        {"OutputKey": "AdminUrl", "OutputValue": admin_url or f"{base}/admin/streamers",
         "Description": "Admin routes"},
        {"OutputKey": "WebhookUrl", "OutputValue": f"{base}/eventsub", "Description": "EventSub callback"},
    ]


class StandIns:
    """One test's world: a fresh stack name, the sam stub's directory, the child environment."""

    def __init__(self, tmp: Path, moto_url: str):
        self.stack = f"t-{uuid.uuid4().hex[:10]}"
        self.secret_id = f"streamer-events/{self.stack}"
        self.dir = tmp / "sam-stub"
        (self.dir / "bin").mkdir(parents=True)
        (self.dir / "stacks").mkdir()
        sam = self.dir / "bin" / "sam"
        sam.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{HERE / "sam_stub.py"}" "$@"\n')
        sam.chmod(0o755)
        self.base = "https://abc123.execute-api.us-east-1.amazonaws.com"
        self.set_outputs(outputs_for(self.base))
        # The real sam (test_stub_answers_like_sam) asks PyPI for a newer version
        # once a week, by this file's date; it says it just did.
        (tmp / "home" / ".aws-sam").mkdir(parents=True)
        (tmp / "home" / ".aws-sam" / "metadata.json").write_text(
            json.dumps({"lastVersionCheck": time.time(), "telemetryEnabled": False}))
        self.env = loopback_env() | {
            "PATH": f"{self.dir / 'bin'}:{os.environ['PATH']}",
            "HOME": str(tmp / "home"),
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed_port()}",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url,
            "SAM_STUB_DIR": str(self.dir),
        }
        self.sm = aws_client("secretsmanager", moto_url)

    def set_outputs(self, outputs: list) -> None:
        (self.dir / "outputs.json").write_text(json.dumps(outputs))

    def set_stack(self, state: str) -> None:
        (self.dir / "stacks" / self.stack).write_text(state)

    def calls(self) -> list:
        path = self.dir / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def commands(self) -> list:
        """Each recorded call's first two words (e.g. ["list", "stack-outputs"], ["build"])."""
        return [" ".join(c["argv"][:2]) if c["argv"][:1] == ["list"] else c["argv"][0] for c in self.calls()]

    def secret(self) -> dict:
        return json.loads(self.sm.get_secret_value(SecretId=self.secret_id)["SecretString"])

    def flags(self) -> list:
        return ["--stack-name", self.stack, "--region", REGION]

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
        """scripts/deploy.sh with stdin a pipe (not a terminal)."""
        return subprocess.run([DEPLOY, *args], input=stdin, capture_output=True, text=True,
                              env=self.env, timeout=RUN_TIMEOUT)

    def run_tty(self, *args: str, answers: list) -> tuple:
        """scripts/deploy.sh on a pseudo-terminal that is its controlling terminal (so getpass
        reads /dev/tty, as for a person). answers: (prompt regex, reply) in order; each reply is
        typed once its prompt shows. A question not in answers leaves the script waiting, and
        the run fails on its timeout. Returns (exit code, everything the terminal showed)."""
        master, slave = os.openpty()

        def controlling_tty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        p = subprocess.Popen([DEPLOY, *args], stdin=slave, stdout=slave, stderr=slave, env=self.env,
                             preexec_fn=controlling_tty, close_fds=True)
        os.close(slave)
        shown, since_answer = b"", 0
        pending = list(answers)
        deadline = time.monotonic() + RUN_TIMEOUT
        try:
            while True:
                ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    p.kill()
                    pytest.fail(f"scripts/deploy.sh waited for more input; the terminal showed:\n"
                                f"{shown.decode(errors='replace')}")
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: every holder of the terminal has exited
                    break
                if not chunk:
                    break
                shown += chunk
                if pending and re.search(pending[0][0].encode(), shown[since_answer:]):
                    os.write(master, pending.pop(0)[1].encode() + b"\n")
                    since_answer = len(shown)
        finally:
            os.close(master)
        return p.wait(timeout=10), shown.decode(errors="replace")


@pytest.fixture
def world(tmp_path, moto_url):
    return StandIns(tmp_path, moto_url)


def assert_no_secret_anywhere(world: StandIns, *texts: str) -> None:
    """No secret value in any recorded argv or environment (the stub's and the deploy
    script's own, seen from the stub), nor in the given output."""
    values = list(world.secret().values())
    assert values
    for call in world.calls():
        blob = json.dumps(call)
        for v in values:
            assert v not in blob, f"a secret ({len(v)} chars) is in the call {call['argv'][:2]}"
    for text in texts:
        for v in values:
            assert v not in text, "a secret value was printed"


def assert_valid_shapes(values: dict) -> None:
    assert set(values) == KEYS
    assert re.fullmatch(r"[A-Za-z0-9_-]{48}", values["eventsub_secret"])
    assert re.fullmatch(r"[\x21-\x7e]{32,}", values["ticket_secret"])
    assert re.fullmatch(r"[\x21-\x7e]{32,}", values["admin_token"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{43}=", values["session_key"])
    assert len(base64.b64decode(values["session_key"], validate=True)) == 32
    assert values["twitch_client_secret"] == CLIENT_SECRET
    assert len(set(values.values())) == len(values), "generated values must differ"


def assert_outputs_and_next_step(world: StandIns, out: str) -> None:
    assert f"PageUrl            {world.base}/" in out
    assert f"TwitchRedirectUrl  {world.base}/auth/callback" in out
    assert "set its\n     OAuth Redirect URL to exactly" in out.replace("\r\n", "\n")
    assert f"scripts/deploy.sh track <twitch login> --stack-name {world.stack} --region {REGION}" in out


def deploy_argv(world: StandIns) -> list:
    [call] = [c for c in world.calls() if c["argv"][0] == "deploy"]
    return call["argv"]


def first_run_piped(world: StandIns) -> subprocess.CompletedProcess:
    r = world.run("--twitch-client-id", CLIENT_ID, *world.flags(), stdin=CLIENT_SECRET + "\n")
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_first_run_on_a_terminal_asks_only_for_the_client_secret_hidden(world):
    code, shown = world.run_tty("--twitch-client-id", CLIENT_ID, *world.flags(),
                                answers=[(r"Twitch client secret \(hidden\): ", CLIENT_SECRET)])
    assert code == 0, shown
    assert shown.count("Twitch client secret") == 1
    assert "Twitch client id:" not in shown
    assert CLIENT_SECRET not in shown, "the typed secret was echoed"
    assert_valid_shapes(world.secret())
    assert world.commands() == ["list stack-outputs", "build", "deploy", "list stack-outputs"]
    argv = deploy_argv(world)
    for flag in ("--no-confirm-changeset", "--no-fail-on-empty-changeset", "--resolve-s3"):
        assert flag in argv
    assert argv[argv.index("--capabilities") + 1] == "CAPABILITY_IAM"
    assert argv[argv.index("--stack-name") + 1] == world.stack
    assert argv[argv.index("--region") + 1] == REGION
    assert argv[argv.index("--on-failure") + 1] == "DELETE"
    assert argv[argv.index("--parameter-overrides") + 1:] == [f'TwitchClientId="{CLIENT_ID}"']
    assert_outputs_and_next_step(world, shown)
    assert_no_secret_anywhere(world, shown)


def test_enter_at_a_question_asks_again_instead_of_aborting(world):
    # Each answer waits for its prompt: getpass discards what was typed
    # before it turned echo off (TCSAFLUSH), as it would for a person.
    code, shown = world.run_tty(*world.flags(), answers=[
        (r"Twitch client id: ", ""),
        (r"needed: letters and digits.*\n.*Twitch client id: ", CLIENT_ID),
        (r"Twitch client secret \(hidden\): ", ""),
        (r"needed: the app's client secret.*\n.*Twitch client secret \(hidden\): ", CLIENT_SECRET),
    ])
    assert code == 0, shown
    assert CLIENT_ID in shown  # the id is asked visibly
    assert CLIENT_SECRET not in shown
    assert world.secret()["twitch_client_secret"] == CLIENT_SECRET
    assert deploy_argv(world)[-1] == f'TwitchClientId="{CLIENT_ID}"'


def test_second_run_asks_nothing_and_reuses_every_value(world):
    first_run_piped(world)
    before = world.sm.get_secret_value(SecretId=world.secret_id)
    r = world.run(*world.flags(), stdin="")  # no client id, nothing on stdin: any question fails
    assert r.returncode == 0, r.stdout + r.stderr
    assert "reading one line from stdin" not in r.stderr
    after = world.sm.get_secret_value(SecretId=world.secret_id)
    assert after["VersionId"] == before["VersionId"], "the secret was written again"
    assert json.loads(after["SecretString"]) == json.loads(before["SecretString"])
    argv = [c["argv"] for c in world.calls() if c["argv"][0] == "deploy"][-1]
    assert "--on-failure" not in argv  # an update rolls back, never deletes
    assert "--parameter-overrides" not in argv  # the deployed TwitchClientId is kept
    assert "secret streamer-events/" in r.stdout and "reused as it is" in r.stdout
    assert_outputs_and_next_step(world, r.stdout)
    assert_no_secret_anywhere(world, r.stdout, r.stderr)


def test_piped_first_run_reads_the_client_id_then_the_secret_from_stdin(world):
    r = world.run(*world.flags(), stdin=f"{CLIENT_ID}\n{CLIENT_SECRET}\n")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stderr.count("reading one line from stdin") == 2
    assert_valid_shapes(world.secret())
    assert deploy_argv(world)[-1] == f'TwitchClientId="{CLIENT_ID}"'


def test_an_existing_secret_is_completed_never_overwritten(world):
    kept = {"admin_token": "A" * 40, "twitch_client_secret": CLIENT_SECRET, "extra": "left alone"}
    world.sm.create_secret(Name=world.secret_id, SecretString=json.dumps(kept))
    world.set_stack("deployed")
    r = world.run(*world.flags(), stdin="")
    assert r.returncode == 0, r.stdout + r.stderr
    values = world.secret()
    assert {k: values[k] for k in kept} == kept
    assert_valid_shapes({k: v for k, v in values.items() if k != "extra"})
    assert "added eventsub_secret, ticket_secret, session_key" in r.stdout
    assert_no_secret_anywhere(world, r.stdout, r.stderr)


def test_a_malformed_stored_value_stops_before_deploying_and_is_not_replaced(world):
    bad = {"session_key": "c2hvcnQ=", "twitch_client_secret": CLIENT_SECRET}
    world.sm.create_secret(Name=world.secret_id, SecretString=json.dumps(bad))
    world.set_stack("deployed")
    r = world.run(*world.flags(), stdin="")
    assert r.returncode == 1
    assert "session_key: must be 32 bytes in standard base64" in r.stderr
    assert "c2hvcnQ=" not in r.stdout + r.stderr
    assert world.secret() == bad
    assert world.commands() == ["list stack-outputs"]


def test_rollback_complete_is_explained_without_a_prompt(world):
    world.set_stack("no-outputs")
    r = world.run("--twitch-client-id", CLIENT_ID, *world.flags(), stdin="")
    assert r.returncode == 1
    assert "ROLLBACK_COMPLETE" in r.stderr
    assert f"scripts/deploy.sh --delete-failed --stack-name {world.stack} --region {REGION}" in r.stderr
    assert f"sam delete --stack-name {world.stack} --region {REGION} --no-prompts" in r.stderr
    assert "reading one line" not in r.stderr
    assert world.commands() == ["list stack-outputs"]


def test_delete_failed_deletes_the_failed_stack_then_creates_it(world):
    world.set_stack("no-outputs")
    r = world.run("--delete-failed", "--twitch-client-id", CLIENT_ID, *world.flags(), stdin=CLIENT_SECRET + "\n")
    assert r.returncode == 0, r.stdout + r.stderr
    assert world.commands() == ["list stack-outputs", "delete", "build", "deploy", "list stack-outputs"]
    [delete] = [c["argv"] for c in world.calls() if c["argv"][0] == "delete"]
    assert delete == ["delete", "--stack-name", world.stack, "--region", REGION, "--no-prompts"]
    assert "--on-failure" in deploy_argv(world)
    assert_outputs_and_next_step(world, r.stdout)


def test_a_failed_first_create_says_to_run_again_and_keeps_the_secret(world):
    (world.dir / "deploy-fails").touch()
    r = world.run("--twitch-client-id", CLIENT_ID, *world.flags(), stdin=CLIENT_SECRET + "\n")
    assert r.returncode == 1
    assert "The failed create was deleted, so fix the cause and run the same command again" in r.stderr
    first = world.secret()
    (world.dir / "deploy-fails").unlink()
    r = world.run(*world.flags(), "--twitch-client-id", CLIENT_ID, stdin="")
    assert r.returncode == 0, r.stdout + r.stderr
    assert world.secret() == first


class AdminRoute(BaseHTTPRequestHandler):
    """POST /admin/streamers as the manager answers it; records what it got."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                 "body": json.loads(body)})
        status, answer = self.server.answer
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_):
        pass


@pytest.fixture
def admin():
    server = ThreadingHTTPServer(("127.0.0.1", 0), AdminRoute)
    server.seen, server.answer = [], (200, {})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_track_posts_the_streamer_with_the_admin_token_from_the_secret(world, admin):
    world.set_outputs(outputs_for(world.base, f"http://127.0.0.1:{admin.server_port}/admin/streamers"))
    first_run_piped(world)
    admin.answer = (200, {"id": "12826", "login": "twitch", "wanted": True,
                          "types": {"stream.online": {"state": "pending"}, "channel.follow": {"state": "pending"}}})
    r = world.run("track", "twitch", *world.flags())
    assert r.returncode == 0, r.stdout + r.stderr
    assert admin.seen == [{"path": "/admin/streamers", "authorization": f"Bearer {world.secret()['admin_token']}",
                           "body": {"streamer": "twitch"}}]
    assert "tracking twitch (user id 12826)" in r.stdout
    assert world.commands()[-1] == "list stack-outputs"
    assert_no_secret_anywhere(world, r.stdout, r.stderr)


def test_track_reports_the_routes_error(world, admin):
    world.set_outputs(outputs_for(world.base, f"http://127.0.0.1:{admin.server_port}/admin/streamers"))
    first_run_piped(world)
    admin.answer = (404, {"error": "unknown_streamer", "message": "no Twitch user nobody_here"})
    r = world.run("track", "nobody_here", *world.flags())
    assert r.returncode == 1
    assert "404 unknown_streamer: no Twitch user nobody_here" in r.stderr


def test_stub_answers_like_sam(world, moto_url, tmp_path):
    """The stub's `list stack-outputs` answers are the real SAM CLI's, read from a moto CloudFormation."""
    cf = aws_client("cloudformation", moto_url)
    handle = {"H": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
    outputs = {o["OutputKey"]: {"Value": o["OutputValue"], "Description": o["Description"]}
               for o in outputs_for(world.base)}
    cf.create_stack(StackName=f"{world.stack}-deployed", TemplateBody=json.dumps(
        {"Resources": handle, "Outputs": outputs}))
    cf.create_stack(StackName=f"{world.stack}-no-outputs", TemplateBody=json.dumps({"Resources": handle}))
    world.set_outputs(outputs_for(world.base))
    (world.dir / "stacks" / f"{world.stack}-deployed").write_text("deployed")
    (world.dir / "stacks" / f"{world.stack}-no-outputs").write_text("no-outputs")
    real_env = world.env | {"AWS_ENDPOINT_URL": moto_url}
    for suffix in ("deployed", "no-outputs", "absent"):
        args = ["list", "stack-outputs", "--stack-name", f"{world.stack}-{suffix}", "--output", "json",
                "--region", REGION]
        real = subprocess.run([str(ROOT / ".venv" / "bin" / "sam"), *args], capture_output=True, text=True,
                              env=real_env, timeout=RUN_TIMEOUT)
        stub = subprocess.run([str(world.dir / "bin" / "sam"), *args], capture_output=True, text=True,
                              env=world.env, timeout=RUN_TIMEOUT)
        assert (stub.returncode, stub.stderr.strip()) == (real.returncode, real.stderr.strip()), suffix
        if real.returncode == 0:
            assert json.loads(stub.stdout) == json.loads(real.stdout)


def test_every_sam_call_is_one_the_real_sam_accepts(world):
    """Each command line deploy.sh gave the stub, run by the real SAM CLI with --help appended:
    click rejects an unknown option (exit 2) before --help (exit 0) is acted on. Option names
    are checked this way, not their values."""
    world.set_stack("no-outputs")
    r = world.run("--delete-failed", "--twitch-client-id", CLIENT_ID, "--parameter", "PollSchedule=rate(5 minutes)",
                  *world.flags(), stdin=CLIENT_SECRET + "\n")
    assert r.returncode == 0, r.stdout + r.stderr
    seen = {}
    for call in world.calls():
        seen.setdefault(call["argv"][0], call["argv"])
    assert sorted(seen) == ["build", "delete", "deploy", "list"]
    assert sorted(seen["deploy"][-2:]) == ['PollSchedule="rate(5 minutes)"', f'TwitchClientId="{CLIENT_ID}"']
    for argv in seen.values():
        real = subprocess.run([str(ROOT / ".venv" / "bin" / "sam"), *argv, "--help"], capture_output=True,
                              text=True, env=world.env | {"PATH": os.environ["PATH"]}, timeout=RUN_TIMEOUT)
        assert real.returncode == 0, f"sam {' '.join(argv[:2])}: {real.stderr}"
