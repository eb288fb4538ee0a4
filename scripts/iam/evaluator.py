"""An IAM identity-policy evaluator for exactly the subset this project's
template uses, following AWS's documented evaluation logic
(docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):

- an explicit Deny wins; else an Allow whose Action, Resource and Condition
  all match allows; else the request is implicitly denied;
- Action / NotAction: case-insensitive, `*` and `?` wildcards;
- Resource / NotResource: ARNs compared part by part (the six `:`-separated
  parts), case-sensitive, `*` and `?` wildcards within a part (the resource
  part may hold `/`, which `*` matches); `table/T` does not match
  `table/T/index/I`; a pattern of fewer than six parts is refused;
- Condition: the operators' blocks AND together, the keys of a block AND
  together, a key's policy values OR together. Operators: StringEquals,
  StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase,
  StringLike, StringNotLike, Null, with the ForAllValues: / ForAnyValue:
  set prefixes and the IfExists suffix. ForAllValues is true when the request
  has no value for the key (AWS's documented, easily-missed rule);
  ForAnyValue is then false.

Anything outside the subset (another operator, a policy variable, a condition
key the recorder does not supply) raises Unsupported rather than guessing.

(No maintained Python evaluator covers this: moto's access control compares a
statement's Condition block for equality with a given one instead of
evaluating it; @cloud-copilot/iam-simulate does it in JavaScript.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The condition keys whose values a recorded call supplies.
KNOWN_KEYS = {"dynamodb:leadingkeys", "aws:requestedregion"}
STRING_OPERATORS = {
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
}


class Unsupported(Exception):
    """A policy element outside the subset this evaluator implements."""


@dataclass(frozen=True)
class Request:
    """One authorization: an action on a resource, with its context keys
    (lower-cased names; each a list of values, multivalued or not)."""

    action: str
    resource: str
    context: dict = field(default_factory=dict)


def as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def glob(pattern: str, text: str, ignore_case: bool = False) -> bool:
    """`*` any run of characters, `?` one; everything else literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def action_matches(pattern: str, action: str) -> bool:
    return glob(pattern, action, ignore_case=True)


def resource_matches(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    want, have = pattern.split(":", 5), arn.split(":", 5)
    if len(want) != 6:
        raise Unsupported(f"a Resource that is not an ARN of six parts: {pattern}")
    if len(have) != 6:
        return False
    return all(glob(w, h) for w, h in zip(want, have))


def check_value(value: str) -> str:
    if "${" in value:
        raise Unsupported(f"a policy variable in a condition value: {value}")
    return value


def value_matches(operator: str, policy_value: str, request_value: str) -> bool:
    """Does one request value satisfy one policy value (positive sense)?"""
    base = operator.replace("Not", "")
    if base == "StringEquals":
        return policy_value == request_value
    if base == "StringEqualsIgnoreCase":
        return policy_value.lower() == request_value.lower()
    if base == "StringLike":
        return glob(policy_value, request_value)
    raise Unsupported(f"condition operator {operator}")


def condition_holds(operator_full: str, key: str, policy_values: list, context: dict) -> bool:
    """One operator on one key (policy values OR together)."""
    prefix, _, operator = operator_full.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    if prefix not in ("", "ForAllValues", "ForAnyValue"):
        raise Unsupported(f"condition prefix {prefix}")
    if key.lower() not in KNOWN_KEYS:
        raise Unsupported(f"condition key {key} (the recorder does not supply it)")
    present = key.lower() in context and context[key.lower()] is not None
    values = [str(v) for v in as_list(context.get(key.lower()))]
    policy_values = [check_value(str(v)) for v in as_list(policy_values)]

    if operator == "Null":
        # "true": the key must be absent; "false": present.
        wanted_absent = [v.lower() == "true" for v in policy_values]
        absent = not present or not values
        return any(w == absent for w in wanted_absent)
    if operator not in STRING_OPERATORS:
        raise Unsupported(f"condition operator {operator_full}")
    negated = "Not" in operator

    def one(request_value: str) -> bool:
        hit = any(value_matches(operator, p, request_value) for p in policy_values)
        return not hit if negated else hit

    if prefix == "ForAllValues":
        return all(one(v) for v in values)  # empty or absent: true
    if prefix == "ForAnyValue":
        return any(one(v) for v in values)  # empty or absent: false
    if not present or not values:
        # A single-valued operator on an absent key: false (negated ones
        # too), unless ...IfExists.
        return if_exists
    return any(one(v) for v in values)


def conditions_hold(condition: dict | None, context: dict) -> bool:
    for operator, block in (condition or {}).items():
        for key, policy_values in block.items():
            if not condition_holds(operator, key, policy_values, context):
                return False
    return True


@dataclass
class Match:
    """How one statement relates to a request."""

    action: bool
    resource: bool
    condition: bool

    @property
    def applies(self) -> bool:
        return self.action and self.resource and self.condition


def statement_match(statement: dict, request: Request) -> Match:
    if "NotAction" in statement:
        action = not any(action_matches(p, request.action) for p in as_list(statement["NotAction"]))
    else:
        action = any(action_matches(p, request.action) for p in as_list(statement.get("Action")))
    if "NotResource" in statement:
        resource = not any(resource_matches(p, request.resource) for p in as_list(statement["NotResource"]))
    else:
        resource = any(resource_matches(p, request.resource) for p in as_list(statement.get("Resource")))
    if "Principal" in statement or "NotPrincipal" in statement:
        raise Unsupported("a Principal in an identity policy")
    condition = conditions_hold(statement.get("Condition"), request.context) if action and resource else False
    return Match(action, resource, condition)


@dataclass
class Decision:
    allowed: bool
    # The statements (as given, with their labels) that allowed it, or the
    # explicit Deny that denied it.
    by: list
    # Why it is denied: the near misses, for the message.
    near: list


def evaluate(statements: list, request: Request) -> Decision:
    """`statements`: (label, statement) pairs of every policy of the role."""
    allows, denies, near = [], [], []
    for label, statement in statements:
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise Unsupported(f"Effect {effect!r}")
        m = statement_match(statement, request)
        if m.applies:
            (allows if effect == "Allow" else denies).append((label, statement))
        elif effect == "Allow" and (m.action or (m.resource and "*" not in as_list(statement.get("Resource")))):
            near.append((label, statement, m))
    if denies:
        return Decision(False, denies, [])
    return Decision(bool(allows), allows, near if not allows else [])


def explain(decision: Decision) -> str:
    """What is missing, in words (for a denied request)."""
    if decision.allowed:
        return "allowed"
    if decision.by:
        return "explicitly denied by " + ", ".join(label for label, _ in decision.by)
    if not decision.near:
        return "no statement grants this action on any resource it names"
    parts = []
    for label, statement, m in decision.near:
        if m.action and not m.resource:
            parts.append(f"{label} grants the action but on {as_list(statement.get('Resource'))}")
        elif m.action and m.resource and not m.condition:
            parts.append(f"{label} grants it but its Condition {statement.get('Condition')} does not hold")
        elif m.resource and not m.action:
            parts.append(f"{label} names the resource but grants only {as_list(statement.get('Action'))}")
    return "; ".join(parts) or "no statement grants it"
