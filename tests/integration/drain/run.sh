#!/usr/bin/env bash
# The drain on SIGTERM (issue 7: "SIGTERM during calls: the calls drain or
# end with BYE, and every CDR row is written"). TCP generic trunks, SIPp on
# both sides, loopback only; processes stopped by PID; waits bounded.
#
# Round 1: 10 answered calls (4 whose caller hangs up 3 s after the answer,
# 6 held), then SIGTERM with shutdown: { drain_timeout: 5s }:
#   - event=draining calls=10; /health answers 503 "draining"; a new INVITE
#     gets 503 with Retry-After: 7 and OPTIONS to trunkbridge 503 with
#     Retry-After: 7 (both 200/routed before the signal);
#   - the 4 calls end by themselves during the drain (BYE relayed);
#   - at 5 s the 6 left get BYE on both legs with Reason: SIP;cause=503;
#     text="trunkbridge shutting down" (both sides check it), answered 200;
#   - trunkbridge exits 0 after the drain_timeout, within bye_wait more;
#   - the CDR has exactly 10 rows: 4 caller/200, 6 trunkbridge/200 with
#     the Reason; every SIPp (callers and callees) exits 0.
# Round 2: 3 answered calls and 1 still ringing, drain_timeout 60s; a
#   second SIGTERM ends the drain at once: the answered ones get BYE with
#   the Reason, the ringing one CANCEL toward the callee and 503 with
#   Retry-After to the caller; exit 0 within 4 s; 4 CDR rows.
# Round 3: 2 calls, drain_timeout 60s: the last one ending (by its caller)
#   stops trunkbridge at once, without a BYE of its own.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
work=$(mktemp -d)
declare -A pid=()
cleanup() {
	local n
	for n in "${!pid[@]}"; do kill "${pid[$n]}" 2>/dev/null || true; done
	for n in "${!pid[@]}"; do wait "${pid[$n]}" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: drain: $*"
	local f
	for f in "$work"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -c 1500 "$f"; echo; }; done
	[ -f "$work/tb.log" ] && { echo "--- trunkbridge log"; grep -v 'trunk_state' "$work/tb.log" | tail -25; }
	exit 1
}
for t in sipp socat curl sqlite3; do command -v "$t" >/dev/null || fail "$t is not installed (scripts/deps.sh)"; done
REASON='SIP;cause=503;text="trunkbridge shutting down"'

# config DRAIN_TIMEOUT: tb.yaml (ports from the globals)
config() {
	cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen: [ { transport: tcp, address: 127.0.0.1, port: $port } ]
trunks:
  carrier: { profile: generic, transport: tcp, servers: [ "127.0.0.3:5060" ], options_interval: 1h, allow: [ 127.0.0.2/32 ] }
  cc_a: { profile: generic, transport: tcp, servers: [ "127.0.0.4:$pa" ], options_interval: 1h, allow: [ 127.0.0.4/32 ] }
  cc_b: { profile: generic, transport: tcp, servers: [ "127.0.0.5:$pb" ], options_interval: 1h, allow: [ 127.0.0.5/32 ] }
  ring: { profile: generic, transport: tcp, servers: [ "127.0.0.6:$pr" ], options_interval: 1h, allow: [ 127.0.0.6/32 ] }
routes:
  - { from: carrier, to: cc_a, called: '^\+14255550100$' }
  - { from: carrier, to: cc_b, called: '^\+14255550200$' }
  - { from: carrier, to: ring, called: '^\+14255550300$' }
cdr: { store: 'sqlite:$work/cdr.db' }
admin: { listen: "127.0.0.1:$admin" }
shutdown: { drain_timeout: $1, bye_wait: 2s, retry_after: 7s }
YAML
}

# uas NAME IP PORT XML CALLS: a callee that stops by itself after CALLS
uas() {
	sipp -sf "$here/$4" -t t1 -i "$2" -p "$3" -nostdin -timeout 60 -timeout_error \
		-trace_msg -message_file "$work/$1.msg" -trace_err -error_file "$work/$1.err" \
		-set target "$5" >"$work/$1.out" 2>&1 &
	pid[$1]=$!
	wait_addr "$2" "$3" || fail "SIPp callee $1 did not start"
}
wait_addr() {
	for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
# uac NAME NUMBER XML CALLS: CALLS calls at once from 127.0.0.2, background
uac() {
	sipp "127.0.0.1:$port" -sf "$here/$3" -t t1 -i 127.0.0.2 -p "$(free_port)" -s "$2" \
		-m "$4" -l "$4" -r 50 -nostdin -timeout 50 -timeout_error \
		-trace_msg -message_file "$work/$1.msg" -trace_err -error_file "$work/$1.err" \
		>"$work/$1.out" 2>&1 &
	pid[$1]=$!
}
# reap NAME [SECONDS]: NAME must end (bounded) with exit status 0
reap() {
	local p=${pid[$1]} rc=0
	for _ in $(seq 1 $((${2:-10} * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && fail "SIPp $1 did not end within ${2:-10} s"
	wait "$p" || rc=$?
	unset "pid[$1]"
	[ "$rc" -eq 0 ] || fail "SIPp $1 exited $rc (1: a check or a message it expected failed)"
}
start_tb() {
	"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
	pid[tb]=$!
	for _ in $(seq 1 100); do grep -q 'event=started' "$work/tb.log" && return 0; sleep 0.1; done
	fail "trunkbridge did not start"
}
# wait_log ERE COUNT [SECONDS]: until COUNT lines of the log match ERE
wait_log() {
	for _ in $(seq 1 $((${3:-10} * 10))); do
		[ "$(grep -Ec -- "$1" "$work/tb.log" || true)" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "want $2 log lines matching '$1', have $(grep -Ec -- "$1" "$work/tb.log" || true)"
}
# tb_exit SECONDS: trunkbridge must exit within SECONDS, status 0, no
# sanitizer report; prints nothing
tb_exit() {
	local p=${pid[tb]} rc=0
	for _ in $(seq 1 $(($1 * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && fail "trunkbridge still running $1 s after SIGTERM"
	wait "$p" || rc=$?
	unset "pid[tb]"
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work/tb.log"; then
		fail "sanitizer report: $(grep -m1 'SUMMARY: \|runtime error:' "$work/tb.log")"
	fi
	[ "$rc" -eq 0 ] || fail "trunkbridge exited $rc (want 0)"
}
# raw METHOD ID: one request from 127.0.0.2 over a TCP connection of its
# own (socat); the answers on stdout, CRs removed
raw() {
	local num=+14255550100
	printf '%s sip:%s@sbc1.lab.test SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2:5099;branch=z9hG4bK-raw-%s\r\nMax-Forwards: 70\r\nFrom: <sip:+12065550123@carrier.lab.test>;tag=raw%s\r\nTo: <sip:%s@sbc1.lab.test>\r\nCall-ID: raw-%s@127.0.0.2\r\nCSeq: 1 %s\r\nContact: <sip:+12065550123@127.0.0.2:5099;transport=tcp>\r\nContent-Length: 0\r\n\r\n' \
		"$1" "$num" "$2" "$2" "$num" "$2" "$1" |
		timeout 6 socat -t 2 - "TCP:127.0.0.1:$port,bind=127.0.0.2" 2>/dev/null | tr -d '\r' || true
}
health() { curl -s -m 3 -o "$work/health.body" -w '%{http_code}' "http://127.0.0.1:$admin/health" || true; }
ms_now() { echo $(($(date +%s%N) / 1000000)); }

port=$(free_port) pa=$(free_port) pb=$(free_port) pr=$(free_port) admin=$(free_port)

# ---------------------------------------------------------------- round 1
config 5s
uas cc_a 127.0.0.4 "$pa" uas.xml 4
uas cc_b 127.0.0.5 "$pb" uas.xml 6
start_tb
[ "$(health)" = 200 ] || fail "/health before the signal: $(cat "$work/health.body")"
raw OPTIONS o1 >"$work/opt1.txt"
head -1 "$work/opt1.txt" | grep -qx 'SIP/2.0 200 OK' || fail "OPTIONS before the signal: $(head -1 "$work/opt1.txt")"
uac a +14255550100 uac_bye.xml 4
uac b +14255550200 uac_held.xml 6
wait_log 'event=call_answered' 10 10
t_term=$(ms_now)
kill -TERM "${pid[tb]}"
wait_log 'event=draining signal=15 calls=10 drain_timeout_ms=5000 ' 1 5
echo "ok: 10 calls answered; SIGTERM: event=draining calls=10"

code=$(health)
[ "$code" = 503 ] && [ "$(cat "$work/health.body")" = draining ] || fail "/health while draining: $code $(cat "$work/health.body")"
raw INVITE i1 >"$work/inv.txt"
grep -qx 'SIP/2.0 503 Service Unavailable' "$work/inv.txt" || fail "a new INVITE while draining: $(grep '^SIP/2.0' "$work/inv.txt" | tr '\n' '|')"
awk '/^SIP\/2.0 503/ { on = 1 } on && /^$/ { exit } on' "$work/inv.txt" | grep -qx 'Retry-After: 7' || fail "the INVITE's 503 has no Retry-After: 7"
raw OPTIONS o2 >"$work/opt2.txt"
head -1 "$work/opt2.txt" | grep -qx 'SIP/2.0 503 Service Unavailable' || fail "OPTIONS while draining: $(head -1 "$work/opt2.txt")"
grep -qx 'Retry-After: 7' "$work/opt2.txt" || fail "the OPTIONS 503 has no Retry-After: 7"
kill -0 "${pid[tb]}" 2>/dev/null || fail "trunkbridge exited with calls in progress"
refused=$(curl -s -m 3 "http://127.0.0.1:$admin/metrics" | awk '$1 == "trunkbridge_calls_refused_total{reason=\"draining\"}" { print $2 }')
[ "$refused" = 1 ] || fail "/metrics while draining: calls_refused_total{reason=draining} is '$refused', not 1"
echo "ok: while draining: /health 503 draining, new INVITE 503 Retry-After: 7 (counted: calls_refused_total{reason=draining} 1), OPTIONS 503 Retry-After: 7"

tb_exit 15
elapsed=$(($(ms_now) - t_term))
[ "$elapsed" -ge 4800 ] || fail "trunkbridge exited ${elapsed} ms after SIGTERM: before drain_timeout 5s"
[ "$elapsed" -le 9500 ] || fail "trunkbridge exited ${elapsed} ms after SIGTERM: want drain_timeout 5s + bye_wait 2s at most"
grep -q 'event=drain_bye calls=6 active=6 ' "$work/tb.log" || fail "no event=drain_bye calls=6"
grep -q 'event=drained calls=0 reason="every call ended by trunkbridge"' "$work/tb.log" || fail "no event=drained after every BYE was answered"
[ "$(grep -c 'event=call_refused ' "$work/tb.log" || true)" = 1 ] || fail "the INVITE during the drain was not logged as call_refused once"
echo "ok: exit 0 ${elapsed} ms after SIGTERM (drain_timeout 5s): 6 calls ended by trunkbridge, every BYE answered"

reap a 10
reap b 10
reap cc_a 10
reap cc_b 10
echo "ok: callers and callees: 4 calls hung up by the caller, 6 BYEs from trunkbridge with the Reason on both legs (each SIPp checked its own)"

# the BYEs the callees got: cc_b's carry the Reason, cc_a's (relayed) not
reasons() { awk '/message received/ { st = 1; bye = 0; next } /message sent/ { st = 0; next }
	st == 1 && NF { bye = /^BYE /; st = 2; next }
	st == 2 && bye && tolower($0) ~ /^reason:/ { sub(/\r$/, ""); print }' "$work/$1.msg"; }
n=$(reasons cc_b | grep -cxF "Reason: $REASON" || true)
[ "$n" = 6 ] || fail "callee cc_b: $n BYEs with the Reason, want 6"
[ -z "$(reasons cc_a)" ] || fail "callee cc_a: a relayed BYE has a Reason: $(reasons cc_a | head -1)"

rows=$(sqlite3 "$work/cdr.db" 'select count(*) from cdr')
[ "$rows" = 10 ] || fail "CDR: $rows rows, want 10"
got=$(sqlite3 -separator '|' "$work/cdr.db" "select out_trunk, hangup_by, final_status, coalesce(reason,''), count(*) from cdr where answer_ms is not null and end_ms >= answer_ms group by 1, 2, 3, 4 order by 1")
want="cc_a|caller|200||4
cc_b|trunkbridge|200|$REASON|6"
[ "$got" = "$want" ] || fail "CDR rows: got
$got
want
$want"
echo "ok: CDR: 10 rows: cc_a caller/200 x4, cc_b trunkbridge/200 '$REASON' x6"

# ---------------------------------------------------------------- round 2
rm -f "$work/cdr.db" "$work"/*.msg
port=$(free_port) pb=$(free_port) pr=$(free_port) admin=$(free_port)
config 60s
uas cc_b2 127.0.0.5 "$pb" uas.xml 3
uas ring 127.0.0.6 "$pr" uas_ring.xml 1
start_tb
uac h +14255550200 uac_held.xml 3
uac r +14255550300 uac_ring.xml 1
wait_log 'event=call_answered' 3 10
for _ in $(seq 1 50); do [ "$(grep -c '^SIP/2.0 180' "$work/r.msg" 2>/dev/null || true)" -ge 1 ] && break; sleep 0.1; done
kill -TERM "${pid[tb]}"
wait_log 'event=draining signal=15 calls=4 drain_timeout_ms=60000 ' 1 5
sleep 0.5
kill -0 "${pid[tb]}" 2>/dev/null || fail "trunkbridge did not wait for its calls"
t_term=$(ms_now)
kill -INT "${pid[tb]}"
tb_exit 6
elapsed=$(($(ms_now) - t_term))
grep -q 'event=drain_forced signal=2 calls=4' "$work/tb.log" || fail "no event=drain_forced for the second signal"
grep -q 'event=drain_bye calls=4 active=4 .*reason="second stop signal"' "$work/tb.log" || fail "no event=drain_bye calls=4 on the second signal"
[ "$elapsed" -le 4000 ] || fail "exit ${elapsed} ms after the second signal (want at once, within bye_wait)"
reap h 10
reap r 10
reap cc_b2 10
reap ring 10
echo "ok: a second signal: BYE at once (3 answered calls), CANCEL + 503 Retry-After (the ringing one); exit 0 ${elapsed} ms later"
got=$(sqlite3 -separator '|' "$work/cdr.db" "select out_trunk, hangup_by, final_status, coalesce(reason,''), count(*) from cdr group by 1, 2, 3, 4 order by 1")
want="cc_b|trunkbridge|200|$REASON|3
ring|trunkbridge|503|$REASON|1"
[ "$got" = "$want" ] || fail "CDR rows (round 2): got
$got
want
$want"
echo "ok: CDR: 4 rows, hangup_by trunkbridge"

# ---------------------------------------------------------------- round 3
# the last call ending ends the drain at once (drain_timeout 60s)
rm -f "$work/cdr.db" "$work"/*.msg
port=$(free_port) pa=$(free_port) admin=$(free_port)
config 60s
uas cc_a3 127.0.0.4 "$pa" uas.xml 2
start_tb
uac a3 +14255550100 uac_bye.xml 2
wait_log 'event=call_answered' 2 10
t_term=$(ms_now)
kill -TERM "${pid[tb]}"
wait_log 'event=draining signal=15 calls=2 ' 1 5
tb_exit 10
elapsed=$(($(ms_now) - t_term))
[ "$elapsed" -le 4500 ] || fail "exit ${elapsed} ms after SIGTERM: the calls ended about 3 s after their answer"
grep -q 'event=drained calls=0 reason="every call ended"' "$work/tb.log" || fail "no event=drained when the last call ended"
grep -q 'event=drain_bye' "$work/tb.log" && fail "trunkbridge sent BYEs although every call ended by itself"
reap a3 10
reap cc_a3 10
got=$(sqlite3 -separator '|' "$work/cdr.db" "select hangup_by, final_status, count(*) from cdr group by 1, 2")
[ "$got" = "caller|200|2" ] || fail "CDR rows (round 3): $got"
echo "ok: the last call ending (by its caller) ends the drain: exit 0 ${elapsed} ms after SIGTERM, 2 CDR rows"
echo "PASS: drain"
