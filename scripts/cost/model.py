"""The cost model: list prices, stated assumptions and the terms of one
configuration, per million events. Pure functions of the measured units
(scripts/cost/units.json) and the template's settings; scripts/cost/cost.py
reads those and prints the tables.
"""

import math
from dataclasses import dataclass

# us-east-1 list prices (USD), arm64 Lambda.
PRICES = {
    "http_api_request": 1.00e-6,  # first 300 M a month ($0.90 beyond)
    "lambda_request": 0.20e-6,
    "lambda_gb_second": 0.0000133334,
    "ddb_write_on_demand": 0.625e-6,  # per write request unit
    "ddb_read_on_demand": 0.125e-6,  # per read request unit
    "ddb_wcu_hour": 0.00065,  # provisioned
    "ddb_rcu_hour": 0.00013,
    "websocket_message": 1.00e-6,  # per 32 KB; a frame is < 2 KB
    "stream_read_by_lambda": 0.0,  # GetRecords by a Lambda trigger is free
}

# Stated figures: what this machine cannot measure as AWS runs it.
ASSUMPTIONS = {
    # docs/benchmarks.md: the local stack answers a signed delivery (HMAC,
    # parse, store) in 44.0 CPU-µs, x86 release build, one core. A proxy for
    # the webhook Lambda (arm64 is not measured; the SDK's own CPU is not in it).
    "webhook_cpu_ms": 0.044,
    # A forged request stops at the HMAC check: at most the figure above.
    "rejection_cpu_ms": 0.044,
    # Not measured: the SDK's CPU per AWS call (SigV4 signing, JSON, TLS on a
    # kept-alive connection), the fan-out's own work per invocation (decoding
    # the batch) and the counting consumer's.
    "sdk_call_cpu_ms": 0.1,
    "fanout_cpu_ms": 1.0,
    "counter_cpu_ms": 0.5,
    # The counting consumer's batch: its event source mapping waits up to
    # 10 s (MaximumBatchingWindowInSeconds) for up to 1,000 records, so at
    # >= 1 event/s per shard a batch holds >= 10 (stated, not measured).
    "count_batch": 10,
    # Counters a batch's events touch, per event: 1.0 = every event its own
    # (streamer, type, day) counter, the worst case (no sharing assumed).
    "counters_per_event": 1.0,
    # In-region round trips, stated (not measured here).
    "ddb_call_ms": 5.0,
    "ddb_transaction_ms": 10.0,
    "post_ms": 10.0,  # one @connections POST
    "posts_in_flight": 64,  # functions/fanout DEFAULT_CONCURRENCY
    "vcpu_mb": 1769,  # Lambda memory that buys one full vCPU
}

MEMORY_SIZES = (128, 256, 512, 1024, 1769)

# Synchronous invocations a second a function may take: 10 per unit of the
# account's concurrency (1,000 by default; Lambda's quotas).
LAMBDA_RATE_QUOTA = 10_000


@dataclass(frozen=True)
class Configuration:
    """One way to run the system: write shape, webhook front, capacity mode."""

    write: str  # "today" (the transaction, before the switch) or "proposed" (the keyed put, built)
    front: str  # "HTTP API" or "function URL"
    mode: str  # "on-demand" or "provisioned"
    batch: int = 1  # events per stream batch (fan-out and counting consumer)

    def name(self):
        shape = {
            "today": "old write (one transaction)",
            "proposed": "keyed put + stream-counted day counts",
        }[self.write]
        mode = "provisioned at 70 %" if self.mode == "provisioned" else "on-demand"
        batched = f", {self.batch} events per stream batch" if self.batch > 1 else ""
        return f"{shape}, {self.front}, {mode}{batched}"


def duration_ms(cpu_ms, io_ms, memory_mb):
    """Billed duration: CPU slowed by the memory's vCPU share, plus waiting, rounded up to 1 ms."""
    share = min(1.0, memory_mb / ASSUMPTIONS["vcpu_mb"])
    return max(1, math.ceil(cpu_ms / share + io_ms))


def invocation(cpu_ms, io_ms, memory_mb):
    """Dollars for one Lambda invocation (request + GB-seconds)."""
    seconds = duration_ms(cpu_ms, io_ms, memory_mb) / 1000
    return PRICES["lambda_request"] + memory_mb / 1024 * seconds * PRICES["lambda_gb_second"]


def unit_prices(mode, utilisation):
    """Dollars per write unit and per read unit consumed in `mode`."""
    if mode == "on-demand":
        return PRICES["ddb_write_on_demand"], PRICES["ddb_read_on_demand"]
    # Provisioned: an hour of one unit serves 3,600 units, of which
    # `utilisation` are used (auto scaling's target).
    per = 3600 * utilisation
    return PRICES["ddb_wcu_hour"] / per, PRICES["ddb_rcu_hour"] / per


def lookup_rcu(units, subscribers):
    """Measured read units of the subscriber lookup at `subscribers` (a measured count)."""
    table = units["fanout_lookup_rcu"]
    key = str(subscribers)
    if key not in table:
        raise KeyError(f"no measured lookup at {subscribers} subscribers (have {sorted(table)})")
    return table[key]


def count_batch(config):
    """Events per batch of the counting consumer: its own window, or the configuration's batch if larger."""
    return max(ASSUMPTIONS["count_batch"], config.batch)


def counting_units(units, batch):
    """Write units per event of the counting consumer: each batch one transaction (items
    billed twice) of its chunk mark and the counters its events touch (measured items)."""
    item = units["count_chunk_item_wcu"]
    return 2 * (item["mark"] / batch + item["counter"] * ASSUMPTIONS["counters_per_event"])


def write_units(units, write, batch=ASSUMPTIONS["count_batch"]):
    """Write units per event: the old transaction, or the keyed put (with its feed index copy)
    plus the counting consumer's share."""
    if write == "today":
        return units["event_today_wcu"]
    return units["event_proposed_wcu"] + counting_units(units, batch)


def webhook_cpu_ms():
    """The webhook's CPU per stored delivery: the measured handler plus its one DynamoDB call."""
    return ASSUMPTIONS["webhook_cpu_ms"] + ASSUMPTIONS["sdk_call_cpu_ms"]


def fanout_cpu_ms(subscribers, batch):
    """The fan-out's CPU per invocation: its own work, and per event a lookup and a post per subscriber."""
    a = ASSUMPTIONS
    return a["fanout_cpu_ms"] + batch * (1 + subscribers) * a["sdk_call_cpu_ms"]


def webhook_io_ms(write):
    """The webhook's wait on DynamoDB: one transaction, or one conditional put."""
    a = ASSUMPTIONS
    return a["ddb_transaction_ms"] if write == "today" else a["ddb_call_ms"]


def fanout_invocation(subscribers, memory_mb, batch):
    """Dollars per event of the fan-out: 1/batch invocations, each event's lookup and posts."""
    a = ASSUMPTIONS
    rounds = math.ceil(subscribers / a["posts_in_flight"])
    per_event_io = a["ddb_call_ms"] + rounds * a["post_ms"]
    return invocation(fanout_cpu_ms(subscribers, batch), batch * per_event_io, memory_mb) / batch


def counter_invocation(memory_mb, batch):
    """Dollars per event of the counting stream consumer: one invocation per batch, one
    transaction per batch (a chunk holds up to 99 counters)."""
    a = ASSUMPTIONS
    chunks = math.ceil(batch * a["counters_per_event"] / 99)
    cpu = a["counter_cpu_ms"] + chunks * a["sdk_call_cpu_ms"]
    return invocation(cpu, chunks * a["ddb_transaction_ms"], memory_mb) / batch


def terms(config, subscribers, units, settings):
    """(term, dollars per million events) of `config` at `subscribers`."""
    write_price, read_price = unit_prices(config.mode, settings["utilisation"])
    webhook_mb = settings["memory"]["WebhookFunction"]
    fanout_mb = settings["memory"]["FanoutFunction"]
    million = 1e6
    rows = [
        ("HTTP API request (webhook)", PRICES["http_api_request"] * million if config.front == "HTTP API" else 0.0),
        ("webhook Lambda", invocation(webhook_cpu_ms(), webhook_io_ms(config.write), webhook_mb) * million),
        ("DynamoDB writes", write_units(units, config.write, count_batch(config)) * write_price * million),
        ("DynamoDB Streams", PRICES["stream_read_by_lambda"]),
        ("fan-out Lambda", fanout_invocation(subscribers, fanout_mb, config.batch) * million),
        ("subscriber lookup (reads)", lookup_rcu(units, subscribers) * read_price * million),
        ("WebSocket messages", subscribers * PRICES["websocket_message"] * million),
    ]
    if config.write == "proposed":
        # Exact day counts: the counters are updated by the stream's counting
        # consumer (exactly once per record), at its template memory.
        counts_mb = settings["memory"]["DayCountsFunction"]
        rows.append(("counting stream consumer Lambda", counter_invocation(counts_mb, count_batch(config)) * million))
    return rows


def total(rows):
    """The sum of a configuration's terms."""
    return sum(dollars for _, dollars in rows)


def best_memory(cpu_ms, io_ms):
    """(memory MB, dollars per million invocations) for each size tried, cheapest first."""
    costs = [(mb, invocation(cpu_ms, io_ms, mb) * 1e6) for mb in MEMORY_SIZES]
    return sorted(costs, key=lambda c: (c[1], c[0]))


def break_even_events_per_second(units, write, subscribers, settings):
    """Events per second above which provisioned capacity (at its minimum
    capacities and the target utilisation) costs less than on-demand."""
    od_w, od_r = unit_prices("on-demand", settings["utilisation"])
    pv_w, pv_r = unit_prices("provisioned", settings["utilisation"])
    wcu = write_units(units, write)
    rcu = lookup_rcu(units, subscribers)
    saved_per_event = wcu * (od_w - pv_w) + rcu * (od_r - pv_r)
    floor_per_second = (
        settings["min_wcu"] * PRICES["ddb_wcu_hour"] + settings["min_rcu"] * PRICES["ddb_rcu_hour"]
    ) / 3600
    return floor_per_second / saved_per_event


def forged_flood(settings):
    """Dollars per million forged requests: (behind the HTTP API, behind a function URL)."""
    reject = invocation(ASSUMPTIONS["rejection_cpu_ms"], 0.0, settings["memory"]["WebhookFunction"])
    return (PRICES["http_api_request"] + reject) * 1e6, reject * 1e6
