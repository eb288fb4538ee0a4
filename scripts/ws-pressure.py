#!/usr/bin/env python3
"""Measures what one WebSocket client can make the local stack hold or wait.

Starts `local serve` (LOCAL_BIN, default target/debug/local) on a free
loopback port (`--open`, a database file in a temporary directory, the
simulated Twitch), then:

  flood  20,000 subscribe/unsubscribe messages on one socket, as fast as the
         stack takes them; the server's RSS before, at its peak, at the
         close and 10 s after it (issue 22, finding 7).
  stuck  a client that subscribes to streamer A and stops reading (a 4 KiB
         receive buffer), 60 signed 120 KB events for A, then one event for
         streamer B: the time from B's 204 to its frame at a reader of B
         (issue 22, finding 8).

Run: scripts/ws-pressure.py flood|stuck   (loopback only; stdlib only)
"""

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("LOCAL_BIN", os.path.join(ROOT, "target", "debug", "local"))
# The documented development secret the stack uses when EVENTSUB_SECRET is unset.
SECRET = b"local-dev-eventsub-secret-do-not-deploy"


def start():
    """The stack's process and port, once it says where it listens."""
    work = tempfile.mkdtemp(prefix="ws-pressure-")
    env = {k: v for k, v in os.environ.items() if k not in ("EVENTSUB_SECRET",)}
    env["RUST_LOG"] = "warn"
    proc = subprocess.Popen(
        [BIN, "serve", "--port", "0", "--open", "--db", os.path.join(work, "events.db")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True,
    )
    for line in proc.stdout:
        if "listening on http://" in line:
            port = int(line.rsplit(":", 1)[1])
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc, port
    raise SystemExit("the stack never said where it listens")


def rss_mb(pid, field="VmRSS"):
    """Resident memory in MB (`RssAnon`: without the database's mapped pages)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def ws_connect(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
         f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
         f"Origin: http://127.0.0.1:{port}\r\n\r\n").encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"handshake refused: {head!r}")
    return s


def frame(text):
    data = text.encode()
    mask = os.urandom(4)
    n = len(data)
    if n < 126:
        head = bytes([0x81, 0x80 | n])
    elif n < 65536:
        head = bytes([0x81, 0x80 | 126]) + struct.pack(">H", n)
    else:
        head = bytes([0x81, 0x80 | 127]) + struct.pack(">Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def next_json(s):
    while True:
        b0, b1 = read_exact(s, 2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", read_exact(s, 2))[0]
        elif n == 127:
            n = struct.unpack(">Q", read_exact(s, 8))[0]
        payload = read_exact(s, n)
        if b0 & 0x0F == 1:
            return json.loads(payload)


def deliver(port, broadcaster, pad):
    """POSTs one signed channel.cheer notification; returns when it is stored."""
    msg_id = str(uuid.uuid4())
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = json.dumps({
        "subscription": {
            "id": str(uuid.uuid4()), "type": "channel.cheer", "version": "1", "status": "enabled",
            "cost": 0, "condition": {"broadcaster_user_id": broadcaster},
            "transport": {"method": "webhook", "callback": f"http://127.0.0.1:{port}/eventsub"},
            "created_at": ts,
        },
        "event": {"broadcaster_user_id": broadcaster, "bits": 100, "message": "x" * pad},
    }).encode()
    sig = hmac.new(SECRET, msg_id.encode() + ts.encode() + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/eventsub", data=body, method="POST", headers={
        "Content-Type": "application/json",
        "Twitch-Eventsub-Message-Id": msg_id,
        "Twitch-Eventsub-Message-Timestamp": ts,
        "Twitch-Eventsub-Message-Signature": f"sha256={sig}",
        "Twitch-Eventsub-Message-Type": "notification",
        "Twitch-Eventsub-Subscription-Type": "channel.cheer",
        "Twitch-Eventsub-Subscription-Version": "1",
    })
    with urllib.request.urlopen(req) as r:
        assert r.status == 204, r.status
    return msg_id


def flood(proc, port):
    ws = ws_connect(port)
    ws.sendall(frame('{"action":"subscribe","broadcaster":"1"}'))
    next_json(ws)
    time.sleep(1)
    before = rss_mb(proc.pid)
    anon_before = rss_mb(proc.pid, "RssAnon")
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(proc.pid))
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    started = time.time()
    for i in range(20_000):
        action = "subscribe" if i % 2 == 0 else "unsubscribe"
        ws.sendall(frame(json.dumps({"action": action, "broadcaster": str(1000 + i // 2 % 50)})))
    sent = time.time() - started
    at_close = rss_mb(proc.pid)
    ws.close()
    time.sleep(10)
    done.set()
    after = rss_mb(proc.pid)
    anon_after = rss_mb(proc.pid, "RssAnon")
    print(f"flood: 20,000 messages sent in {sent:.1f} s; RSS {before:.0f} MB before, "
          f"{peak[0]:.0f} MB at peak (+{peak[0] - before:.0f}), {at_close:.0f} MB at the close, "
          f"{after:.0f} MB 10 s after it (+{after - before:.0f}); anonymous {anon_before:.0f} -> "
          f"{anon_after:.0f} MB (+{anon_after - anon_before:.0f})")


def stuck(proc, port):
    a, b = "1001", "2002"
    stuck_ws = ws_connect(port, rcvbuf=4096)
    stuck_ws.sendall(frame(json.dumps({"action": "subscribe", "broadcaster": a})))
    next_json(stuck_ws)
    reader = ws_connect(port)
    reader.sendall(frame(json.dumps({"action": "subscribe", "broadcaster": b})))
    while next_json(reader).get("type") != "subscribed":
        pass
    started = time.time()
    for _ in range(60):
        deliver(port, a, 120 * 1024)
    stored = time.time()
    sent = time.time()
    wanted = deliver(port, b, 10)
    while True:
        f = next_json(reader)
        if f.get("id") == wanted:
            break
    print(f"stuck: 60 x 120 KB to the stuck client's streamer stored in {stored - started:.1f} s; "
          f"the unrelated event reached its reader {time.time() - sent:.3f} s after its POST")


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what not in ("flood", "stuck"):
        raise SystemExit(__doc__)
    proc, port = start()
    try:
        {"flood": flood, "stuck": stuck}[what](proc, port)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
