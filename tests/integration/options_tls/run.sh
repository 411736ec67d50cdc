#!/usr/bin/env bash
# Listeners and transports. ACS's OPTIONS ping over TLS: SIPp (Debian's build has no TLS, so a stunnel
# client carries it) sends OPTIONS to trunkbridge's TLS listener and checks
# the 200: our FQDN in Contact with no user part, REFER and NOTIFY in Allow,
# a To tag. stunnel verifies trunkbridge's certificate chain and name
# (sbc1.lab.test) against the test CA, as ACS does. A CRLFCRLF keep-alive
# on that TLS connection gets its CRLF pong (RFC 5626 3.5.1). The same
# OPTIONS over UDP (SIPp directly) and over TCP on [::1] get their 200.
# Loopback only; every process started here is stopped by its PID.
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

bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null

. "$here/../lib.sh"
tls_port=$(free_port)
plain_port=$(free_port)
udp_port=$(free_port)
tcp6_port=$(free_port)

cat >"$work/tb.yaml" <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $work/certs/sbc1.pem
  private_key: $work/certs/sbc1.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $tls_port }
  - { transport: udp, address: 127.0.0.1, port: $udp_port }
  - { transport: tcp, address: "::1", port: $tcp6_port }
limits: { idle_timeout: 2s }
trunks:
  acs:
    profile: acs-direct-routing
    servers: [ "sip.pstnhub.lab.test:$tls_port" ]
    tls: { peer_names: [ "*.pstnhub.lab.test" ], ca_file: $work/certs/ca.pem }
    allow: [ 127.0.0.0/8, "::1" ]   # the lab's peers (the default is Microsoft's ranges)
routes:
  - { from: acs, to: acs, called: '^\+1425555\d{4}$' }
cdr: { store: 'sqlite:$work/cdr.db' }
YAML

# a bad config never starts: file:line, the key, what is wrong, the fix
printf 'identity: { fqdn: sbc1.lab.test }\nlisten: [ { transport: tls, port: 70000 } ]\n' >"$work/bad.yaml"
if "$tb" run -c "$work/bad.yaml" 2>"$work/bad.log"; then
	echo "FAIL: trunkbridge started with a bad config"; exit 1
fi
grep -q 'bad.yaml:2:.*listen\[0\].port: 70000' "$work/bad.log" || { echo "FAIL: bad config not explained:"; cat "$work/bad.log"; exit 1; }
echo "ok: a bad config is refused: $(grep -m1 'bad.yaml:2:' "$work/bad.log")"

"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
pids+=($!)
for _ in $(seq 1 50); do
	grep -q 'event=started' "$work/tb.log" && break
	sleep 0.1
done
grep -q 'event=started' "$work/tb.log" || { cat "$work/tb.log"; echo "FAIL: trunkbridge did not start"; exit 1; }
grep -q "event=ready routes=1 cdr=$work/cdr.db" "$work/tb.log" || { echo "FAIL: routes/CDR store not set up"; cat "$work/tb.log"; exit 1; }
[ "$(sqlite3 "$work/cdr.db" 'select count(*) from cdr')" = 0 ] || { echo "FAIL: no empty cdr table in $work/cdr.db"; exit 1; }
echo "ok: routes compiled and the CDR store created ($work/cdr.db, table cdr)"

cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
debug = 4
output = $work/stunnel.log
[sip]
client = yes
accept = 127.0.0.1:$plain_port
connect = 127.0.0.1:$tls_port
CAfile = $work/certs/ca.pem
verifyChain = yes
checkHost = sbc1.lab.test
sni = sbc1.lab.test
sslVersionMin = TLSv1.2
CONF
stunnel4 "$work/stunnel.conf" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 50); do
	(exec 3<>/dev/tcp/127.0.0.1/$plain_port) 2>/dev/null && break
	sleep 0.1
done

cd "$work"
set +e
timeout 20 sipp 127.0.0.1:$plain_port -t t1 -sf "$here/uac_options.xml" \
	-m 3 -r 10 -timeout 15 -key tlsport "$tls_port" -trace_err \
	-error_file "$work/sipp.err" >"$work/sipp.out" 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
	echo "FAIL: SIPp exit $rc"
	tail -20 "$work/sipp.out"; cat "$work/sipp.err" 2>/dev/null | tail -30
	tail -20 "$work/tb.log"; tail -20 "$work/stunnel.log"
	exit 1
fi
echo "ok: 3 OPTIONS over TLS answered 200 with Contact <sip:sbc1.lab.test:$tls_port;transport=tls>, REFER and NOTIFY in Allow"

# RFC 5626 keep-alive on the TLS connection (through stunnel)
exec 3<>"/dev/tcp/127.0.0.1/$plain_port"
printf '\r\n\r\n' >&3
pong=
IFS= read -r -t 5 -N 2 pong <&3 || true
exec 3<&- 3>&-
[ "$pong" = $'\r\n' ] || { echo "FAIL: no CRLF pong to a CRLFCRLF ping"; tail -5 "$work/tb.log"; exit 1; }
echo "ok: CRLFCRLF keep-alive answered with CRLF over TLS"

# UDP
set +e
timeout 20 sipp 127.0.0.1:$udp_port -t u1 -sf "$here/uac_options.xml" \
	-m 3 -r 10 -timeout 15 -key tlsport "$tls_port" -p "$(free_port)" >"$work/sipp-udp.out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || { echo "FAIL: OPTIONS over UDP (SIPp exit $rc)"; tail -20 "$work/sipp-udp.out"; exit 1; }
echo "ok: 3 OPTIONS over UDP answered 200"

# TCP over IPv6
exec 4<>"/dev/tcp/::1/$tcp6_port"
printf 'OPTIONS sip:sbc1.lab.test SIP/2.0\r\nVia: SIP/2.0/TCP [::1]:5999;branch=z9hG4bKv6a\r\nMax-Forwards: 70\r\nFrom: <sip:probe@[::1]>;tag=v6\r\nTo: <sip:sbc1.lab.test>\r\nCall-ID: v6-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' >&4
status=
IFS= read -r -t 5 status <&4 || true
case "$status" in
"SIP/2.0 200 OK"*) echo "ok: OPTIONS over TCP on [::1] answered 200" ;;
*) echo "FAIL: OPTIONS over TCP on [::1]: got '$status'"; tail -5 "$work/tb.log"; exit 1 ;;
esac
# the idle timeout (2 s here) closes the quiet connection: read hits EOF
t0=$(date +%s)
while IFS= read -r -t 6 _ <&4; do :; done
dt=$(( $(date +%s) - t0 ))
exec 4<&- 4>&-
[ "$dt" -le 5 ] || { echo "FAIL: idle connection not closed after the 2 s idle timeout (${dt} s)"; exit 1; }
echo "ok: an idle connection is closed by the idle timeout (2 s)"
