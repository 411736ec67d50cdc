#!/usr/bin/env bash
# Per-trunk limits and the dial timeout (issue: "concurrent calls and call
# rate per trunk, over them 503 with Retry-After"; Genesys
# trunk_maxCallRate / trunk_maxDialTimeout, interop 2.4):
#  1. max_calls: 1: a second call while the first is up gets 503 with
#     Retry-After and never reaches the callee; the first is answered.
#  2. max_call_rate: 2/20s: the third new call in the window gets 503 with
#     Retry-After <= 20.
#  3. dial_timeout: 1s: an unanswered call gets 408 after a second, and the
#     callee gets a CANCEL.
#  4. a loop: a route whose trunk is trunkbridge itself; the INVITE that
#     comes back (top Via ours) gets 482, which the caller receives.
# Each outcome is read from trunkbridge's CDR and log. TCP (generic trunks),
# loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; grep -v trunk_state "$work/tb.log" | tail -12; exit 1; }

tb_port=$(free_port)
p_one=$(free_port)
p_rate=$(free_port)
p_ring=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen: [ { transport: tcp, address: 127.0.0.1, port: $tb_port } ]
trunks:
  carrier:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.3:$tb_port" ]
    allow: [ 127.0.0.2/32 ]
  one:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.4:$p_one" ]
    max_calls: 1
  rate:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.5:$p_rate" ]
    max_call_rate: 2/20s
  ring:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.6:$p_ring" ]
    dial_timeout: 1s
  self:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.1:$tb_port" ]
    allow: [ 127.0.0.1/32 ]
    options_interval: 1h
routes:
  - { from: carrier, to: one, called: '^\+14255550100$' }
  - { from: carrier, to: rate, called: '^\+14255550200$' }
  - { from: carrier, to: ring, called: '^\+14255550300$' }
  - { from: carrier, to: self, called: '^\+14255550400$' }
cdr: { store: 'sqlite:$work/cdr.db' }
YAML
uas() { # ip port scenario (runs until the cleanup stops it)
	sipp -sf "$here/$3" -t t1 -i "$1" -p "$2" -nostdin \
		-timeout 30 -timeout_error -trace_msg -message_file "$work/uas-$1.log" \
		>/dev/null 2>&1 &
	pids+=($!)
}
uac() { # number calls rate(per s) -> the caller's run
	timeout 40 sipp "127.0.0.1:$tb_port" -sf "$here/uac.xml" -t t1 -i 127.0.0.2 \
		-s "$1" -m "$2" -r "$3" -timeout 30 -timeout_error -nostdin \
		>/dev/null 2>&1 || true
}
uas 127.0.0.4 "$p_one" uas_answer.xml
uas 127.0.0.5 "$p_rate" uas_answer.xml
uas 127.0.0.6 "$p_ring" uas_ring.xml
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
tb_pid=$!
pids+=($tb_pid)
wait_port "$tb_port" 10 || fail "trunkbridge did not listen"
sleep 0.5

q() { sqlite3 -separator '|' "$work/cdr.db" "$1"; }

# 1. two calls 0.2 s apart to a trunk that takes one
uac +14255550100 2 5
got=$(q "select final_status from cdr where out_trunk = 'one' order by start_ms")
[ "$got" = "$(printf '200\n503')" ] || fail "max_calls: rows are '$got', expected 200 then 503"
grep -q 'event=call_limited .*reason="max_calls reached"' "$work/tb.log" || fail "max_calls: no call_limited log line"
n=$(grep -c '^INVITE ' "$work/uas-127.0.0.4.log" || true)
[ "$n" -eq 1 ] || fail "max_calls: the callee got $n INVITEs, expected 1"
echo "ok: max_calls 1: the first call answered, the second refused 503 (never reached the callee)"

# 2. three calls within the 20 s window of a 2/20s trunk
uac +14255550200 3 10
got=$(q "select final_status from cdr where out_trunk = 'rate' order by start_ms")
[ "$got" = "$(printf '200\n200\n503')" ] || fail "max_call_rate: rows are '$got', expected 200 200 503"
grep -q 'event=call_limited .*reason="max_call_rate reached"' "$work/tb.log" || fail "max_call_rate: no call_limited log line"
echo "ok: max_call_rate 2/20s: two calls answered, the third refused 503"

# the Retry-After of both refusals, from a caller that records them
timeout 20 sipp "127.0.0.1:$tb_port" -sf "$here/uac.xml" -t t1 -i 127.0.0.2 \
	-s +14255550200 -m 1 -timeout 10 -timeout_error -nostdin -trace_msg \
	-message_file "$work/uac-ra.log" >/dev/null 2>&1 || true
ra=$(grep -m1 -i '^Retry-After:' "$work/uac-ra.log" | tr -dc '0-9' || true)
[ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 20 ] || fail "max_call_rate: Retry-After '$ra' not within 1-20 s"
echo "ok: the 503 carries Retry-After: $ra (the rest of the 20 s window)"

# 3. a callee that never answers, dial_timeout 1s
start=$(date +%s%N)
uac +14255550300 1 1
row=$(q "select final_status, hangup_by, (end_ms - start_ms) >= 900 and (end_ms - start_ms) < 5000 from cdr where out_trunk = 'ring'")
[ "$row" = "408|trunkbridge|1" ] || fail "dial_timeout: row '$row', expected 408|trunkbridge|1 (ended after about 1 s)"
grep -q '^CANCEL ' "$work/uas-127.0.0.6.log" || fail "dial_timeout: the callee got no CANCEL"
echo "ok: dial_timeout 1s: 408 to the caller after $(( ($(date +%s%N) - start) / 1000000 )) ms, CANCEL to the callee"

# 4. a route back into trunkbridge itself
uac +14255550400 1 1
got=$(q "select in_trunk || '>' || coalesce(out_trunk, '-') || ':' || final_status from cdr where in_called = '+14255550400' order by in_trunk")
[ "$got" = "$(printf 'carrier>self:482\nself>-:482')" ] || fail "loop: rows are '$got', expected carrier>self:482 and self>-:482"
grep -q 'event=call_end .*status=482 .*reason="loop: the INVITE came from us"' "$work/tb.log" || fail "loop: not logged as a loop"
echo "ok: a route back into trunkbridge: the looped INVITE got 482, and so did the caller"

stop_clean "$tb_pid" "$work/tb.log" || fail "shutdown (see above)"
echo "ok: trunkbridge stopped cleanly on SIGTERM (exit 0, no sanitizer report)"
