#!/usr/bin/env bash
# `trunkbridge check`: our certificate against the guide's rules (interop.md
# 1.3: not self-signed, FQDN in SAN/CN, RSA >= 2048, chain complete, valid)
# and the allow-lists. A good setup passes (exit 0); each fault is named
# with the key and the fix, and exits 1. Certificates from the test CA.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null
c=$work/certs
conf() { # cert key fqdn
	cat >"$work/tb.yaml" <<YAML
identity: { fqdn: $3, certificate: $c/$1.pem, private_key: $c/$2.key }
listen: [ { transport: tls, port: 5061 } ]
trunks:
  acs: { profile: acs-direct-routing }
  genesys: { profile: genesys-byoc-cloud, servers: [ byoc.mypurecloud.com ], termination_uri: contoso.byoc.mypurecloud.com }
YAML
}
expect() { # label, exit code, pattern (grep -E) or ""
	local label=$1 want=$2 pat=$3 rc=0
	"$tb" check -c "$work/tb.yaml" --ca "$c/ca.pem" >"$work/out" 2>&1 || rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$label: exit $rc, expected $want"; cat "$work/out"; return
	fi
	if [ -n "$pat" ] && ! grep -Eq "$pat" "$work/out"; then
		fail "$label: output lacks /$pat/"; cat "$work/out"; return
	fi
	echo "ok: $label -> $(grep -E "${pat:-^check:}" "$work/out" | head -1)"
}

conf sbc1 sbc1 sbc1.lab.test
expect "good certificate" 0 "^check: .*0 errors"
grep -q "trunks.genesys.allow: empty" "$work/out" || fail "no warning for the Genesys trunk without allow-list"
echo "ok: Genesys trunk without allow-list warned: $(grep -m1 'trunks.genesys.allow' "$work/out")"

conf selfsigned selfsigned sip.pstnhub.lab.test
expect "self-signed" 1 "identity.certificate: .*self-signed"
conf sbc1 sbc1 sbc2.lab.test
expect "name not covering the FQDN" 1 "names sbc1.lab.test, not sbc2.lab.test"
conf nointermediate nointermediate sip.pstnhub.lab.test
expect "missing intermediate" 1 "chain incomplete"
conf expired expired sip.pstnhub.lab.test
expect "expired" 1 "has expired"
conf sbc1 acs1 sbc1.lab.test
expect "key of another certificate" 1 "identity.private_key: does not match"
printf 'identity: { fqdn: sbc1.lab.test }\nlisten: [ { transport: udp } ]\ntrunks: { acs: { profile: acs-direct-routing, transport: udp } }\n' >"$work/tb.yaml"
expect "ACS over UDP" 1 "tb.yaml:3:.*trunks.acs.transport: udp"
exit $failed
