#!/usr/bin/env bash
# Failover order (interop.md 1.1: sip, sip2, sip3; a busy DC answers 503 +
# Retry-After): a trunk with three servers, the first refusing connections,
# the second answering 503 with Retry-After, the third answering 200. Each
# failure is logged with its reason, the trunk is Active through the third,
# and the server a request goes to next is the third. Loopback only;
# processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
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

bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null
c=$work/certs
. "$here/../lib.sh"
dead=$(free_port); busy_tls=$(free_port); busy_tcp=$(free_port)
ok_tls=$(free_port); ok_tcp=$(free_port); tb_port=$(free_port)

cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel.log
[busy]
accept = 127.0.0.1:$busy_tls
connect = 127.0.0.1:$busy_tcp
cert = $c/acs2.pem
key = $c/acs2.key
[ok]
accept = 127.0.0.1:$ok_tls
connect = 127.0.0.1:$ok_tcp
cert = $c/acs1.pem
key = $c/acs1.key
CONF
stunnel4 "$work/stunnel.conf" 2>/dev/null &
pids+=($!)
(cd "$work" && exec sipp -sf "$here/uas_503.xml" -t t1 -i 127.0.0.1 -p "$busy_tcp" >/dev/null 2>&1) &
pids+=($!)
(cd "$work" && exec sipp -sf "$repo/tests/integration/options_health/uas_options.xml" -t t1 -i 127.0.0.1 -p "$ok_tcp" >/dev/null 2>&1) &
pids+=($!)
for p in "$busy_tcp" "$ok_tcp" "$busy_tls" "$ok_tls"; do
	wait_port "$p" 10 || fail "a peer on port $p did not start"
done

cat >"$work/tb.yaml" <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $c/sbc1.pem
  private_key: $c/sbc1.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $tb_port }
trunks:
  acs:
    profile: generic
    transport: tls
    servers: [ "127.0.0.1:$dead", "127.0.0.1:$busy_tls", "127.0.0.1:$ok_tls" ]
    tls: { peer_names: [ "*.pstnhub.lab.test" ], ca_file: $c/ca.pem, client_certificate: true }
    options_interval: 30s
YAML
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
pids+=($!)

for _ in $(seq 1 100); do
	[ "$(grep -c 'event=trunk_state trunk=acs' "$work/tb.log")" -ge 3 ] && break
	sleep 0.1
done
[ "$(grep -c 'event=trunk_state trunk=acs' "$work/tb.log")" -ge 3 ] || fail "not every server was checked"
line() { grep "event=trunk_state trunk=acs server=127.0.0.1:$1 " "$work/tb.log" | tail -1; }
l=$(line "$dead"); echo "$l" | grep -q 'server_status=Inactive.*Connection refused' || fail "first server: $l"
echo "ok: sip (refusing) Inactive: ${l##*reason=}"
l=$(line "$busy_tls"); echo "$l" | grep -q 'server_status=Inactive.*code=503' || fail "second server: $l"
echo "ok: sip2 (503, Retry-After: 30) Inactive: ${l##*reason=}"
l=$(line "$ok_tls"); echo "$l" | grep -q 'server_status=Active trunk_status=Active' || fail "third server: $l"
last=$(grep 'event=trunk_state trunk=acs' "$work/tb.log" | tail -1)
echo "$last" | grep -q "next=127.0.0.1:$ok_tls " || fail "requests would not go to the third server: $last"
echo "ok: sip3 Active, trunk Active, next request goes to sip3 (127.0.0.1:$ok_tls)"
