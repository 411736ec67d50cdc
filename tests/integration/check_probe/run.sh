#!/usr/bin/env bash
# `trunkbridge check --probe`: each trunk server tried for real (DNS, TCP,
# TLS with our certificate offered, OPTIONS), every failure printed with
# its cause and fix, exit 1; a healthy lab passes, exit 0.
#  1. each TLS fault of tls_trunk_faults (interop F1-F3), served by
#     `openssl s_server`: wrong name, expired, self-signed, no
#     intermediate, untrusted root: the mapped cause, exit 1
#  2. a peer that takes TLS and never answers OPTIONS: the 408/timeout
#     cause (the guide's Edge Case 1), exit 1, within the --timeout bound
#  3. a port nothing listens on: connection refused
#  4. a .invalid name (RFC 6761): dns failed
#  5. a peer answering OPTIONS with 403 (SIPp over TCP)
#  6. a trunk whose transfers arrive without Diversion: the Edge Case 2
#     warning
#  7. the call lab (SIPp behind stunnel, calllab.sh) answering OPTIONS:
#     every step ok, exit 0
# With the ASan build: no sanitizer report (check is a short-lived process
# and must leak nothing). Loopback only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=check_probe
. "$repo/tests/integration/calllab.sh"
lab_init # $work, certificates, ports, the cleanup trap (stops lab_pid[*])
c=$LAB_CERTS
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# --- the faulty peers: one s_server each ------------------------------------
# name | server certificate (leaf alone) | chain sent after it
peers=(
	"wrongname|wrongname|inter.pem"
	"expired|expired|inter.pem"
	"selfsigned|selfsigned|"
	"nointermediate|nointermediate|"
	"untrusted|untrusted|untrusted-ca.pem"
	"silent|acs1|inter.pem"
)
# s_server's stdin: a FIFO nobody closes (at EOF on stdin s_server ends)
mkfifo "$work/stdin"
exec 9<>"$work/stdin"
declare -A port
for p in "${peers[@]}"; do
	IFS='|' read -r name cert chain <<<"$p"
	port[$name]=$(free_port)
	extra=()
	[ -n "$chain" ] && extra+=(-cert_chain "$c/$chain")
	openssl s_server -accept "127.0.0.1:${port[$name]}" \
		-cert "$c/$cert.crt" -key "$c/$cert.key" "${extra[@]}" \
		>"$work/s_server.$name.log" 2>&1 <"$work/stdin" &
	lab_pid[s_$name]=$!
done
for p in "${peers[@]}"; do
	name=${p%%|*}
	for _ in $(seq 1 100); do
		grep -q '^ACCEPT' "$work/s_server.$name.log" && break
		sleep 0.1
	done
	grep -q '^ACCEPT' "$work/s_server.$name.log" ||
		lab_fail "s_server $name did not start: $(head -3 "$work/s_server.$name.log")"
done
refused=$(free_port)

{
	echo "identity:"
	echo "  fqdn: sbc1.lab.test"
	echo "  certificate: $c/sbc1.pem"
	echo "  private_key: $c/sbc1.key"
	echo "listen:"
	echo "  - { transport: tls, address: 127.0.0.1, port: $LAB_TB }"
	echo "trunks:"
	for p in "${peers[@]}"; do
		name=${p%%|*}
		echo "  $name:"
		echo "    profile: generic"
		echo "    transport: tls"
		echo "    servers: [ \"127.0.0.1:${port[$name]}\" ]"
		echo "    tls: { peer_names: [ sip.pstnhub.lab.test ], ca_file: $c/ca.pem, client_certificate: true }"
		echo "    allow: [ 127.0.0.1/32 ]"
	done
	echo "  refused:"
	echo "    profile: generic"
	echo "    transport: tls"
	echo "    servers: [ \"127.0.0.1:$refused\" ]"
	echo "    tls: { peer_names: [ sip.pstnhub.lab.test ], ca_file: $c/ca.pem }"
	echo "    allow: [ 127.0.0.5/32 ]"
	echo "  nodns:"
	echo "    profile: generic"
	echo "    transport: tls"
	echo "    servers: [ \"sip.nonexistent.invalid:5061\" ]"
	echo "    tls: { ca_file: $c/ca.pem }"
	echo "    allow: [ 127.0.0.6/32 ]"
} >"$work/faults.yaml"

# probe LABEL TRUNK EXIT TEXT...: check --probe --trunk TRUNK exits EXIT
# and its output holds each TEXT (fixed strings)
probe() {
	local label=$1 trunk=$2 want=$3 rc=0 t0 t1
	shift 3
	t0=$(date +%s%N)
	timeout 30 "$tb" check -c "$work/faults.yaml" --ca "$c/ca.pem" --probe \
		--trunk "$trunk" --timeout 2s >"$work/out.$label" 2>&1 || rc=$?
	t1=$(date +%s%N)
	elapsed_ms=$(((t1 - t0) / 1000000))
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work/out.$label"; then
		fail "$label: sanitizer report"; cat "$work/out.$label"; return
	fi
	if [ "$rc" -ne "$want" ]; then
		fail "$label: exit $rc, expected $want"; cat "$work/out.$label"; return
	fi
	local t
	for t in "$@"; do
		if ! grep -qF -- "$t" "$work/out.$label"; then
			fail "$label: output lacks '$t'"; cat "$work/out.$label"; return
		fi
	done
	echo "ok: $label (exit $rc, ${elapsed_ms} ms): $(grep -m1 ' failed: ' "$work/out.$label" || grep -m1 '^probe: .* options ' "$work/out.$label")"
}

# 1. the TLS faults (the same words `run` logs, mapped to the guide's fixes)
probe wrongname wrongname 1 \
	"probe: wrongname 127.0.0.1:${port[wrongname]}  dns ok (127.0.0.1)  tcp ok " \
	"probe: wrongname 127.0.0.1:${port[wrongname]}: tls failed: name mismatch: the certificate the peer sent names sip.example.net; the trunk expects sip.pstnhub.lab.test (tls.peer_names) - fix: dial the server by a name its certificate carries, or set trunks.wrongname.tls.peer_names to it" \
	"probe: 1 server: 0 passed, 1 failed"
probe expired expired 1 \
	"tls failed: the peer's certificate has expired - fix: the peer has to renew its certificate"
probe selfsigned selfsigned 1 \
	"tls failed: the peer's certificate is self-signed: no CA we trust issued it - fix: the guide: \"Do not use standard self-signed certificates\""
probe nointermediate nointermediate 1 \
	"tls failed: missing intermediate: the peer sent its certificate alone; its issuer trunkbridge test intermediate is neither sent nor a root we trust - fix: the peer must send its full chain (leaf, then the intermediates) in the handshake"
probe untrusted untrusted 1 \
	"tls failed: untrusted CA: the peer's chain ends at trunkbridge untrusted root, a root that trunks.untrusted.tls.ca_file (or the system store) does not trust - fix: trunks.untrusted.tls.ca_file, or the system store (ca-certificates) when ca_file is unset, has to trust the peer's root"

# 2. TLS taken, OPTIONS never answered: bounded by --timeout 2s
probe silent silent 1 \
	"probe: silent 127.0.0.1:${port[silent]}  dns ok (127.0.0.1)  tcp ok " \
	"tls ok (TLSv1.3, peer sip.pstnhub.lab.test, chain ok)  options failed" \
	"options failed: the peer took the connection but never answered OPTIONS within 2 s (a SIP 408 Timeout; the guide's Edge Case 1) - fix: the peer must know our FQDN sbc1.lab.test (Contact) as one of its SBCs/trunks"
[ "$elapsed_ms" -lt 6000 ] || fail "silent: took $elapsed_ms ms with --timeout 2s"
# our OPTIONS did reach it, over TLS, with our FQDN in Contact
grep -q "^Contact: <sip:sbc1.lab.test:$LAB_TB;transport=tls>" "$work/s_server.silent.log" ||
	fail "silent: s_server did not receive our OPTIONS: $(tail -5 "$work/s_server.silent.log")"

# 3. nothing listens
probe refused refused 1 \
	"probe: refused 127.0.0.1:$refused: tcp failed: nothing listens on 127.0.0.1:$refused (connection refused) - fix: check the port in trunks.refused.servers (TLS: 5061)"
# 4. a name that never resolves
probe nodns nodns 1 \
	"probe: nodns sip.nonexistent.invalid:5061  dns failed" \
	"probe: nodns sip.nonexistent.invalid:5061: dns failed: sip.nonexistent.invalid does not resolve (a .invalid name never resolves (RFC 6761)) - fix: write the server's DNS name in trunks.nodns.servers"

# 5. an OPTIONS answered 403 (SIPp over TCP, a generic trunk)
sipp403=$(free_port)
(cd "$work" && exec timeout 40 sipp -sf "$here/uas_403.xml" -t t1 -i 127.0.0.1 -p "$sipp403" \
	-nostdin -trace_err -error_file "$work/sipp403.err") >"$work/sipp403.out" 2>&1 &
lab_pid[sipp403]=$!
lab_wait_addr 127.0.0.1 "$sipp403" 10 || lab_fail "SIPp 403 did not start: $(tail -3 "$work/sipp403.out")"
cat >>"$work/faults.yaml" <<YAML
  forbidden:
    profile: generic
    transport: tcp
    servers: [ "127.0.0.1:$sipp403" ]
    allow: [ 127.0.0.7/32 ]
YAML
probe forbidden forbidden 1 \
	"probe: forbidden 127.0.0.1:$sipp403  dns ok (127.0.0.1)  tcp ok " \
	"probe: forbidden 127.0.0.1:$sipp403: options failed: the peer answered 403 Forbidden (the peer does not accept our FQDN in Contact/certificate) to OPTIONS - fix: our Contact carries identity.fqdn (sbc1.lab.test): it must be the FQDN the peer has configured for this SBC, and the name in our certificate"

# every trunk at once: one line per server, all failed, in file order
rc=0
timeout 30 "$tb" check -c "$work/faults.yaml" --ca "$c/ca.pem" --probe --timeout 2s \
	>"$work/out.all" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "all: exit $rc, expected 1"
grep -qF "probe: 9 servers: 0 passed, 9 failed" "$work/out.all" || { fail "all: summary"; cat "$work/out.all"; }
order=$(grep -oE '^probe: [a-z]+ [^ ]+  ' "$work/out.all" | awk '{ print $2 }' | tr '\n' ' ')
[ "$order" = "wrongname expired selfsigned nointermediate untrusted silent refused nodns forbidden " ] ||
	fail "all: servers not in file order: $order"
grep -qF "check: $work/faults.yaml: 9 errors, " "$work/out.all" || { fail "all: check line"; tail -2 "$work/out.all"; }
! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work/out.all" || fail "all: sanitizer report"
echo "ok: every trunk at once: $(grep '^probe: 9 servers' "$work/out.all")"

# usage errors: exit 2
rc=0; "$tb" check -c "$work/faults.yaml" --probe --trunk nosuch >"$work/out.usage" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--trunk nosuch: no such trunk" "$work/out.usage" || fail "unknown trunk: exit $rc: $(cat "$work/out.usage")"
rc=0; "$tb" check -c "$work/faults.yaml" --probe --timeout 99m >"$work/out.usage" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "bad --timeout: exit $rc"
rc=0; "$tb" check -c "$work/faults.yaml" --trunk silent >"$work/out.usage" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "--trunk without --probe: exit $rc"
echo "ok: usage errors exit 2"

# 6./7. the healthy lab: sip, sip2 (ACS, mutual TLS) and Genesys, SIPp
# behind stunnel answering OPTIONS
lab_yaml
# 6. Genesys -> ACS transfers with Diversion off on the ACS trunk
sed 's/^    allow: \[ 127.0.0.2\/32, 127.0.0.3\/32 \]$/&\n    diversion: { form: none }/' \
	"$work/lab.yaml" >"$work/lab-nodiv.yaml"
grep -q 'form: none' "$work/lab-nodiv.yaml" || lab_fail "lab-nodiv.yaml: the diversion line was not added"
lab_stunnel
lab_uas sip "$repo/tests/integration/calls_baresip/uas_options.xml" 0
lab_uas sip2 "$repo/tests/integration/calls_baresip/uas_options.xml" 0
lab_uas genesys "$repo/tests/integration/calls_baresip/uas_options.xml" 0
rc=0
timeout 30 "$tb" check -c "$work/lab.yaml" --ca "$c/ca.pem" --probe >"$work/out.lab" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	fail "healthy lab: exit $rc, expected 0"; cat "$work/out.lab"
else
	for s in "acs 127.0.0.2:$LAB_S1" "acs 127.0.0.3:$LAB_S2" "genesys 127.0.0.4:$LAB_G"; do
		ip=${s#* }; ip=${ip%:*}
		grep -qE "^probe: $s  dns ok \($ip\)  tcp ok [0-9.]+ms  tls ok \(TLSv1\.[23], peer [^,]+, chain ok\)  options 200 OK [0-9.]+ms$" "$work/out.lab" ||
			{ fail "healthy lab: no passing line for $s"; cat "$work/out.lab"; }
	done
	grep -qF "probe: 3 servers: 3 passed, 0 failed" "$work/out.lab" || fail "healthy lab: summary"
	! grep '^probe: ' "$work/out.lab" | grep -qE '  [a-z]+ failed$|: [a-z]+ failed: |diversion|warning' ||
		fail "healthy lab: a probe finding printed: $(grep '^probe: ' "$work/out.lab" | grep -E '  [a-z]+ failed$|: [a-z]+ failed: |diversion|warning')"
	! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work/out.lab" || fail "healthy lab: sanitizer report"
	echo "ok: healthy lab, exit 0:"
	grep '^probe: ' "$work/out.lab" | sed 's/^/    /'
fi
# the SIPp UAS saw our OPTIONS (through stunnel, mutual TLS on the ACS side)
[ "$(lab_recv_count sip 'OPTIONS sip:127.0.0.2')" -ge 1 ] || fail "sip: no OPTIONS received"

rc=0
timeout 30 "$tb" check -c "$work/lab-nodiv.yaml" --ca "$c/ca.pem" --probe --trunk acs \
	>"$work/out.nodiv" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { fail "Diversion off: exit $rc, expected 0 (a warning)"; cat "$work/out.nodiv"; }
grep -qF "probe: acs diversion: warning: transfers from trunk genesys are routed to this trunk and it sends no Diversion header on them (form none): the guide's Edge Case 2, transfers fail - fix: set trunks.acs.diversion: { form: diversion, always_send: true, source: original-called }" "$work/out.nodiv" ||
	{ fail "Diversion off: no Edge Case 2 warning"; cat "$work/out.nodiv"; }
echo "ok: Diversion off: $(grep -m1 'diversion: warning' "$work/out.nodiv" | cut -c1-140)..."

exit $failed
