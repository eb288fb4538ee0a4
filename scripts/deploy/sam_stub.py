"""A stand-in for the SAM CLI in test_deploy.py: `sam` on the test's PATH runs this.

It records every call (its arguments and environment, and its parent's — the
deploy script's — command line and environment, from /proc) as one JSON line
in $SAM_STUB_DIR/calls.jsonl, and answers like SAM CLI 1.170 does:

- `list stack-outputs --stack-name S ... --output json`: the JSON list of
  $SAM_STUB_DIR/outputs.json when the stack is deployed; otherwise exit 1 with
  the message sam prints for a stack that does not exist or has no outputs
  (a failed first create). test_stub_answers_like_sam checks these against the
  real sam reading a moto CloudFormation.
- `build`: succeeds.
- `deploy ... --stack-name S`: the stack becomes deployed; a stack with no
  outputs fails the way CloudFormation refuses a change set on a stack in
  ROLLBACK_COMPLETE; with $SAM_STUB_DIR/deploy-fails present, fails like a
  create that rolled back (deleted, with --on-failure DELETE).
- `delete --stack-name S`: the stack is gone.

The state of each stack is the file $SAM_STUB_DIR/stacks/S: "deployed" or
"no-outputs"; no file: absent.
"""

import json
import os
import sys
from pathlib import Path

ACCOUNT = "123456789012"


def proc(pid: int, what: str) -> list:
    """A /proc NUL-separated file as a list of strings."""
    try:
        return Path(f"/proc/{pid}/{what}").read_bytes().decode("utf-8", "replace").split("\0")
    except OSError:
        return []


def option(args: list, name: str, default=None):
    """The value after `name` in args."""
    return args[args.index(name) + 1] if name in args else default


def main(args: list) -> int:
    """Records the call, then answers it."""
    base = Path(os.environ["SAM_STUB_DIR"])
    ppid = os.getppid()
    with open(base / "calls.jsonl", "a") as f:
        f.write(json.dumps({
            "argv": args,
            "env": dict(os.environ),
            "parent_argv": proc(ppid, "cmdline"),
            "parent_env": proc(ppid, "environ"),
        }) + "\n")

    stacks = base / "stacks"
    stacks.mkdir(exist_ok=True)
    stack = option(args, "--stack-name")
    region = option(args, "--region", "us-east-1")
    state_file = stacks / stack if stack else None
    state = state_file.read_text().strip() if state_file and state_file.exists() else "absent"

    if args[:2] == ["list", "stack-outputs"]:
        if state == "deployed":
            print(json.dumps(json.loads((base / "outputs.json").read_text()), indent=2))
            return 0
        if state == "no-outputs":
            print(f"Error: Outputs do not exist for the input stack {stack} on Cloudformation "
                  f"in the region {region}", file=sys.stderr)
            return 1
        print(f"Error: The input stack {stack} does not exist on Cloudformation in the region {region}",
              file=sys.stderr)
        return 1
    if args[:1] == ["build"]:
        print("\nBuild Succeeded\n")
        return 0
    if args[:1] == ["deploy"]:
        if state == "no-outputs":
            print(f"Error: Failed to create changeset for the stack: {stack}, An error occurred "
                  "(ValidationError) when calling the CreateChangeSet operation: Stack:arn:aws:"
                  f"cloudformation:{region}:{ACCOUNT}:stack/{stack}/00000000-0000-0000-0000-000000000000 "
                  "is in ROLLBACK_COMPLETE state and can not be updated.", file=sys.stderr)
            return 1
        if (base / "deploy-fails").exists():
            print("CREATE_FAILED  AWS::Lambda::Function  WebhookFunction  Resource handler returned message: "
                  "\"stub: failed on purpose\"", flush=True)
            print(f"Error: Failed to create/update the stack: {stack}, Waiter StackCreateComplete failed: "
                  "Waiter encountered a terminal failure state: For expression \"Stacks[].StackStatus\" "
                  "we matched expected path: \"ROLLBACK_COMPLETE\" at least once", file=sys.stderr)
            if option(args, "--on-failure") == "DELETE" and state_file:
                state_file.unlink(missing_ok=True)
            else:
                state_file.write_text("no-outputs")
            return 1
        state_file.write_text("deployed")
        print(f"\nSuccessfully created/updated stack - {stack} in {region}\n")
        return 0
    if args[:1] == ["delete"]:
        if state_file:
            state_file.unlink(missing_ok=True)
        print("\nDeleted successfully\n")
        return 0
    print(f"sam stub: unexpected call {args}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
