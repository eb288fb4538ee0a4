"""Dollars per million events, term by term, from the units the capacity
test measured (scripts/cost/units.json) and template.yaml's settings (each
function's MemorySize, the capacity mode's auto scaling). Every assumption is
printed with the tables; the last lines are one per configuration:

    per million events, 1 subscriber, <configuration>: $<amount>

    python3 scripts/cost/cost.py [--units FILE] [--template FILE]   (scripts/cost.sh)
"""

import argparse
import itertools
import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
import model  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = (1, 100)
MODES = ("on-demand", "provisioned")
FRONTS = ("HTTP API", "function URL")
# The template's WebhookFrontDoor values, by the front each one prices as.
FRONT_DOORS = {"http-api": "HTTP API", "function-url": "function URL"}
WRITES = ("today", "proposed")
# Events per stream batch under load: a shard is polled ~4 times a second,
# so at >= 40 events/s per shard a batch holds >= 10 (stated, not measured).
SCALE_BATCH = 10


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !If, ...) kept as {tag: value}."""


def _tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_CloudFormationLoader.add_multi_constructor("!", _tagged)


def load_template(path):
    """template.yaml, parsed."""
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=_CloudFormationLoader)


def _resolve(value, params):
    """A number, or a !Ref to a parameter's default."""
    if isinstance(value, dict) and "Ref" in value:
        return params[value["Ref"]]["Default"]
    return value


def template_settings(template):
    """What the model reads from the template: memory per function, the
    capacity mode's values, its target utilisation and minimum capacities."""
    params = template["Parameters"]
    default_memory = template["Globals"]["Function"]["MemorySize"]
    resources = template["Resources"]
    memory = {
        name: r["Properties"].get("MemorySize", default_memory)
        for name, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    mode = params["TableCapacityMode"]
    if set(mode["AllowedValues"]) != set(MODES):
        raise ValueError(f"TableCapacityMode allows {mode['AllowedValues']}, the model knows {MODES}")
    door = params["WebhookFrontDoor"]
    if sorted(FRONT_DOORS.get(v, v) for v in door["AllowedValues"]) != sorted(FRONTS):
        raise ValueError(f"WebhookFrontDoor allows {door['AllowedValues']}, the model knows {list(FRONT_DOORS)}")
    targets = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"]
    policies = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy"]
    values = {p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies}
    if len(values) != 1:
        raise ValueError(f"the scaling policies' target utilisations are {values}: the model needs one")
    minimum = {"Write": 0, "Read": 0}
    for t in targets:
        kind = "Write" if t["ScalableDimension"].endswith("WriteCapacityUnits") else "Read"
        minimum[kind] += int(_resolve(t["MinCapacity"], params))
    return {
        "memory": memory,
        "default_mode": mode["Default"],
        "default_front": FRONT_DOORS[door["Default"]],
        "utilisation": values.pop() / 100,
        "min_wcu": minimum["Write"],
        "min_rcu": minimum["Read"],
        "scalable_targets": len(targets),
        "webhook_rate_limit": int(params["WebhookRateLimit"]["Default"]),
    }


def configurations():
    """Every configuration priced, in print order."""
    for write, front, mode in itertools.product(WRITES, FRONTS, MODES):
        yield model.Configuration(write, front, mode)
    yield model.Configuration("proposed", "function URL", "provisioned", SCALE_BATCH)


def short(config):
    """A column heading."""
    parts = ["old" if config.write == "today" else "keyed", "API" if config.front == "HTTP API" else "URL", "OD" if config.mode == "on-demand" else "prov"]
    if config.batch > 1:
        parts.append(f"b{config.batch}")
    return "/".join(parts)


def print_assumptions(units, settings):
    p, a = model.PRICES, model.ASSUMPTIONS
    print("## Assumptions")
    print(f"- units: {units['source']} (scripts/cost/units.json)")
    print(
        f"- the old write: {units['event_today_wcu']:g} WCU (one transaction of event, dedupe mark, day counter, "
        f"{units['event_item_wcu']} each, billed twice); the keyed put (built, the template's): a conditional put "
        f"keyed by the dedupe id with its feed index copy, {units['event_proposed_wcu']:g} WCU "
        f"({units['event_proposed_types_at_that']} of {units['sample_types']} sample types; the heaviest "
        f"{units['event_proposed_heaviest_wcu']:g}), plus the counting consumer's share: per batch one transaction "
        f"of a chunk mark and the counters touched ({units['count_chunk_item_wcu']} each, billed twice), "
        f"{a['count_batch']} events per batch (its 10-s window), {a['counters_per_event']:g} counter per event "
        f"(none shared, the worst case): {model.counting_units(units, a['count_batch']):g} WCU per event"
    )
    print(f"- subscriber lookup (by_topic index), measured RCU: {units['fanout_lookup_rcu']}")
    print(
        f"- prices (us-east-1): HTTP API ${p['http_api_request'] * 1e6:.2f}/M requests; Lambda arm64 "
        f"${p['lambda_request'] * 1e6:.2f}/M requests + ${p['lambda_gb_second']}/GB-s; DynamoDB on-demand "
        f"${p['ddb_write_on_demand'] * 1e6:.3f}/M WRU, ${p['ddb_read_on_demand'] * 1e6:.3f}/M RRU; provisioned "
        f"${p['ddb_wcu_hour']}/WCU-hour, ${p['ddb_rcu_hour']}/RCU-hour; WebSocket ${p['websocket_message'] * 1e6:.2f}/M "
        "messages; DynamoDB Streams read by a Lambda trigger $0"
    )
    w, r = model.unit_prices("provisioned", settings["utilisation"])
    print(
        f"- provisioned priced at {settings['utilisation']:.0%} utilisation (the template's scaling target): "
        f"${w * 1e6:.3f}/M WCU, ${r * 1e6:.4f}/M RCU consumed"
    )
    print(
        f"- memory (template.yaml): webhook {settings['memory']['WebhookFunction']} MB, fan-out "
        f"{settings['memory']['FanoutFunction']} MB, counting consumer {settings['memory']['DayCountsFunction']} MB (modelled: CPU time scales by {a['vcpu_mb']} MB / memory below "
        f"one vCPU; waiting does not; billed per 1 ms, rounded up; cold starts not counted)"
    )
    print(
        f"- handler CPU: webhook {a['webhook_cpu_ms']} ms per delivery (measured: docs/benchmarks.md, the local "
        "stack's CPU-µs per request, x86 release; a proxy, arm64 Lambda not measured) + "
        f"{a['sdk_call_cpu_ms']} ms per AWS SDK call (stated); fan-out {a['fanout_cpu_ms']} ms per invocation + "
        f"one SDK call per lookup and per post; counting consumer {a['counter_cpu_ms']} ms + one SDK call per "
        "transaction (stated, not measured); a forged delivery: the measured figure alone (no AWS call)"
    )
    print(
        f"- DynamoDB round trip {a['ddb_call_ms']:g} ms per call, {a['ddb_transaction_ms']:g} ms per transaction; "
        f"@connections POST {a['post_ms']:g} ms, {a['posts_in_flight']} in flight (stated)"
    )
    print(
        "- one WebSocket message per event per subscriber (no frame batching); one fan-out invocation per event "
        f"(upper bound) unless a column says b{SCALE_BATCH}: {SCALE_BATCH} events per stream batch under load"
    )
    print()


def print_table(subscribers, units, settings, configs):
    rows = {c: model.terms(c, subscribers, units, settings) for c in configs}
    names = []
    for c in configs:
        names += [n for n, _ in rows[c] if n not in names]
    print(f"## {subscribers} subscriber{'s' if subscribers > 1 else ''}, $ per million events")
    print("| term | " + " | ".join(short(c) for c in configs) + " |")
    print("|---|" + "---|" * len(configs))
    for name in names:
        cells = [f"{dict(rows[c]).get(name, 0.0):.2f}" for c in configs]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| **total** | " + " | ".join(f"**{model.total(rows[c]):.2f}**" for c in configs) + " |")
    print()


def print_findings(units, settings):
    a = model.ASSUMPTIONS
    print("## Capacity mode")
    print(
        f"- minimum provisioned: {settings['min_wcu']} WCU + {settings['min_rcu']} RCU over "
        f"{settings['scalable_targets']} scalable targets (tables and indexes): "
        f"${(settings['min_wcu'] * model.PRICES['ddb_wcu_hour'] + settings['min_rcu'] * model.PRICES['ddb_rcu_hour']) * 24:.3f} a day"
    )
    for write in WRITES:
        rate = model.break_even_events_per_second(units, write, 1, settings)
        label = "the old" if write == "today" else "the keyed put's"
        print(f"- break-even, {label} write: provisioned is cheaper above {rate:.2f} events/s sustained")
    print()
    print("## Memory (webhook, the keyed put; fan-out at 1 and 100 subscribers)")
    for label, cpu, io in (
        ("webhook", model.webhook_cpu_ms(), model.webhook_io_ms("proposed")),
        ("fan-out, 1", model.fanout_cpu_ms(1, 1), a["ddb_call_ms"] + a["post_ms"]),
        ("fan-out, 100", model.fanout_cpu_ms(100, 1), a["ddb_call_ms"] + 2 * a["post_ms"]),
    ):
        sizes = ", ".join(f"{mb} MB ${d:.3f}" for mb, d in sorted(model.best_memory(cpu, io)))
        print(f"- {label}: $ per million invocations: {sizes}; cheapest {model.best_memory(cpu, io)[0][0]} MB")
    print()
    api, url = model.forged_flood(settings)
    print("## A flood of forged deliveries ($ per million, rejected at the HMAC check)")
    limit = settings["webhook_rate_limit"]
    print(
        f"- behind the HTTP API: ${api:.2f} up to the route throttle (WebhookRateLimit {limit:,}/s: at most "
        f"${api * limit * 86400 / 1e6:,.2f} a day; throttled requests are not billed, but Twitch's own deliveries "
        "are throttled with them: a 429 is a failed delivery, counted toward revocation)"
    )
    print(
        f"- behind a function URL: ${url:.2f} (Lambda's request charge + 1 billed ms); no route throttle: "
        f"at {model.LAMBDA_RATE_QUOTA:,} forged requests/s (Lambda's invocation-rate quota at the default "
        f"concurrency) ${url * model.LAMBDA_RATE_QUOTA * 86400 / 1e6:,.2f} a day, Twitch's deliveries unaffected below it"
    )
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=ROOT / "scripts" / "cost" / "units.json")
    parser.add_argument("--template", default=ROOT / "template.yaml")
    args = parser.parse_args(argv)
    with open(args.units, encoding="utf-8") as f:
        units = json.load(f)
    settings = template_settings(load_template(args.template))
    configs = list(configurations())
    print_assumptions(units, settings)
    for n in SUBSCRIBERS:
        print_table(n, units, settings, configs)
    print_findings(units, settings)
    default = model.Configuration("proposed", settings["default_front"], settings["default_mode"])
    print(f"default configuration: {default.name()}")
    for c in configs:
        dollars = model.total(model.terms(c, 1, units, settings))
        print(f"per million events, 1 subscriber, {c.name()}: ${dollars:.2f}")


if __name__ == "__main__":
    main()
