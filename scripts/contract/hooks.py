"""Schemathesis hooks for scripts/api-contract.sh: values for the two string
formats the OpenAPI document names and JSON Schema cannot describe.

- `cursor`: opaque to clients; what the API hands out is base64url (no
  padding) of a 13-digit millisecond time, `#`, and an event id. Any such
  value is a position the API accepts, whether or not an event sits there.
- `instant`: RFC 3339 (UTC or with an offset) or Unix milliseconds. The
  routes with `from` and `to` also refuse a window that ends before it starts
  or spans more than 31 days (documented in prose: a rule between two
  parameters has no JSON Schema form), so generated instants lie within the
  last 15 days and a `from` after its `to` is swapped; everything else about
  them is left to the generator.

The events route's `cursor` and `after` exclude each other (400
`conflicting_parameters`, documented in prose), so a generated request with
both keeps `cursor` only.
"""

import base64
import re
import time
from datetime import datetime

import schemathesis
from hypothesis import strategies as st

NOW_MS = int(time.time() * 1000)
DAY_MS = 86_400_000
MS = st.integers(min_value=NOW_MS - 15 * DAY_MS, max_value=NOW_MS)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _rfc3339(ms: int, offset_minutes: int) -> str:
    secs, milli = divmod(ms + offset_minutes * 60_000, 1000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs))
    if offset_minutes == 0:
        return f"{stamp}.{milli:03d}Z"
    sign = "+" if offset_minutes > 0 else "-"
    h, m = divmod(abs(offset_minutes), 60)
    return f"{stamp}.{milli:03d}{sign}{h:02d}:{m:02d}"


schemathesis.openapi.format(
    "cursor",
    st.builds(
        lambda ms, event_id: _b64(f"{ms:013d}#{event_id}"),
        st.integers(min_value=0, max_value=9_999_999_999_999),
        st.from_regex(r"[A-Za-z0-9-]{1,36}", fullmatch=True),
    ),
)

schemathesis.openapi.format(
    "instant",
    st.one_of(
        MS.map(str),
        st.builds(_rfc3339, MS, st.sampled_from([0, 0, 60, -300, 330])),
    ),
)

_INSTANT = re.compile(r"^\d{1,15}$")


def _ms(value):
    """The instant's Unix ms, or None when it is not one we generated."""
    if not isinstance(value, str):
        return None
    if _INSTANT.match(value):
        return int(value)
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


@schemathesis.hook
def map_case(ctx, case):
    # map_case, not map_query: the coverage phase applies case hooks only.
    query = case.query
    if query and "cursor" in query and "after" in query:
        del query["after"]
    if query and "from" in query and "to" in query:
        start, end = _ms(query["from"]), _ms(query["to"])
        if start is not None and end is not None and start > end:
            query["from"], query["to"] = query["to"], query["from"]
    return case
