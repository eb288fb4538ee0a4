"""The body of scripts/deploy.sh: a first deploy, and every later one, in one
command that never asks a question whose default aborts.

    scripts/deploy.sh [--twitch-client-id ID] [--stack-name NAME] [--region R]
                      [--delete-failed] [--skip-build] [--parameter Key=Value ...]
    scripts/deploy.sh track <login or user id> [--stack-name NAME] [--region R]

Deploy: reads the stack's state (`sam list stack-outputs`), makes sure the
stack's secret exists in AWS Secrets Manager (`streamer-events/<stack name>`,
one JSON object; missing keys are added, existing values are never replaced,
random ones come from `secrets`), runs `sam build` and `sam deploy`
non-interactively, and prints PageUrl, TwitchRedirectUrl and what to do next.
Track: POSTs the streamer to the stack's AdminUrl with the admin token read
from the secret.

Secrets stay in this process: they are read and written with boto3 here, never
put in a child's arguments or environment, and never printed. The only
question about a secret is the Twitch client secret, asked once (hidden) when
the stored secret lacks it. On a terminal it is read with getpass (no echo);
when stdin is not a terminal, one line is read from stdin instead (so
`scripts/deploy.sh --twitch-client-id ID < file-with-the-secret` works, and
tests drive it). The Twitch client id, when neither --twitch-client-id nor
TWITCH_CLIENT_ID gives it and the stack does not exist yet, is asked the same
way, visibly, before the secret.

Everything on the AWS control plane except the secret store goes through the
`sam` on PATH (scripts/deploy.sh appends .venv/bin), so a stand-in `sam` sees
every such call.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from pathlib import Path

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:
    sys.exit("deploy: boto3 is missing: run scripts/setup.sh (it installs .venv)")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STACK = "streamer-events"
SECRET_PREFIX = "streamer-events/"
TWITCH_CONSOLE = "https://dev.twitch.tv/console/apps"
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
PARAMETER = re.compile(r"([A-Za-z0-9]+)=(.*)", re.S)
CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,100}")


class DeployError(Exception):
    """A failure the user can act on: its message says what happened and what to do."""


# --- the stack's secret -------------------------------------------------------

# Each generated key: how to make a value, and what a stored value must look
# like (what the functions check at init).
GENERATED = {
    "eventsub_secret": (lambda: secrets.token_urlsafe(36), re.compile(r"[\x20-\x7e]{10,100}"),
                        "10 to 100 printable ASCII characters"),
    "ticket_secret": (lambda: secrets.token_urlsafe(48), re.compile(r"[\x20-\x7e]{32,}"),
                      "at least 32 printable ASCII characters"),
    "admin_token": (lambda: secrets.token_urlsafe(48), re.compile(r"[\x21-\x7e]{32,}"),
                    "at least 32 printable ASCII characters, no spaces"),
    "session_key": (lambda: base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
                    re.compile(r"[A-Za-z0-9+/]{43}="), "32 bytes in standard base64 (44 characters ending '=')"),
}
ASKED = "twitch_client_secret"
ASKED_SHAPE = re.compile(r"[\x21-\x7e]{1,200}")
SECRET_KEYS = (*GENERATED, ASKED)


def secret_name(stack: str) -> str:
    """The stack's secret, as the template names it (SECRETS_ID)."""
    return SECRET_PREFIX + stack


def check_shapes(name: str, values: dict) -> None:
    """Fails, naming the key (never the value), when a stored value is not what the functions accept."""
    bad = []
    for key, (_, shape, what) in GENERATED.items():
        if key in values and not (isinstance(values[key], str) and shape.fullmatch(values[key])):
            bad.append(f"  {key}: must be {what}")
    if ASKED in values and not (isinstance(values[ASKED], str) and ASKED_SHAPE.fullmatch(values[ASKED])):
        bad.append(f"  {ASKED}: must be printable ASCII without spaces")
    if bad:
        raise DeployError(
            f"the secret {name} holds values the functions would refuse:\n" + "\n".join(bad) + "\n"
            "Nothing was changed. Fix them in the Secrets Manager console, or remove those keys "
            "from the secret and run this again to have new ones generated (a new session_key "
            "logs every user out; a new twitch_client_secret is asked for)."
        )


@dataclass
class SecretOutcome:
    """What ensure_secret did, by key name (values never leave the secret store and this process)."""
    created: bool
    added: list
    kept: list


def ensure_secret(sm, name: str, ask_client_secret) -> SecretOutcome:
    """Creates the stack's secret or completes the existing one; never replaces a stored value."""
    try:
        current = sm.get_secret_value(SecretId=name)
    except ClientError as e:
        err = e.response.get("Error", {})
        code, message = err.get("Code", ""), err.get("Message", "")
        if code == "ResourceNotFoundException":
            current = None
        elif code == "InvalidRequestException" and "deletion" in message:
            raise DeployError(
                f"the secret {name} is scheduled for deletion. Restore it (Secrets Manager console, "
                f"or `aws secretsmanager restore-secret --secret-id {name}`) and run this again; "
                "its values are what the deployed functions use."
            ) from e
        else:
            raise DeployError(f"cannot read the secret {name}: {code}: {message}") from e
    except BotoCoreError as e:
        raise DeployError(f"the call to Secrets Manager failed: {e}") from e

    values: dict = {}
    if current is not None:
        raw = current.get("SecretString")
        try:
            values = json.loads(raw) if raw is not None else None
        except json.JSONDecodeError:
            values = None
        if not isinstance(values, dict):
            raise DeployError(
                f"the secret {name} exists but its value is not a JSON object; nothing was changed. "
                f"It must hold the keys {', '.join(SECRET_KEYS)}."
            )
        check_shapes(name, values)

    kept = [k for k in SECRET_KEYS if k in values]
    added = []
    if ASKED not in values:
        values[ASKED] = ask_client_secret()
        added.append(ASKED)
    for key, (make, _, _) in GENERATED.items():
        if key not in values:
            values[key] = make()
            added.append(key)
    if not added:
        return SecretOutcome(created=False, added=[], kept=kept)

    body = json.dumps(values)
    try:
        if current is None:
            sm.create_secret(
                Name=name,
                Description="streamer-events: the functions' secrets (scripts/deploy.sh)",
                SecretString=body,
            )
        else:
            sm.put_secret_value(SecretId=current["ARN"], SecretString=body)
    except ClientError as e:
        err = e.response.get("Error", {})
        raise DeployError(f"cannot write the secret {name}: {err.get('Code')}: {err.get('Message')}") from e
    except BotoCoreError as e:
        raise DeployError(f"the call to Secrets Manager failed: {e}") from e
    return SecretOutcome(created=current is None, added=added, kept=kept)


def read_secret(sm, name: str) -> dict:
    """The stack's secret as a dict (for track)."""
    try:
        raw = sm.get_secret_value(SecretId=name)["SecretString"]
        values = json.loads(raw)
    except ClientError as e:
        err = e.response.get("Error", {})
        raise DeployError(f"cannot read the secret {name}: {err.get('Code')}: {err.get('Message')}") from e
    except BotoCoreError as e:
        raise DeployError(f"the call to Secrets Manager failed: {e}") from e
    except (KeyError, json.JSONDecodeError) as e:
        raise DeployError(f"the secret {name} is not a JSON object") from e
    if not isinstance(values, dict):
        raise DeployError(f"the secret {name} is not a JSON object")
    return values


# --- questions ----------------------------------------------------------------

def ask(prompt: str, *, hidden: bool, shape: re.Pattern, what: str) -> str:
    """One answer: on a terminal asked until valid (hidden with getpass); otherwise one line of stdin."""
    if sys.stdin.isatty():
        while True:
            try:
                answer = (getpass.getpass(prompt) if hidden else input(prompt)).strip()
            except EOFError:
                raise DeployError(f"{prompt.rstrip(': ')} is needed (Ctrl-D ended the question)") from None
            if shape.fullmatch(answer):
                return answer
            print(f"  needed: {what} (Ctrl-C stops)", file=sys.stderr)
    sys.stderr.write(prompt + "(reading one line from stdin)\n")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise DeployError(f"{prompt.rstrip(': ')} is needed and stdin has no more lines")
    answer = line.strip()
    if not shape.fullmatch(answer):
        raise DeployError(f"{prompt.rstrip(': ')} read from stdin is not {what}")
    return answer


# --- sam ----------------------------------------------------------------------

def sam_path() -> str:
    """The sam CLI to run: the first on PATH."""
    found = shutil.which("sam")
    if not found:
        raise DeployError("no `sam` on PATH: run scripts/setup.sh (it installs the SAM CLI into .venv)")
    return found


def run_sam(args: list, *, capture: bool = False):
    """Runs sam with this process's environment (which holds no secret).

    capture: returns (code, stdout, stderr) without printing; otherwise the
    output is shown as it comes and (code, last lines) returned.
    """
    cmd = [sam_path(), *args]
    if capture:
        p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr
    tail: deque = deque(maxlen=400)
    with subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as p:
        assert p.stdout is not None
        for line in p.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            tail.append(line)
    return p.returncode, "".join(tail)


@dataclass
class Stack:
    """What `sam list stack-outputs` says about the stack."""
    state: str  # "absent", "no-outputs" (a failed or unfinished first create), "deployed"
    outputs: dict


def stack_state(stack: str, region: str) -> Stack:
    """absent / no-outputs / deployed, with the outputs by key."""
    code, out, err = run_sam(
        ["list", "stack-outputs", "--stack-name", stack, "--output", "json", "--region", region], capture=True)
    if code == 0:
        try:
            rows = json.loads(out)
            return Stack("deployed", {r["OutputKey"]: r["OutputValue"] for r in rows})
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise DeployError(f"`sam list stack-outputs` printed something that is not its JSON: {out[:200]!r}") from e
    if "does not exist on Cloudformation" in err:
        return Stack("absent", {})
    if "Outputs do not exist for the input stack" in err:
        return Stack("no-outputs", {})
    raise DeployError(f"`sam list stack-outputs --stack-name {stack}` failed:\n{err.strip() or out.strip()}")


def quote_parameter(key: str, value: str) -> str:
    """Key="value" as sam's --parameter-overrides parses it (spaces and commas kept)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{key}="{escaped}"'


# --- commands -----------------------------------------------------------------

def resolve_region(flag: str | None) -> str:
    """--region, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's region."""
    region = flag or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        region = boto3.session.Session().region_name
    if not region:
        raise DeployError("no AWS region: pass --region (e.g. --region eu-west-1) or set AWS_REGION")
    return region


def default_stack_name() -> str:
    """samconfig.toml's stack_name (what a plain `sam deploy` uses), else streamer-events."""
    try:
        config = tomllib.loads((ROOT / "samconfig.toml").read_text())
        return config["default"]["global"]["parameters"]["stack_name"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return DEFAULT_STACK


def failed_create_advice(stack: str, region: str) -> str:
    """What to do about a stack whose first create failed."""
    return (
        f"The stack {stack} in {region} exists but has no outputs: its first create failed "
        "(status ROLLBACK_COMPLETE) or is still running. A stack in ROLLBACK_COMPLETE cannot be "
        "updated, only deleted; it holds no data (a failed create removes the tables it made).\n"
        "The reason it failed is in the CloudFormation console (the stack's Events tab), or in "
        "the output of the deploy that failed.\n"
        "If a create is still running, wait for it to end. Otherwise delete the failed stack and "
        "deploy again, in one go:\n"
        f"  scripts/deploy.sh --delete-failed --stack-name {stack} --region {region}\n"
        "or by hand:\n"
        f"  sam delete --stack-name {stack} --region {region} --no-prompts && "
        f"scripts/deploy.sh --stack-name {stack} --region {region}\n"
        f"The secret {secret_name(stack)} is kept and reused."
    )


def deploy(args) -> int:
    """The deploy command."""
    region = resolve_region(args.region)
    stack = args.stack_name or default_stack_name()
    if not STACK_NAME.fullmatch(stack):
        raise DeployError(f"--stack-name {stack!r}: letters, digits and '-', starting with a letter")
    overrides: dict = {}
    for p in args.parameter:
        m = PARAMETER.fullmatch(p)
        if not m:
            raise DeployError(f"--parameter {p!r}: expected Key=Value")
        overrides[m.group(1)] = m.group(2)
    client_id = args.twitch_client_id or os.environ.get("TWITCH_CLIENT_ID")
    if client_id is not None and not CLIENT_ID.fullmatch(client_id):
        raise DeployError("the Twitch client id is letters and digits (dev.twitch.tv/console → your app)")

    print(f"deploy: stack {stack} in {region}")
    state = stack_state(stack, region)
    if state.state == "no-outputs":
        if not args.delete_failed:
            raise DeployError(failed_create_advice(stack, region))
        print(f"deploy: deleting the failed stack {stack} (--delete-failed): sam delete --no-prompts")
        code, _ = run_sam(["delete", "--stack-name", stack, "--region", region, "--no-prompts"])
        if code != 0:
            raise DeployError(f"`sam delete --stack-name {stack}` failed (above); nothing was deployed")
        state = Stack("absent", {})
    first = state.state == "absent"
    print("deploy: " + ("no stack yet: this is the first create" if first else "the stack exists: updating it"))

    if client_id is None and first:
        client_id = ask("Twitch client id: ", hidden=False, shape=CLIENT_ID, what="letters and digits")
    if client_id is not None:
        overrides["TwitchClientId"] = client_id
    else:
        print("deploy: Twitch client id: the deployed stack's (pass --twitch-client-id to change it)")

    name = secret_name(stack)
    sm = boto3.client("secretsmanager", region_name=region)
    outcome = ensure_secret(sm, name, lambda: ask(
        "Twitch client secret (hidden): ", hidden=True, shape=ASKED_SHAPE,
        what="the app's client secret, printable ASCII without spaces"))
    if outcome.created:
        print(f"deploy: secret {name}: created with {', '.join(outcome.added)}")
    elif outcome.added:
        print(f"deploy: secret {name}: kept {', '.join(outcome.kept)}; added {', '.join(outcome.added)}")
    else:
        print(f"deploy: secret {name}: reused as it is ({', '.join(outcome.kept)})")

    if not args.skip_build:
        print("deploy: sam build")
        code, _ = run_sam(["build"])
        if code != 0:
            raise DeployError("`sam build` failed (above); nothing was deployed. scripts/setup.sh installs "
                              "what it needs (cargo-lambda, zig, the aarch64 Rust target).")

    cmd = ["deploy", "--stack-name", stack, "--region", region,
           "--capabilities", "CAPABILITY_IAM", "--resolve-s3", "--s3-prefix", stack,
           "--no-confirm-changeset", "--no-fail-on-empty-changeset", "--no-progressbar"]
    if first:
        # A failed first create deletes itself instead of staying in
        # ROLLBACK_COMPLETE, so running this again is all it takes.
        cmd += ["--on-failure", "DELETE"]
    if overrides:
        cmd += ["--parameter-overrides", *(quote_parameter(k, v) for k, v in overrides.items())]
    print("deploy: sam " + " ".join(cmd))
    code, tail = run_sam(cmd)
    if code != 0:
        if "ROLLBACK_COMPLETE state and can not be updated" in tail:
            raise DeployError(failed_create_advice(stack, region))
        if first:
            raise DeployError(
                "`sam deploy` failed (above: the first failed resource's event says why). The failed "
                "create was deleted, so fix the cause and run the same command again. "
                f"The secret {name} is kept and reused.")
        raise DeployError("`sam deploy` failed (above); CloudFormation rolled the stack back to what "
                          "was deployed before. Fix the cause and run the same command again.")

    state = stack_state(stack, region)
    if state.state != "deployed":
        raise DeployError(f"`sam deploy` succeeded but `sam list stack-outputs` says the stack has no outputs")
    page = state.outputs.get("PageUrl", "(no PageUrl output)")
    redirect = state.outputs.get("TwitchRedirectUrl", "(no TwitchRedirectUrl output)")
    print(f"""
Deployed: stack {stack} in {region}.

  PageUrl            {page}
  TwitchRedirectUrl  {redirect}

Next:
  1. In the Twitch console ({TWITCH_CONSOLE}), open your app (Manage) and set its
     OAuth Redirect URL to exactly
       {redirect}
     (replacing the placeholder), then Save.
  2. Track your first streamer (its EventSub subscriptions are created now):
       scripts/deploy.sh track <twitch login> --stack-name {stack} --region {region}
  3. Open {page} and log in with Twitch.""")
    return 0


def track(args) -> int:
    """The track command: POST <AdminUrl> {"streamer": ...} with the admin token from the secret."""
    region = resolve_region(args.region)
    stack = args.stack_name or default_stack_name()
    state = stack_state(stack, region)
    if state.state != "deployed":
        raise DeployError(f"the stack {stack} in {region} is not deployed: run scripts/deploy.sh first")
    url = state.outputs.get("AdminUrl")
    if not url:
        raise DeployError(f"the stack {stack} has no AdminUrl output")
    token = read_secret(boto3.client("secretsmanager", region_name=region), secret_name(stack)).get("admin_token")
    if not token:
        raise DeployError(f"the secret {secret_name(stack)} has no admin_token: run scripts/deploy.sh")
    body = json.dumps({"streamer": args.streamer}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        raise DeployError(f"POST {url} failed: {e}") from e
    try:
        answer = json.loads(text)
    except json.JSONDecodeError:
        answer = {}
    if status == 200 and isinstance(answer, dict):
        types = answer.get("types") or {}
        print(f"tracking {answer.get('login')} (user id {answer.get('id')}): "
              f"{len(types)} EventSub subscription types; events appear on the page as Twitch sends them.")
        return 0
    error = answer.get("error", "") if isinstance(answer, dict) else ""
    message = answer.get("message", text.strip()[:300]) if isinstance(answer, dict) else text.strip()[:300]
    hint = {
        401: " (the admin token in the secret is not the one the function read at start; a function "
             "started before the secret changed keeps the old one until it is replaced, e.g. by a deploy)",
        404: " (no Twitch user by that login)",
        502: " (Twitch did not answer; try again)",
        503: " (the store did not answer; try again)",
    }.get(status, "")
    raise DeployError(f"POST {url}: {status} {error}: {message}{hint}")


def parse(argv: list):
    """Deploy flags, or `track <streamer>` with its flags."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack-name", help="default: samconfig.toml's stack_name (streamer-events)")
    common.add_argument("--region", help="default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region")
    if argv[:1] == ["track"]:
        p = argparse.ArgumentParser(prog="scripts/deploy.sh track", parents=[common],
                                    description="Track a streamer: POST <AdminUrl> with the admin token "
                                                "from the stack's secret.")
        p.add_argument("streamer", help="Twitch login or user id")
        a = p.parse_args(argv[1:])
        a.command = track
        return a
    p = argparse.ArgumentParser(prog="scripts/deploy.sh", parents=[common],
                                description="Create or update the stack (see docs/deploy.md). "
                                            "`scripts/deploy.sh track <login>` tracks a streamer.")
    p.add_argument("--twitch-client-id", help="the Twitch app's client id (or TWITCH_CLIENT_ID); "
                                              "asked on the first create when absent")
    p.add_argument("--delete-failed", action="store_true",
                   help="if an earlier first create failed (ROLLBACK_COMPLETE), sam delete it, then deploy")
    p.add_argument("--skip-build", action="store_true", help="deploy what the last sam build made")
    p.add_argument("--parameter", action="append", default=[], metavar="Key=Value",
                   help="a template parameter (not a secret), e.g. AlarmTopicArn=arn:...; repeatable")
    a = p.parse_args(argv)
    a.command = deploy
    return a


def main(argv: list) -> int:
    """Entry point: exit 0 on success, 1 with the reason on stderr otherwise."""
    args = parse(argv)
    try:
        return args.command(args)
    except DeployError as e:
        print(f"\ndeploy: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ndeploy: stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
