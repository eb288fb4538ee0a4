"""The IAM check's mutation test: re-evaluates ONE recording of the samples
run (no samples are run again) against copies of the template, each with
one grant of one function's `Policies` removed in turn:

  - each statement;
  - each action of a statement with more than one;
  - each resource of a statement with more than one.

A removal must make the check deny a recorded call it allowed before (the
mutant is "killed", and the call is named). A removal that denies nothing is
a grant no sample needs: listed as unused. Exit 1 when the template itself
fails the check, or any removal survives, unless scripts/iam/unreached.tsv
names it: a grant the code needs on a path no sample reaches yet, with the
reason. An entry there that a removal now kills (the samples reach it, or
the grant is gone) is stale and fails too, so the list only shrinks.

  python scripts/iam/mutate.py [--template template.yaml] [--recording .aws-sam/iam-calls.jsonl]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check  # noqa: E402
import evaluator  # noqa: E402
import roles  # noqa: E402


def mutants(sam: dict):
    """(function, statement name, what was removed, mutated copy of `sam`)."""
    for function, resource in sam.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for p, document in enumerate(resource.get("Properties", {}).get("Policies", []) or []):
            if not isinstance(document, dict) or "Statement" not in document:
                continue
            for s, statement in enumerate(roles.as_statements(document)):
                name = statement.get("Sid", f"Policies[{p}].Statement[{s}]")

                def edited(change):
                    doc = copy.deepcopy(sam)
                    policy = doc["Resources"][function]["Properties"]["Policies"][p]
                    if not isinstance(policy["Statement"], list):
                        policy["Statement"] = [policy["Statement"]]
                    change(policy["Statement"])
                    return doc

                yield function, name, "statement", edited(lambda st, s=s: st.pop(s))
                for field in ("Action", "Resource"):
                    values = statement.get(field)
                    if not isinstance(values, list) or len(values) < 2:
                        continue
                    for i, value in enumerate(values):
                        label = value if isinstance(value, str) else roles.short(value)

                        def drop(st, s=s, field=field, i=i):
                            st[s][field] = st[s][field][:i] + st[s][field][i + 1 :]

                        yield function, name, f"{field.lower()} {label}", edited(drop)


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", default=os.path.join(root, "template.yaml"))
    parser.add_argument("--recording", default=os.path.join(root, ".aws-sam", "iam-calls.jsonl"))
    parser.add_argument("--unreached", default=os.path.join(here, "unreached.tsv"))
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        sam = roles.load(args.template)
        meta, records = check.read_recording(args.recording)
        baseline = check.evaluate(sam, meta, records)
    except (OSError, ValueError, roles.Unresolvable, evaluator.Unsupported) as e:
        print(f"iam-mutate: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    before = {(f, summary) for f, summary, _, _ in baseline.denials}
    unreached = read_unreached(args.unreached)
    print(f"iam-mutate: {args.template} against {args.recording} ({len(records)} recorded authorizations)")
    if baseline.failed:
        print(f"iam-mutate: the template itself fails the check ({len(baseline.denials)} denied call(s)); "
              "mutants are judged by the calls they deny beyond those")

    killed, survived = 0, []
    for function, statement, what, doc in mutants(sam):
        result = check.evaluate(doc, meta, records)
        new = [(f, summary) for f, summary, _, _ in result.denials if (f, summary) not in before]
        if new:
            killed += 1
            f, summary = new[0]
            more = f" (+{len(new) - 1} more)" if len(new) > 1 else ""
            print(f"killed   {function:<24} {statement:<26} {what:<60} denies {result.readable(summary)}{more}")
        else:
            survived.append((function, statement, what))
            print(f"SURVIVED {function:<24} {statement:<26} {what:<60} no recorded call needs it")
    elapsed = time.monotonic() - started
    print("")
    print("unused grants (removing them denies no recorded call):")
    for function, statement, what in survived:
        print(f"  {function:<24} {statement:<26} {what}")
    if not survived:
        print("  (none)")
    print("")
    unexplained = [s for s in survived if s not in unreached]
    stale = [key for key in unreached if key not in survived]
    for function, statement, what in unexplained:
        print(f"FAIL unused: {function} {statement} {what}: remove the grant, or add the sample that needs it")
    for function, statement, what in stale:
        print(f"FAIL stale {os.path.basename(args.unreached)} entry: {function} {statement} {what}: no longer survives; delete the line")
    for function, statement, what in survived:
        if (function, statement, what) in unreached:
            print(f"kept: {function} {statement} {what}: {unreached[(function, statement, what)]}")
    print(f"iam-mutate: {killed} killed, {len(survived)} survived ({len(survived) - len(unexplained)} on paths no sample reaches), in {elapsed:.1f} s")
    return 1 if unexplained or stale or baseline.failed else 0


def read_unreached(path: str) -> dict:
    """(function, statement, what) -> why, from the TSV (# comments)."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            function, statement, what, why = line.rstrip("\n").split("\t")
            out[(function, statement, what)] = why
    return out


if __name__ == "__main__":
    sys.exit(main())
