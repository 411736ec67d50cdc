#!/usr/bin/env bash
# PROTOS c07-sip (4,527 INVITE cases, University of Oulu) against the
# running trunkbridge, over UDP and over TCP: no crash, no hang, and the
# valid baseline (case 0) is still answered after every 50 cases and at
# the end. The suite is read from the shared testdata folder, never copied.
# Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
testdata=$2
send=$(dirname "$tb")/protos_send
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$work/tb.log"; exit 1; }

tarball=$testdata/protos-c07-sip/c07-sip-cases.tar.xz
[ -f "$tarball" ] || fail "missing $tarball (the shared testdata folder must be beside the checkout)"
[ -x "$send" ] || fail "protos_send not built beside $tb"
tar -xJf "$tarball" -C "$work"
n=$(find "$work/cases" -type f | wc -l)
[ "$n" -ge 4527 ] || fail "only $n PROTOS cases extracted"

. "$(dirname "$0")/../lib.sh"
port=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen:
  - { transport: udp, address: 127.0.0.1, port: $port }
  - { transport: tcp, address: 127.0.0.1, port: $port }
limits: { max_connections_per_source: 256 }
trunks:
  lab: { profile: generic, transport: tcp, servers: [ "127.0.0.1:$((port + 1))" ], options_interval: 1h }
YAML
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
tb_pid=$!
pids+=($tb_pid)
for _ in $(seq 1 50); do grep -q 'event=started' "$work/tb.log" && break; sleep 0.1; done
grep -q 'event=started' "$work/tb.log" || fail "trunkbridge did not start"

for tp in udp tcp; do
	out=$(timeout 600 "$send" "$work/cases" 127.0.0.1 "$port" "$tp" 50) || fail "$tp: $out"
	echo "ok: $out"
	kill -0 "$tb_pid" || fail "trunkbridge died during the $tp run"
done
dropped=$(grep -c 'event=malformed_dropped' "$work/tb.log" || true)
echo "ok: trunkbridge alive after 2 x $n cases; $dropped malformed messages dropped and logged"
