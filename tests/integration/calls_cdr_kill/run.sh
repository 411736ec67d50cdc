#!/usr/bin/env bash
# CDR rows survive a kill -9 under load (issue: "a kill -9 under load loses
# no row of a call that had ended"). SIPp places calls through trunkbridge
# at 40 calls/s (each answered, held 200 ms, BYE from the caller); after
# 3 s trunkbridge is killed with SIGKILL. trunkbridge commits a call's row
# before it answers the BYE, so every call SIPp counted as successful must
# have its row, complete. TCP here (the TLS legs are covered by calls_*).
# Loopback only; processes stopped by PID.
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
fail() { echo "FAIL: $*"; tail -5 "$work/tb.log"; exit 1; }

tb_port=$(free_port)
uas_port=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen: [ { transport: tcp, address: 127.0.0.1, port: $tb_port } ]
trunks:
  carrier:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.3:$uas_port" ]
    allow: [ 127.0.0.2/32 ]
  cc:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.4:$uas_port" ]
    allow: [ 127.0.0.4/32 ]
routes:
  - { from: carrier, to: cc, called: '^\+1425555\d{4}$' }
cdr: { store: 'sqlite:$work/cdr.db' }
YAML
sipp -sn uas -t t1 -i 127.0.0.4 -p "$uas_port" -nostdin -bg >/dev/null 2>&1 &
sleep 0.2
pgrep -f "sipp -sn uas -t t1 -i 127.0.0.4 -p $uas_port" >"$work/uas.pid" || fail "SIPp UAS did not start"
pids+=($(cat "$work/uas.pid"))
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
tb_pid=$!
pids+=($tb_pid)
wait_port "$tb_port" 10 || fail "trunkbridge did not listen"

sipp "127.0.0.1:$tb_port" -sf "$here/uac.xml" -t t1 -i 127.0.0.2 -r 40 -m 400 \
	-timeout 20 -nostdin -trace_stat -fd 1 -stf "$work/stat.csv" \
	>/dev/null 2>&1 &
uac_pid=$!
pids+=($uac_pid)
sleep 3.2
kill -9 "$tb_pid"
wait "$tb_pid" 2>/dev/null || true
sleep 1.5 # SIPp writes its stat line each second
kill "$uac_pid" 2>/dev/null || true
wait "$uac_pid" 2>/dev/null || true

[ -s "$work/stat.csv" ] || fail "no SIPp statistics"
# SuccessfulCall(C): the cumulative column, from the last line
col=$(head -1 "$work/stat.csv" | tr ';' '\n' | grep -n '^SuccessfulCall(C)$' | cut -d: -f1)
[ -n "$col" ] || fail "no SuccessfulCall(C) column"
ok=$(tail -1 "$work/stat.csv" | cut -d';' -f"$col")
rows=$(sqlite3 "$work/cdr.db" "select count(*) from cdr")
done_rows=$(sqlite3 "$work/cdr.db" "select count(*) from cdr where final_status = 200 and hangup_by = 'caller' and answer_ms is not null and end_ms >= answer_ms and in_trunk = 'carrier' and out_trunk = 'cc'")
echo "calls SIPp saw end: $ok; CDR rows: $rows ($done_rows complete, answered and ended by the caller)"
[ "$ok" -ge 20 ] || fail "too few calls completed before the kill ($ok): the load did not run"
[ "$done_rows" -ge "$ok" ] || fail "$ok calls ended but only $done_rows rows survived the kill -9"
[ "$rows" -eq "$done_rows" ] || fail "$((rows - done_rows)) rows are incomplete or wrong"
sqlite3 "$work/cdr.db" "pragma integrity_check" | grep -qx ok || fail "the CDR file is damaged"
echo "ok: kill -9 under load lost no row of an ended call"
