#!/usr/bin/env bash
# OPTIONS health over UDP (a generic trunk; both clouds use TLS): the
# transaction layer retransmits (Timer E) and gives up (Timer F); a SIPp
# server on UDP answers, so the trunk turns Active; when it is gone the
# trunk turns Inactive with 408. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
sipp_pid=
cleanup() {
	for p in "${pids[@]}" $sipp_pid; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}" $sipp_pid; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- trunkbridge log"; tail -20 "$work/tb.log"; exit 1; }

. "$here/../lib.sh"
tb_port=$(free_port)
peer_port=$(free_port)
(cd "$work" && exec sipp -sf "$here/uas_options_udp.xml" -t u1 -i 127.0.0.1 -p "$peer_port" >/dev/null 2>&1) &
sipp_pid=$!
cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen:
  - { transport: udp, address: 127.0.0.1, port: $tb_port }
timers: { t1: 100ms }
trunks:
  lab:
    profile: generic
    transport: udp
    servers: [ "localhost:$peer_port" ]
    options_interval: 5s
    up_after: 1
    down_after: 1
YAML
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'trunk=lab .*trunk_status=Active' "$work/tb.log" && break; sleep 0.1; done
grep -q 'trunk=lab .*trunk_status=Active' "$work/tb.log" || fail "UDP trunk never Active"
echo "ok: UDP trunk Active (OPTIONS answered 200 over UDP)"
kill "$sipp_pid"; wait "$sipp_pid" 2>/dev/null || true; sipp_pid=
for _ in $(seq 1 200); do grep -q 'trunk=lab .*trunk_status=Inactive' "$work/tb.log" && break; sleep 0.1; done
l=$(grep 'trunk=lab .*trunk_status=Inactive' "$work/tb.log" | head -1)
echo "$l" | grep -q 'code=408' || fail "UDP trunk not Inactive with 408: $l"
echo "ok: UDP server gone: Inactive, reason=${l##*reason=}"
