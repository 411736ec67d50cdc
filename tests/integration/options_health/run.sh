#!/usr/bin/env bash
# OPTIONS health (interop.md 1.5): trunkbridge pings a trunk server over TLS
# (SIPp as the server, behind a stunnel TLS server with an ACS-like
# certificate that asks for our client certificate). The trunk turns
# Active; when the server stops answering it turns Inactive with the
# reason; when it returns, Active again. Loopback only; every process
# started here is stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
pids=()
sipp_pid=
cleanup() {
	for p in "${pids[@]}" $sipp_pid; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}" $sipp_pid; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	echo "--- trunkbridge log"; tail -30 "$work/tb.log"
	echo "--- stunnel log"; tail -15 "$work/stunnel.log" 2>/dev/null
	exit 1
}

bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null
. "$here/../lib.sh"
tb_port=$(free_port); acs_tls=$(free_port); acs_plain=$(free_port)

# the ACS side: TLS server with its certificate, requiring ours
cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
debug = 5
output = $work/stunnel.log
[acs]
accept = 127.0.0.1:$acs_tls
connect = 127.0.0.1:$acs_plain
cert = $work/certs/acs1.pem
key = $work/certs/acs1.key
CAfile = $work/certs/ca.pem
verifyChain = yes
requireCert = yes
sslVersionMin = TLSv1.2
CONF
stunnel4 "$work/stunnel.conf" 2>/dev/null &
pids+=($!)

start_sipp_real() {
	cd "$work"
	sipp -sf "$here/uas_options.xml" -t t1 -i 127.0.0.1 -p "$acs_plain" \
		-trace_err -error_file "$work/sipp.err" >/dev/null 2>&1 &
	sipp_pid=$!
	cd - >/dev/null
}
start_sipp_real
wait_port "$acs_plain" 10 || fail "SIPp did not start"
wait_port "$acs_tls" 10 || fail "stunnel did not start"

cat >"$work/tb.yaml" <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $work/certs/sbc1.pem
  private_key: $work/certs/sbc1.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $tb_port }
trunks:
  acs:
    profile: acs-direct-routing
    servers: [ "localhost:$acs_tls" ]   # resolved by evdns at each attempt
    tls: { peer_names: [ "*.pstnhub.lab.test" ], ca_file: $work/certs/ca.pem }
    options_interval: 5s
    up_after: 1
    down_after: 1
timers: { t1: 100ms }   # Timer F = 64 x T1 = 6.4 s
YAML
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
pids+=($!)

wait_for() { # pattern, seconds
	for _ in $(seq 1 $(( $2 * 10 ))); do
		grep -q "$1" "$work/tb.log" && return 0
		sleep 0.1
	done
	return 1
}
wait_for 'event=trunk_state trunk=acs .*trunk_status=Active' 10 || fail "trunk never turned Active"
grep -q "Certificate accepted\|verify ok\|Certificate verification" "$work/stunnel.log" ||
	grep -qi "certificate.*sbc1.lab.test\|CN=sbc1.lab.test" "$work/stunnel.log" ||
	fail "the ACS side did not see our client certificate"
echo "ok: trunk acs Active (our client certificate accepted by the ACS side)"

kill "$sipp_pid"; wait "$sipp_pid" 2>/dev/null || true; sipp_pid=
wait_for 'trunk_status=Inactive' 20 || fail "trunk did not turn Inactive when the server stopped answering"
reason=$(grep 'trunk_status=Inactive' "$work/tb.log" | head -1 | sed 's/.*reason=//')
echo "ok: trunk acs Inactive, reason=$reason"

lines=$(wc -l <"$work/tb.log")
start_sipp_real
wait_port "$acs_plain" 10 || fail "SIPp did not start"
wait_port "$acs_tls" 10 || fail "stunnel did not start"
for _ in $(seq 1 150); do
	tail -n +"$((lines + 1))" "$work/tb.log" | grep -q 'trunk_status=Active' && break
	sleep 0.1
done
tail -n +"$((lines + 1))" "$work/tb.log" | grep -q 'trunk_status=Active' || fail "trunk did not return to Active"
echo "ok: trunk acs Active again"

# a server that accepts the request and never answers: Timer F, 408
kill "$sipp_pid"; wait "$sipp_pid" 2>/dev/null || true
cd "$work"
sipp -sf "$here/uas_silent.xml" -t t1 -i 127.0.0.1 -p "$acs_plain" >/dev/null 2>&1 &
sipp_pid=$!
cd - >/dev/null
lines=$(wc -l <"$work/tb.log")
for _ in $(seq 1 250); do
	tail -n +"$((lines + 1))" "$work/tb.log" | grep -q 'trunk_status=Inactive.*408' && break
	sleep 0.1
done
l=$(tail -n +"$((lines + 1))" "$work/tb.log" | grep 'trunk_status=Inactive.*408' | head -1)
[ -n "$l" ] || fail "a silent server did not turn the trunk Inactive with 408"
echo "ok: a server that never answers: Inactive, reason=${l##*reason=}"
