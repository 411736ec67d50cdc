#!/usr/bin/env bash
# tls_matrix: black-box TLS checks of the test PKI with the openssl CLI.
#
# usage: bash run.sh <trunkbridge binary> <shared testdata dir>
#
# Both arguments are accepted and not used yet: the transport issue adds a
# running trunkbridge to this matrix. For now every case is an
# `openssl s_server` (loopback, 127.0.0.1, random free port) against an
# `openssl s_client`, proving that the certificates made by
# tests/certs/make-certs.sh are what the unit tests assume (good chains
# verify, each faulty one fails for its own reason, the SBC certificate
# works as a client certificate) and that our default ciphers and groups
# (read from src/sip/transp/tls.h) meet Microsoft's and Genesys' rules.
#
# One line per case ("ok   ..." or "FAIL ..."); exit status 1 on any
# failure. Servers are started in the background, remembered by PID and
# killed at exit; every wait is bounded (10 s).

# $(name host) expands to two options on purpose (host names have no spaces).
# shellcheck disable=SC2046
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
: "${1:-}" "${2:-}" # <trunkbridge> <testdata>: not used yet

command -v openssl >/dev/null || {
	echo "FAIL openssl CLI not found"
	exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tb-tls-matrix-XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! timeout 60 bash "$repo/tests/certs/make-certs.sh" "$tmp/certs"; then
	echo "FAIL make-certs.sh"
	exit 1
fi
C=$tmp/certs

# The defaults compiled into trunkbridge, from the header itself.
hdr_string() { # macro name -> the concatenated string literal
	awk -v name="$1" '
		$1 == "#define" && $2 == name { on = 1 }
		on {
			line = $0
			while (match(line, /"[^"]*"/)) {
				s = s substr(line, RSTART + 1, RLENGTH - 2)
				line = substr(line, RSTART + RLENGTH)
			}
			if ($0 !~ /\\[ \t]*$/) { print s; exit }
		}' "$repo/src/sip/transp/tls.h"
}
CIPHERS=$(hdr_string TLS_DEFAULT_CIPHERS)
GROUPS_=$(hdr_string TLS_DEFAULT_GROUPS)
MS_CIPHERS="ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256"
GC_CIPHERS="AES256-SHA:AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"

fails=0
ok() { printf 'ok   %s\n' "$1"; }
fail() {
	printf 'FAIL %s: %s\n' "$1" "$2"
	fails=$((fails + 1))
}

# The certificates after the first in a chain file (the intermediates).
extra_certs() { # file -> path of a file with the rest ("" when none)
	local out
	out="$tmp/$(basename "$1").extra"
	awk 'rest; /-----END CERTIFICATE-----/ && !rest { rest = 1 }' "$1" >"$out"
	if grep -q 'BEGIN CERTIFICATE' "$out"; then echo "$out"; else echo ""; fi
}

# start_server <label> <leaf> [s_server args...]: serves <leaf>.pem with
# <leaf>.key (and the chain file's intermediates) on a random port; sets
# PORT and SLOG. Retries on another port when the bind fails.
PORT=0
SLOG=
start_server() {
	local label=$1 leaf=$2 pid chain _try _i
	shift 2
	chain=$(extra_certs "$C/$leaf.pem")
	SLOG="$tmp/server-$label.log"
	for _try in 1 2 3 4 5 6 7 8 9 10; do
		PORT=$((12000 + RANDOM % 20000))
		: >"$SLOG"
		openssl s_server -accept "127.0.0.1:$PORT" -www \
			-cert "$C/$leaf.pem" -key "$C/$leaf.key" \
			${chain:+-cert_chain "$chain"} "$@" \
			>"$SLOG" 2>&1 </dev/null &
		pid=$!
		for _i in $(seq 100); do # 10 s
			if grep -q '^ACCEPT' "$SLOG"; then
				pids+=("$pid")
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	echo "FAIL $label: s_server did not start:" >&2
	cat "$SLOG" >&2
	return 1
}

# client <port> [s_client args...]: one handshake, output in CLOG.
CLOG="$tmp/client.log"
client() {
	local port=$1
	shift
	timeout 10 openssl s_client -connect "127.0.0.1:$port" "$@" \
		</dev/null >"$CLOG" 2>&1
}

# Verify our way: trust only the test root, fail on any verify error.
VERIFY=(-CAfile "$C/ca.pem" -verify_return_error)
name() { echo -servername "$1" -verify_hostname "$1"; }

last() { tail -n 3 "$CLOG" | tr '\n' ' '; }

# expect_ok <case> <port> [s_client args]
expect_ok() {
	local case=$1 port=$2
	shift 2
	if client "$port" "$@" && grep -q 'Verify return code: 0 (ok)' "$CLOG"; then
		ok "$case"
	else
		fail "$case" "handshake did not verify: $(last)"
	fi
}

# expect_fail <case> <regex> <port> [s_client args]
expect_fail() {
	local case=$1 re=$2 port=$3
	shift 3
	if client "$port" "$@"; then
		fail "$case" "handshake succeeded, expected /$re/"
	elif grep -Eq "$re" "$CLOG"; then
		ok "$case"
	else
		fail "$case" "failed without /$re/: $(last)"
	fi
}

# server_saw <case> <regex>: the server log shows it (waits up to 5 s).
server_saw() {
	local _i
	for _i in $(seq 50); do
		if grep -Eq "$2" "$SLOG"; then
			ok "$1"
			return
		fi
		sleep 0.1
	done
	fail "$1" "server log lacks /$2/: $(tail -n 3 "$SLOG" | tr '\n' ' ')"
}

# --- the chain files themselves ------------------------------------------
for leaf in sbc1 acs1 acs2 acswild genesys cnonly wrongname expired \
	notyetvalid nointermediate selfsigned untrusted; do
	n=$(grep -c 'BEGIN CERTIFICATE' "$C/$leaf.pem")
	case $leaf in
	nointermediate | selfsigned) want=1 ;;
	*) want=2 ;;
	esac
	[ "$n" = "$want" ] || fail "chain file $leaf.pem" "$n certificates, expected $want"
done
if openssl x509 -in "$C/sbc1.pem" -noout -ext extendedKeyUsage,subjectAltName 2>/dev/null |
	tr '\n' ' ' | grep -q 'Server Authentication, TLS Web Client Authentication.*DNS:sbc1.lab.test'; then
	ok "sbc1: SAN sbc1.lab.test, EKU serverAuth+clientAuth"
else
	fail "sbc1 certificate" "SAN or EKU missing"
fi
if openssl x509 -in "$C/sbc1.pem" -noout -text | grep -q 'Public-Key: (2048 bit)'; then
	ok "sbc1: RSA 2048 key"
else
	fail "sbc1 certificate" "not RSA 2048"
fi

# --- server certificates, verified by a client ---------------------------
start_server acs1 acs1 || exit 1
expect_ok "acs1 chain verifies, name sip.pstnhub.lab.test" "$PORT" \
	"${VERIFY[@]}" $(name sip.pstnhub.lab.test)
expect_fail "acs1 is not sip2.pstnhub.lab.test" 'hostname mismatch' "$PORT" \
	"${VERIFY[@]}" $(name sip2.pstnhub.lab.test)

start_server acs2 acs2 || exit 1
expect_ok "acs2 chain verifies, name sip2.pstnhub.lab.test" "$PORT" \
	"${VERIFY[@]}" $(name sip2.pstnhub.lab.test)

start_server acswild acswild || exit 1
expect_ok "wildcard *.pstnhub.lab.test covers sip3.pstnhub.lab.test" "$PORT" \
	"${VERIFY[@]}" $(name sip3.pstnhub.lab.test)
expect_fail "wildcard covers one label only" 'hostname mismatch' "$PORT" \
	"${VERIFY[@]}" $(name a.sip.pstnhub.lab.test)

start_server cnonly cnonly || exit 1
expect_ok "CN-only certificate verifies (chain)" "$PORT" "${VERIFY[@]}" \
	-servername sip.pstnhub.lab.test

start_server wrongname wrongname || exit 1
expect_fail "wrong name fails -verify_hostname" 'hostname mismatch' "$PORT" \
	"${VERIFY[@]}" $(name sip.pstnhub.lab.test)

start_server expired expired || exit 1
expect_fail "expired certificate" 'certificate has expired' "$PORT" \
	"${VERIFY[@]}" $(name sip.pstnhub.lab.test)

start_server notyetvalid notyetvalid || exit 1
expect_fail "not yet valid certificate" 'certificate is not yet valid' \
	"$PORT" "${VERIFY[@]}" $(name sip.pstnhub.lab.test)

start_server selfsigned selfsigned || exit 1
expect_fail "self-signed leaf" 'num=18:self-signed certificate' "$PORT" \
	"${VERIFY[@]}" $(name sip.pstnhub.lab.test)

start_server nointermediate nointermediate || exit 1
expect_fail "missing intermediate" 'unable to get local issuer certificate' \
	"$PORT" "${VERIFY[@]}" $(name sip.pstnhub.lab.test)

start_server untrusted untrusted || exit 1
expect_fail "leaf from an untrusted root" \
	'self-signed certificate in certificate chain' "$PORT" \
	"${VERIFY[@]}" $(name sip.pstnhub.lab.test)

# --- client certificates (mutual TLS) -------------------------------------
# Microsoft's proxy asks the SBC for a client certificate: sbc1 (EKU
# clientAuth) must pass an s_server that requires and verifies one.
start_server mtls-acs acs1 -Verify 1 -verify_return_error \
	-CAfile "$C/ca.pem" -tls1_2 -cipher "$MS_CIPHERS" || exit 1
sbc_chain=$(extra_certs "$C/sbc1.pem")
expect_ok "sbc1 presents its chain as client certificate (MS-like server)" \
	"$PORT" "${VERIFY[@]}" $(name sip.pstnhub.lab.test) \
	-cert "$C/sbc1.pem" -key "$C/sbc1.key" -cert_chain "$sbc_chain" \
	-cipher "$CIPHERS" -groups "$GROUPS_"
server_saw "MS-like server verified sbc1 as client" \
	'depth=0 .*CN ?= ?sbc1\.lab\.test'
expect_fail "no client certificate: refused (TLS 1.2)" \
	'alert handshake failure|alert certificate required' "$PORT" \
	"${VERIFY[@]}" $(name sip.pstnhub.lab.test) -tls1_2
server_saw "server says: peer did not return a certificate" \
	'peer did not return a certificate'
expect_fail "client certificate from an untrusted root: refused" \
	'alert unknown ca|alert bad certificate' "$PORT" \
	"${VERIFY[@]}" $(name sip.pstnhub.lab.test) -tls1_2 \
	-cert "$C/untrusted.pem" -key "$C/untrusted.key" \
	-cert_chain "$(extra_certs "$C/untrusted.pem")"

# An ACS-like client (acs1) to our listener (sbc1 requiring a client cert).
start_server mtls-sbc sbc1 -Verify 1 -verify_return_error \
	-CAfile "$C/ca.pem" -cipher "$CIPHERS" -groups "$GROUPS_" || exit 1
expect_ok "acs1 as client certificate to sbc1" "$PORT" "${VERIFY[@]}" \
	$(name sbc1.lab.test) -cert "$C/acs1.pem" -key "$C/acs1.key" \
	-cert_chain "$(extra_certs "$C/acs1.pem")" -tls1_2
server_saw "sbc1 verified acs1 as client" \
	'depth=0 .*CN ?= ?sip\.pstnhub\.lab\.test'

# --- versions, ciphers, groups --------------------------------------------
start_server tls12 sbc1 -tls1_2 -cipher "$CIPHERS" -groups "$GROUPS_" || exit 1
expect_fail "TLS 1.1 client refused by a TLS 1.2 server" \
	'protocol version|unsupported protocol|no protocols available' \
	"$PORT" "${VERIFY[@]}" $(name sbc1.lab.test) -tls1_1 \
	-cipher 'DEFAULT:@SECLEVEL=0'
expect_fail "client with only AES128-SHA: no shared cipher" \
	'alert handshake failure' "$PORT" "${VERIFY[@]}" \
	$(name sbc1.lab.test) -tls1_2 -cipher AES128-SHA
server_saw "server says: no shared cipher" 'no shared cipher'

# Genesys: TLS 1.2 only, ECDHE on secp384r1 only, its cipher list.
start_server genesys genesys -tls1_2 -groups secp384r1 \
	-cipher "$GC_CIPHERS" || exit 1
expect_ok "our ciphers+groups meet a Genesys-like server (P-384 only)" \
	"$PORT" "${VERIFY[@]}" $(name voice.genesys.lab.test) \
	-cipher "$CIPHERS" -groups "$GROUPS_"
if grep -Eq 'Server Temp Key: ECDH, (secp384r1|P-384)' "$CLOG" &&
	grep -Eq 'Cipher is ECDHE-RSA-AES(128|256)-GCM-SHA(256|384)' "$CLOG"; then
	ok "Genesys-like server: ECDHE P-384 with an AES-GCM cipher"
else
	fail "Genesys-like server key exchange" "$(grep -E 'Temp Key|Cipher is' "$CLOG" | tr '\n' ' ')"
fi
expect_fail "ECDHE with only P-256 fails against P-384-only" \
	'alert handshake failure' "$PORT" "${VERIFY[@]}" \
	$(name voice.genesys.lab.test) -cipher "$CIPHERS" -groups prime256v1

if [ "$fails" -ne 0 ]; then
	echo "tls_matrix: $fails case(s) failed"
	exit 1
fi
echo "tls_matrix: all cases passed"
