#!/usr/bin/env bash
# Within a call: an INFO (DTMF, application/dtmf-relay) crosses to the
# callee with its body and its 200 comes back; the callee's 2xx asks for a
# session timer (Session-Expires: 2;refresher=uac, RFC 4028), which reaches
# the caller; nobody refreshes, so trunkbridge ends the call on both legs
# with BYE and "Reason: SIP;cause=408;text="session timer expired"", and the
# CDR says trunkbridge hung up. (2 s keeps the test short; real intervals
# are 90 s and up.) TCP, generic trunks; loopback only; processes stopped
# by PID.
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
uas_port=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen: [ { transport: tcp, address: 127.0.0.1, port: $tb_port } ]
trunks:
  carrier: { profile: generic, transport: tcp, servers: [ "127.0.0.3:$tb_port" ], allow: [ 127.0.0.2/32 ] }
  cc: { profile: generic, transport: tcp, servers: [ "127.0.0.4:$uas_port" ], allow: [ 127.0.0.4/32 ] }
routes:
  - { from: carrier, to: cc, called: '^\+1425555\d{4}$' }
cdr: { store: 'sqlite:$work/cdr.db' }
YAML
sipp -sf "$here/uas.xml" -t t1 -i 127.0.0.4 -p "$uas_port" -nostdin -timeout 30 \
	-timeout_error -trace_msg -trace_err -message_file "$work/uas.log" \
	-error_file "$work/uas.err" >/dev/null 2>&1 &
pids+=($!)
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
tb_pid=$!
pids+=($tb_pid)
wait_port "$tb_port" 10 || fail "trunkbridge did not listen"
sleep 0.5

start=$(date +%s%N)
timeout 30 sipp "127.0.0.1:$tb_port" -sf "$here/uac.xml" -t t1 -i 127.0.0.2 -m 1 \
	-timeout 20 -timeout_error -nostdin -trace_msg -trace_err \
	-message_file "$work/uac.log" -error_file "$work/uac.err" >/dev/null 2>&1 ||
	{ cat "$work/uac.err" 2>/dev/null | tail -20; fail "the caller's scenario failed (see above)"; }
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "ok: the caller got the 2xx with Session-Expires: 2;refresher=uac, its INFO was answered, and a BYE with the session-timer Reason came after ${ms} ms"

grep -q '^INFO ' "$work/uas.log" || fail "the INFO did not reach the callee"
grep -q '^Signal=5' "$work/uas.log" || fail "the INFO's body did not cross"
grep -q '^BYE ' "$work/uas.log" || fail "the callee got no BYE at the session expiry"
[ -s "$work/uas.err" ] && grep -qi 'error\|failed' "$work/uas.err" && { tail -5 "$work/uas.err"; fail "the callee's scenario reported an error"; }
echo "ok: the callee got the INFO with its application/dtmf-relay body, then the BYE"

row=$(sqlite3 -separator '|' "$work/cdr.db" "select final_status, hangup_by, reason from cdr")
case "$row" in
"200|trunkbridge|SIP;cause=408;text=\"session timer expired\"") ;;
*) fail "CDR row '$row', expected 200|trunkbridge|the session-timer Reason" ;;
esac
grep -q 'event=call_session_expired .*interval_s=2' "$work/tb.log" || fail "no call_session_expired log line"
echo "ok: CDR: answered, hung up by trunkbridge, reason SIP;cause=408 session timer expired"

stop_clean "$tb_pid" "$work/tb.log" || fail "shutdown (see above)"
echo "ok: trunkbridge stopped cleanly on SIGTERM (exit 0, no sanitizer report)"
