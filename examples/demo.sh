#!/usr/bin/env bash
# make demo: what trunkbridge does today, on a fresh machine.
# Decodes captured messages of both clouds with `trunkbridge decode`: an ACS
# INVITE (PSTN -> Genesys), a Genesys INVITE (Genesys -> PSTN), an ACS 200 OK,
# and a malformed INVITE, which is refused with the status a server answers.
# Then a small lab on loopback: trunkbridge runs with a TLS listener and an
# ACS trunk whose server (SIPp behind a stunnel TLS server with an ACS-like
# certificate that asks for ours) answers the OPTIONS pings: the trunk goes
# Active, then Inactive with the reason when that server stops. (Calls
# through the lab come with the calls issue.) Exits non-zero if anything is
# not as expected; stops every process it started.
set -uo pipefail
tb=${1:-build/trunkbridge}
dir=$(cd "$(dirname "$0")" && pwd)/messages
fail=0

show() { # file, expected exit code, title
	printf '\n=== %s\n$ trunkbridge decode examples/messages/%s\n' "$3" "$1"
	"$tb" decode "$dir/$1"
	local rc=$?
	if [ "$rc" -ne "$2" ]; then
		echo "demo: expected exit $2 from decode $1, got $rc" >&2
		fail=1
	fi
}

show acs-invite.sip 0 "PSTN -> Genesys: the INVITE ACS sends us"
show genesys-invite.sip 0 "Genesys -> PSTN: the INVITE Genesys sends us"
show acs-200-ok.sip 0 "ACS answers our INVITE"
show malformed-invite.sip 1 "A malformed INVITE (CSeq beyond 2^32-1)"
printf '\n=== Paste your own: trunkbridge decode < captured.txt   (--crlf for log copies)\n'

# --- the lab: OPTIONS health of an ACS trunk over TLS -----------------------
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
lab_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap lab_cleanup EXIT
printf '\n=== Lab: trunkbridge pings an ACS-like server over TLS (certificates from a test CA)\n'
bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null
. "$repo/tests/integration/lib.sh"
tb_port=$(free_port); acs_tls=$(free_port); acs_sip=$(free_port)
cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel.log
[acs]
accept = 127.0.0.1:$acs_tls
connect = 127.0.0.1:$acs_sip
cert = $work/certs/acs1.pem
key = $work/certs/acs1.key
CAfile = $work/certs/ca.pem
verifyChain = yes
requireCert = yes
CONF
stunnel4 "$work/stunnel.conf" 2>/dev/null &
pids+=($!)
(cd "$work" && exec sipp -sf "$repo/tests/integration/options_health/uas_options.xml" \
	-t t1 -i 127.0.0.1 -p "$acs_sip" >/dev/null 2>&1) &
sipp_pid=$!
pids+=($sipp_pid)
wait_port "$acs_sip" 10 && wait_port "$acs_tls" 10 || { echo "demo: the lab's peers did not start" >&2; fail=1; }
cat >"$work/lab.yaml" <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $work/certs/sbc1.pem
  private_key: $work/certs/sbc1.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $tb_port }
timers: { t1: 100ms }
trunks:
  acs:
    profile: acs-direct-routing
    servers: [ "localhost:$acs_tls" ]
    tls: { peer_names: [ "*.pstnhub.lab.test" ], ca_file: $work/certs/ca.pem }
    options_interval: 5s
    down_after: 1
YAML
echo "\$ trunkbridge run -c lab.yaml"
"$tb" run -c "$work/lab.yaml" 2>"$work/tb.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'trunk_status=Active' "$work/tb.log" && break; sleep 0.1; done
grep -q 'trunk_status=Active' "$work/tb.log" || { echo "demo: the ACS trunk did not go Active" >&2; fail=1; }
kill "$sipp_pid" 2>/dev/null; wait "$sipp_pid" 2>/dev/null
for _ in $(seq 1 150); do grep -q 'trunk_status=Inactive' "$work/tb.log" && break; sleep 0.1; done
grep -q 'trunk_status=Inactive' "$work/tb.log" || { echo "demo: the ACS trunk did not go Inactive" >&2; fail=1; }
grep -v 'warning:\|0 errors' "$work/tb.log" | sed 's/^/  /'
[ "$fail" -eq 0 ] && echo "demo: ok" || echo "demo: FAILED"
exit "$fail"
