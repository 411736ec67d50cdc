#!/usr/bin/env bash
# Makes the test PKI for the TLS tests, with the openssl CLI only.
#
# usage: tests/certs/make-certs.sh <outdir>
#
# Idempotent: when <outdir>/.complete exists nothing is done. Quiet (prints
# only on error) and fast (RSA 2048 keys: Microsoft's ciphers are ECDHE-RSA).
#
# What it writes into <outdir> (every chain file *.pem = leaf then
# intermediate, key *.key beside it, unless said otherwise):
#
#   ca.pem / ca.key            test root CA ("trunkbridge test root")
#   inter.pem / inter.key      intermediate CA signed by the root
#   sbc1.pem                   our SBC: SAN sbc1.lab.test, EKU serverAuth+clientAuth
#   acs1.pem                   ACS-like peer: SAN sip.pstnhub.lab.test
#   acs2.pem                   ACS-like peer: SAN sip2.pstnhub.lab.test and
#                              the addresses 127.0.0.1 and ::1
#   acswild.pem                ACS-like peer: SAN *.pstnhub.lab.test
#   acs3.pem                   ACS-like peer: SAN sip3.pstnhub.lab.test, EKU
#                              serverAuth only (Microsoft's 2026 certificates)
#   genesys.pem                Genesys-like peer: SAN voice.genesys.lab.test
#   cnonly.pem                 no SAN at all, CN sip.pstnhub.lab.test
#   wrongname.pem              SAN sip.example.net (name mismatch)
#   expired.pem                sip.pstnhub.lab.test, valid 2020-01-01..2021-01-01
#   notyetvalid.pem            sip.pstnhub.lab.test, valid from 2099-01-01
#   selfsigned.pem             sip.pstnhub.lab.test, self-signed (no chain)
#   nointermediate.pem         sip.pstnhub.lab.test, chain file lacks the intermediate
#   untrusted-ca.pem / .key    a second root that nobody trusts
#   untrusted.pem              sip.pstnhub.lab.test signed by the untrusted
#                              root; chain file = leaf + untrusted root
#   <name>.crt                 each leaf alone (no chain)
#
# Expired/not-yet-valid leaves need dates in the past/future, which
# `openssl x509 -req` (3.0) cannot set: those go through `openssl ca` with a
# minimal config kept in <outdir>/cadb/.
set -euo pipefail

[ $# -eq 1 ] || {
	echo "usage: $0 <outdir>" >&2
	exit 2
}
out=$1
[ -f "$out/.complete" ] && exit 0
mkdir -p "$out"
out=$(cd "$out" && pwd)
work="$out/cadb"
rm -rf "$work"
mkdir -p "$work/new"

# Keep openssl from reading the system openssl.cnf (its defaults add
# extensions we do not want).
cat >"$work/req.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
EOF
export OPENSSL_CONF="$work/req.cnf"

log="$work/openssl.log"
run() {
	if ! openssl "$@" >>"$log" 2>&1; then
		echo "make-certs.sh: openssl $1 failed:" >&2
		cat "$log" >&2
		exit 1
	fi
}

days=3650
serial() { printf '%02x%s' $((RANDOM % 127 + 1)) "$(openssl rand -hex 15)"; }

key() { run genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

# ext <file> <kind> [dns names...]: an extension file with section "ext".
ext() {
	local f=$1 kind=$2
	shift 2
	{
		echo "[ ext ]"
		case $kind in
		ca)
			echo "basicConstraints = critical, CA:TRUE"
			echo "keyUsage = critical, keyCertSign, cRLSign"
			echo "subjectKeyIdentifier = hash"
			echo "authorityKeyIdentifier = keyid:always"
			;;
		leaf | leaf-serverauth)
			echo "basicConstraints = critical, CA:FALSE"
			echo "keyUsage = critical, digitalSignature, keyEncipherment"
			if [ "$kind" = leaf ]; then
				echo "extendedKeyUsage = serverAuth, clientAuth"
			else
				echo "extendedKeyUsage = serverAuth"
			fi
			echo "subjectKeyIdentifier = hash"
			echo "authorityKeyIdentifier = keyid"
			if [ $# -gt 0 ]; then
				local san="" n
				for n in "$@"; do
					case $n in
					IP:*) san="${san:+$san, }$n" ;;
					*) san="${san:+$san, }DNS:$n" ;;
					esac
				done
				echo "subjectAltName = $san"
			fi
			;;
		esac
	} >"$f"
}

# Root CAs (self-signed, from a CSR so that extensions come from our file).
mkroot() { # name cn
	key "$out/$1.key"
	run req -new -key "$out/$1.key" -subj "/O=trunkbridge tests/CN=$2" \
		-out "$work/$1.csr"
	ext "$work/ca.ext" ca
	run x509 -req -in "$work/$1.csr" -signkey "$out/$1.key" -days $days \
		-sha256 -set_serial "0x$(serial)" -extfile "$work/ca.ext" \
		-extensions ext -out "$out/$1.pem"
}
mkroot ca "trunkbridge test root"
mkroot untrusted-ca "trunkbridge untrusted root"

# Intermediate CA, signed by the root.
key "$out/inter.key"
run req -new -key "$out/inter.key" \
	-subj "/O=trunkbridge tests/CN=trunkbridge test intermediate" \
	-out "$work/inter.csr"
ext "$work/ca.ext" ca
run x509 -req -in "$work/inter.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
	-days $days -sha256 -set_serial "0x$(serial)" -extfile "$work/ca.ext" \
	-extensions ext -out "$out/inter.pem"

# leaf <name> <issuer: inter|untrusted-ca|self> <cn> [san...] (a SAN is a
# DNS name, or IP:<address>)
# Writes <name>.key, <name>.crt (leaf alone) and <name>.pem (leaf + issuer
# when the issuer is a CA). EKU serverAuth+clientAuth, or serverAuth only
# when LEAF_KIND=leaf-serverauth.
leaf() {
	local name=$1 issuer=$2 cn=$3
	shift 3
	key "$out/$name.key"
	run req -new -key "$out/$name.key" -subj "/O=trunkbridge tests/CN=$cn" \
		-out "$work/$name.csr"
	ext "$work/$name.ext" "${LEAF_KIND:-leaf}" "$@"
	if [ "$issuer" = self ]; then
		run x509 -req -in "$work/$name.csr" -signkey "$out/$name.key" \
			-days $days -sha256 -set_serial "0x$(serial)" \
			-extfile "$work/$name.ext" -extensions ext -out "$out/$name.crt"
		cp "$out/$name.crt" "$out/$name.pem"
		return
	fi
	run x509 -req -in "$work/$name.csr" -CA "$out/$issuer.pem" \
		-CAkey "$out/$issuer.key" -days $days -sha256 \
		-set_serial "0x$(serial)" -extfile "$work/$name.ext" -extensions ext \
		-out "$out/$name.crt"
	cat "$out/$name.crt" "$out/$issuer.pem" >"$out/$name.pem"
}

leaf sbc1 inter sbc1.lab.test sbc1.lab.test
leaf acs1 inter sip.pstnhub.lab.test sip.pstnhub.lab.test
leaf acs2 inter sip2.pstnhub.lab.test sip2.pstnhub.lab.test IP:127.0.0.1 IP:::1
leaf acswild inter "*.pstnhub.lab.test" "*.pstnhub.lab.test"
LEAF_KIND=leaf-serverauth leaf acs3 inter sip3.pstnhub.lab.test sip3.pstnhub.lab.test
leaf genesys inter voice.genesys.lab.test voice.genesys.lab.test
leaf cnonly inter sip.pstnhub.lab.test
leaf wrongname inter sip.example.net sip.example.net
leaf selfsigned self sip.pstnhub.lab.test sip.pstnhub.lab.test
leaf untrusted untrusted-ca sip.pstnhub.lab.test sip.pstnhub.lab.test

leaf nointermediate inter sip.pstnhub.lab.test sip.pstnhub.lab.test
cp "$out/nointermediate.crt" "$out/nointermediate.pem"

# Dated leaves through `openssl ca` (the intermediate signs).
: >"$work/index.txt"
echo 01 >"$work/serial"
cat >"$work/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $work
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
organizationName = optional
commonName = supplied
EOF
dated() { # name start end
	local name=$1
	key "$out/$name.key"
	run req -new -key "$out/$name.key" \
		-subj "/O=trunkbridge tests/CN=sip.pstnhub.lab.test" \
		-out "$work/$name.csr"
	ext "$work/$name.ext" leaf sip.pstnhub.lab.test
	run ca -batch -notext -config "$work/ca.cnf" -cert "$out/inter.pem" \
		-keyfile "$out/inter.key" -in "$work/$name.csr" \
		-startdate "$2" -enddate "$3" -extfile "$work/$name.ext" \
		-extensions ext -out "$out/$name.crt"
	cat "$out/$name.crt" "$out/inter.pem" >"$out/$name.pem"
}
dated expired 20200101000000Z 20210101000000Z
dated notyetvalid 20990101000000Z 21000101000000Z

chmod 600 "$out"/*.key
touch "$out/.complete"
