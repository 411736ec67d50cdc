#!/usr/bin/env bash
# Certificates reload on SIGHUP without a restart (interop.md 1.2: after a
# renewal, connections opened with the old certificate must go): a client
# sees the new certificate after the HUP, a connection held open across it
# is closed, and a broken config on the next HUP is refused with its errors
# while the running one stays. Loopback only; processes stopped by PID.
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
cp "$c/sbc1.pem" "$work/live.pem"
cp "$c/sbc1.key" "$work/live.key"
. "$here/../lib.sh"
port=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $work/live.pem
  private_key: $work/live.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $port }
trunks:
  lab: { profile: generic, transport: tls, servers: [ "127.0.0.1:$((port + 1))" ], options_interval: 1h }
YAML
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
tb_pid=$!
pids+=($tb_pid)
for _ in $(seq 1 50); do grep -q 'event=started' "$work/tb.log" && break; sleep 0.1; done
grep -q 'event=started' "$work/tb.log" || fail "trunkbridge did not start"

serial() {
	timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername sbc1.lab.test \
		-CAfile "$c/ca.pem" -verify_return_error </dev/null 2>/dev/null |
		openssl x509 -noout -serial
}
old=$(serial)
[ -n "$old" ] || fail "no certificate served"

# a connection held open across the reload
timeout 40 openssl s_client -connect "127.0.0.1:$port" -servername sbc1.lab.test \
	-CAfile "$c/ca.pem" < <(sleep 30) >"$work/held.log" 2>&1 &
held=$!
pids+=($held)
sleep 1

# the renewal: same key, a new certificate from the same intermediate
openssl req -new -key "$work/live.key" -subj "/CN=sbc1.lab.test" -out "$work/new.csr" 2>/dev/null
printf 'subjectAltName=DNS:sbc1.lab.test\nextendedKeyUsage=serverAuth,clientAuth\n' >"$work/ext"
openssl x509 -req -in "$work/new.csr" -CA "$c/inter.pem" -CAkey "$c/inter.key" \
	-set_serial 0x4242 -days 30 -extfile "$work/ext" -out "$work/new.crt" 2>/dev/null
cat "$work/new.crt" "$c/inter.pem" >"$work/live.pem.tmp"
mv "$work/live.pem.tmp" "$work/live.pem"
kill -HUP "$tb_pid"
for _ in $(seq 1 50); do grep -q 'event=reloaded' "$work/tb.log" && break; sleep 0.1; done
grep -q 'event=reloaded .*certificate_changed=yes' "$work/tb.log" || fail "no reload logged"
new=$(serial)
[ "$new" = "serial=4242" ] || fail "after the reload the server still presents $new (was $old)"
echo "ok: SIGHUP reload: certificate $old -> $new without a restart"

for _ in $(seq 1 50); do kill -0 "$held" 2>/dev/null || break; sleep 0.1; done
kill -0 "$held" 2>/dev/null && fail "the connection made with the old certificate is still open"
echo "ok: the connection opened with the old certificate was closed"

# a broken file on the next HUP: refused, the running config stays
echo "identity: [" >"$work/tb.yaml"
kill -HUP "$tb_pid"
for _ in $(seq 1 50); do grep -q 'event=reload_refused' "$work/tb.log" && break; sleep 0.1; done
grep -q 'event=reload_refused' "$work/tb.log" || fail "a broken config was not refused"
grep -q 'tb.yaml:1:' "$work/tb.log" || fail "the refusal does not name file:line"
[ "$(serial)" = "serial=4242" ] || fail "the running config did not stay"
kill -0 "$tb_pid" || fail "trunkbridge died"
echo "ok: a broken config on reload is refused with its errors; still serving"
