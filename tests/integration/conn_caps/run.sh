#!/usr/bin/env bash
# Connection caps: 2,000 idle connections from one source (127.0.0.1), all
# at once, against trunkbridge's TLS listener. At most
# max_connections_per_source (64) are kept, and those are closed by the TLS
# handshake timeout (2 s) since they never say hello. Meanwhile a
# legitimate peer on another source (127.0.0.2: stunnel + SIPp) still gets
# its OPTIONS answered. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
flood=$(dirname "$tb")/connflood
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- trunkbridge log"; tail -20 "$work/tb.log"; exit 1; }

[ -x "$flood" ] || fail "connflood not built beside $tb"
bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null
. "$here/../lib.sh"
tls_port=$(free_port); plain_port=$(free_port); dead_port=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $work/certs/sbc1.pem
  private_key: $work/certs/sbc1.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $tls_port }
limits:
  max_connections: 1024
  max_connections_per_source: 64
  tls_handshake_timeout: 2s
trunks:
  lab:
    profile: generic
    transport: tls
    servers: [ "127.0.0.1:$dead_port" ]
    options_interval: 1h
YAML
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
pids+=($!)
for _ in $(seq 1 50); do grep -q 'event=started' "$work/tb.log" && break; sleep 0.1; done
grep -q 'event=started' "$work/tb.log" || fail "trunkbridge did not start"

# the legitimate peer comes from 127.0.0.2
cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel.log
[sip]
client = yes
accept = 127.0.0.1:$plain_port
connect = 127.0.0.1:$tls_port
local = 127.0.0.2
CAfile = $work/certs/ca.pem
verifyChain = yes
checkHost = sbc1.lab.test
CONF
stunnel4 "$work/stunnel.conf" 2>/dev/null &
pids+=($!)
wait_port "$plain_port" 10 || fail "stunnel did not start"

"$flood" 127.0.0.1 127.0.0.1 "$tls_port" 2000 4 >"$work/flood.out" &
flood_pid=$!
pids+=($flood_pid)
sleep 1
cd "$work"
set +e
timeout 20 sipp 127.0.0.1:$plain_port -t t1 -sf "$repo/tests/integration/options_tls/uac_options.xml" \
	-m 3 -r 10 -timeout 15 -key tlsport "$tls_port" >"$work/sipp.out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || fail "the legitimate peer's OPTIONS were not answered during the flood (SIPp exit $rc)"
echo "ok: a peer on 127.0.0.2 got 3 OPTIONS answered during the flood"
wait "$flood_pid" || true
out=$(cat "$work/flood.out")
echo "flood: $out"
half=$(echo "$out" | sed 's/.*open_settled=\([0-9]*\).*/\1/')
hold=$(echo "$out" | sed 's/.*open_at_hold=\([0-9]*\).*/\1/')
[ -n "$half" ] && [ "$half" -le 64 ] || fail "more than 64 connections from one source kept: $half"
[ "$hold" -eq 0 ] || fail "$hold idle connections survived the 2 s TLS handshake timeout"
echo "ok: 2000 connections from one source held to $half (cap 64), all closed by the handshake timeout"
kill -0 "${pids[0]}" || fail "trunkbridge died"
