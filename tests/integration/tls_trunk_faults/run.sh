#!/usr/bin/env bash
# The TLS matrix, seen by trunkbridge itself (interop.md 1.2, 1.3, F1-F3):
# one trunk per faulty peer certificate, each served by `openssl s_server`;
# every trunk must end Inactive with its exact reason logged. Then clients
# that both clouds' rules refuse (TLS 1.1 only, no shared cipher) are
# refused by trunkbridge's listener with the reason logged, and a trunk
# whose profile presents our client certificate is checked by
# `openssl s_server -Verify`. Loopback only; processes stopped by PID.
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
failed=0
fail() { echo "FAIL: $*"; failed=1; }

bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null
c=$work/certs
. "$here/../lib.sh"

# name | server certificate | chain it sends after the leaf | what the
# reason must say
cases=(
	"wrongname|wrongname|inter.pem|name mismatch: got sip.example.net"
	"expired|expired|inter.pem|expired"
	"selfsigned|selfsigned||self-signed"
	"nointermediate|nointermediate||missing intermediate"
	"untrusted|untrusted|untrusted-ca.pem|untrusted"
)
# s_server's stdin: a FIFO nobody closes (at EOF on stdin s_server ends)
mkfifo "$work/stdin"
exec 9<>"$work/stdin"
declare -A port
for cs in "${cases[@]}" "mtls|acs1|inter.pem|"; do
	IFS='|' read -r name cert chain _ <<<"$cs"
	port[$name]=$(free_port)
	extra=()
	[ -n "$chain" ] && extra+=(-cert_chain "$c/$chain")
	[ "$name" = mtls ] && extra+=(-Verify 1 -verify_return_error -CAfile "$c/ca.pem")
	# s_server sends only the leaf of -cert: the chain goes in -cert_chain
	openssl s_server -accept "127.0.0.1:${port[$name]}" \
		-cert "$c/$cert.crt" -key "$c/$cert.key" "${extra[@]}" \
		>"$work/s_server.$name.log" 2>&1 <"$work/stdin" &
	pids+=($!)
done

tb_port=$(free_port)
{
	echo "identity:"
	echo "  fqdn: sbc1.lab.test"
	echo "  certificate: $c/sbc1.pem"
	echo "  private_key: $c/sbc1.key"
	echo "listen:"
	echo "  - { transport: tls, address: 127.0.0.1, port: $tb_port }"
	echo "timers: { t1: 100ms }"
	echo "trunks:"
	for name in "${!port[@]}"; do
		echo "  $name:"
		echo "    profile: generic"
		echo "    transport: tls"
		echo "    servers: [ \"127.0.0.1:${port[$name]}\" ]"
		echo "    tls: { peer_names: [ sip.pstnhub.lab.test ], ca_file: $c/ca.pem, client_certificate: true }"
		echo "    options_interval: 30s"
	done
} >"$work/tb.yaml"

# ready when it says ACCEPT (no probe connection: s_server serves those)
for name in "${!port[@]}"; do
	for _ in $(seq 1 100); do
		grep -q '^ACCEPT' "$work/s_server.$name.log" && break
		sleep 0.1
	done
	grep -q '^ACCEPT' "$work/s_server.$name.log" ||
		fail "s_server for $name did not start: $(head -3 "$work/s_server.$name.log")"
done
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
pids+=($!)

for cs in "${cases[@]}"; do
	name=${cs%%|*}; want=${cs##*|}
	line=
	for _ in $(seq 1 100); do
		line=$(grep "event=trunk_state trunk=$name " "$work/tb.log" || true)
		[ -n "$line" ] && break
		sleep 0.1
	done
	if [ -z "$line" ]; then fail "$name: no trunk_state logged"; continue; fi
	echo "$line" | grep -q "trunk_status=Inactive" || fail "$name: not Inactive: $line"
	if echo "${line##*reason=}" | grep -qi -- "$want"; then
		echo "ok: $name -> Inactive, reason=${line##*reason=}"
	else
		fail "$name: reason does not say '$want': $line"
	fi
done

# our client certificate, checked by s_server -Verify: the handshake passes
# (the trunk then fails on SIP, s_server is no SIP server: Timer F, 64*T1)
for _ in $(seq 1 100); do
	grep -q "CN *= *sbc1.lab.test" "$work/s_server.mtls.log" 2>/dev/null && break
	sleep 0.1
done
if grep -q "CN *= *sbc1.lab.test" "$work/s_server.mtls.log"; then
	echo "ok: mtls -> s_server -Verify saw our client certificate (CN=sbc1.lab.test)"
else
	fail "mtls: s_server did not verify our client certificate: $(head -5 "$work/s_server.mtls.log")"
fi

# clients trunkbridge's listener refuses, with the reason logged
refuse() { # label, what the log reason must say, s_client args...
	local label=$1 want=$2; shift 2
	if timeout 10 openssl s_client -connect "127.0.0.1:$tb_port" "$@" \
		</dev/null >"$work/s_client.log" 2>&1; then
		if grep -q "^    Cipher is (NONE)\|handshake failure\|alert" "$work/s_client.log"; then :; else
			fail "$label: handshake succeeded"; return; fi
	fi
	for _ in $(seq 1 50); do
		grep -q "event=tls_handshake_failed .*$want" "$work/tb.log" && break
		sleep 0.1
	done
	if grep -q "event=tls_handshake_failed .*$want" "$work/tb.log"; then
		echo "ok: $label refused: $(grep "event=tls_handshake_failed .*$want" "$work/tb.log" | tail -1 | sed 's/.*reason=//')"
	else
		fail "$label: no tls_handshake_failed with '$want' logged"
	fi
}
refuse "TLS 1.1-only client" "protocol" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0'
refuse "no-shared-cipher client" "cipher" -tls1_2 -cipher AES128-SHA

if [ $failed -ne 0 ]; then
	echo "--- trunkbridge log"; tail -40 "$work/tb.log"
	exit 1
fi
