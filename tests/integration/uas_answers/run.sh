#!/usr/bin/env bash
# RFC 4475's torture messages sent to the running trunkbridge over TCP: the
# answer a UAS owes each one (416, 420 with Unsupported, 415, 406, 400 for a
# malformed Contact, 501, 405, 200 for OPTIONS with Max-Forwards 0).
# The messages are read from the shared testdata folder.
set -euo pipefail
tb=$(readlink -f "$1")
testdata=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
. "$here/../lib.sh"
failed=0
fail() { echo "FAIL: $*"; failed=1; }

port=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen: [ { transport: tcp, address: 127.0.0.1, port: $port } ]
trunks:
  lab: { profile: generic, transport: tcp, servers: [ "127.0.0.1:$(free_port)" ], options_interval: 1h }
YAML
"$tb" run -c "$work/tb.yaml" 2>"$work/tb.log" &
pids+=($!)
wait_port "$port" 10 || { cat "$work/tb.log"; echo "FAIL: trunkbridge did not start"; exit 1; }

# vector | expected status | a header the answer must carry (regex) or ""
cases=(
	"unkscm|416|"
	"novelsc|416|"
	"bext01|420|^Unsupported: nothingSupportsThis, nothingSupportsThisEither"
	"invut|415|^Accept: application/sdp"
	"sdp01|406|"
	"regbadct|400|"
	"intmeth|501|^Allow: .*REFER"
	"esc02|501|"
	"unksm2|405|"
	"zeromf|200|^Contact: <sip:sbc1.lab.test"
)
for cs in "${cases[@]}"; do
	IFS='|' read -r name want hdr <<<"$cs"
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	cat "$testdata/rfc4475/$name.dat" >&3
	resp=
	while IFS= read -r -t 5 line <&3; do
		line=${line%$'\r'}
		[ -z "$line" ] && break
		resp+="$line"$'\n'
	done
	exec 3<&- 3>&-
	status=$(printf '%s' "$resp" | head -1)
	case "$status" in
	"SIP/2.0 $want "*) ;;
	*) fail "$name: got '$status', expected $want"; continue ;;
	esac
	if [ -n "$hdr" ] && ! printf '%s' "$resp" | grep -Eq "$hdr"; then
		fail "$name: the $want lacks /$hdr/"; continue
	fi
	echo "ok: $name -> $status${hdr:+ (${hdr#^})}"
done
exit $failed
