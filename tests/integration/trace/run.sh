#!/usr/bin/env bash
# SIP traces (docs/trace.md) in the call lab (calllab.sh: TLS everywhere).
# trunkbridge runs with
#   trace: { pcap: { dir: WORK/trace }, hep: { address: 127.0.0.1:P,
#            id: 2001, password: lab-secret }, calls: [ "+14255550100" ] }
# and a socat UDP receiver plays the Homer collector. Two calls from the
# ACS side to Genesys:
#   1. +14255550100 (matches trace.calls), the ACS caller hangs up;
#   2. +14255550101 (does not), the Genesys callee hangs up.
# Checked, while trunkbridge runs (the one-second flush):
#   - one file trunkbridge-YYYYMMDDTHHMMSS.uuuuuuZ.pcap; tshark decodes
#     every frame in it as SIP with no -d option, none as TLS: the TLS
#     legs are written as the SIP they carried, with the real addresses
#     and ports (ACS 127.0.0.2 -> 127.0.0.1:LAB_TB, us -> Genesys
#     127.0.0.4:LAB_G); IPv4 and TCP checksums good;
#   - call 1's leg A (the caller's Call-ID) is exactly INVITE 100 180 200
#     ACK BYE 200 and its leg B (the Call-ID the Genesys side saw, another
#     one) INVITE 180 200 ACK BYE 200, in that order; nothing else is in
#     the file: no OPTIONS ping, no byte of call 2 (either leg's Call-ID);
#   - sngrep opens it: two dialogs (call 1's legs), 13 messages;
#   - HEP: the collector got as many HEPv3 packets as the file has
#     messages; each parses chunk by chunk to its exact length (awk over
#     od), carries capture id 2001, the password, IPv4/TCP, protocol type
#     SIP, a correlation chunk equal to its Call-ID; their payloads,
#     wrapped by text2pcap, decode in tshark as SIP with the same methods,
#     statuses and Call-IDs in the same order as the pcap file.
# Then a SIGHUP with the calls line removed: every message is traced, and
# an OPTIONS ping shows up in the file within the ping interval (5 s).
# trunkbridge exits 0 on SIGTERM (ASan build: no report); the file still
# decodes after the exit flush. Loopback only; every process stopped by
# its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=trace
. "$repo/tests/integration/calllab.sh"
xml=$repo/tests/integration/calls_acs_to_genesys

lab_init
for t in tshark sngrep socat text2pcap od; do
	command -v "$t" >/dev/null || lab_fail "$t is not installed (scripts/deps.sh installs it)"
done
lab_yaml
HEP_PORT=$(free_port) ADMIN_PORT=$(free_port)
cat >>"$work/lab.yaml" <<EOF

trace:
  pcap: { dir: $work/trace, max_file_size: 10MB, max_files: 3 }
  hep: { address: "127.0.0.1:$HEP_PORT", id: 2001, password: lab-secret }
  calls: [ "+14255550100" ]
admin:
  listen: "127.0.0.1:$ADMIN_PORT"
EOF

# the collector: every datagram appended to hep.bin (a HEP packet says
# its own length, so they are split again below)
socat -u -b 65536 "UDP-RECV:$HEP_PORT,bind=127.0.0.1" "OPEN:$work/hep.bin,creat,trunc" 2>"$work/socat.err" &
lab_pid[hep]=$!
hexport=$(printf '%04X' "$HEP_PORT")
for _ in $(seq 1 50); do
	grep -q ":$hexport " /proc/net/udp && break
	sleep 0.1
done
grep -q ":$hexport " /proc/net/udp || lab_fail "socat does not listen on udp 127.0.0.1:$HEP_PORT"

lab_stunnel
lab_uas genesys "$xml/uas_genesys.xml" 2
lab_uas sip "$repo/tests/integration/calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$repo/tests/integration/calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
grep -q "event=trace pcap_dir=$work/trace hep=127.0.0.1:$HEP_PORT calls=1" "$work/tb.log" ||
	lab_fail "no log line event=trace with the pcap dir, the collector and 1 pattern"

LAB_STEP="call 1 (+14255550100: traced)"
lab_uac acs1 acs "$xml/uac_acs.xml" -s +14255550100 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
LAB_STEP="call 2 (+14255550101: not traced)"
lab_uac acs2 acs "$xml/uac_acs_callee_bye.xml" -s +14255550101 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
LAB_STEP="the Genesys side"
lab_uas_wait genesys
a1=$(lab_call_id acs1)
a2=$(lab_call_id acs2)
mapfile -t gc_ids < <(lab_recv_header genesys "INVITE " Call-ID)
b1=${gc_ids[0]:-}
b2=${gc_ids[1]:-}
[ -n "$a1" ] && [ -n "$a2" ] && [ -n "$b1" ] && [ -n "$b2" ] ||
	lab_fail "Call-IDs: a1='$a1' a2='$a2' b1='$b1' b2='$b2'"
[ "$a1" != "$b1" ] || lab_fail "leg A and leg B of call 1 share a Call-ID: $a1"
lab_ok "2 calls; call 1's Call-IDs $a1 (ACS) and $b1 (Genesys)"

# ---- the pcap file ----------------------------------------------------------

LAB_STEP="pcap file"
ts() { tshark -r "$@" 2>/dev/null; }
pcap=
for _ in $(seq 1 50); do # the flush timer: every second
	pcap=$(ls "$work/trace"/trunkbridge-*.pcap 2>/dev/null | head -1 || true)
	if [ -n "$pcap" ] && [ "$(ts "$pcap" -Y sip | wc -l)" -ge 13 ]; then
		break
	fi
	sleep 0.1
done
[ -n "$pcap" ] || lab_fail "no trunkbridge-*.pcap in $work/trace: $(ls -la "$work/trace" 2>&1)"
n_files=$(ls "$work/trace" | grep -c . || true)
lab_expect "files in the trace folder" "$n_files" 1
[[ $(basename "$pcap") =~ ^trunkbridge-[0-9]{8}T[0-9]{6}\.[0-9]{6}Z\.pcap$ ]] ||
	lab_fail "file name $(basename "$pcap") is not trunkbridge-YYYYMMDDTHHMMSS.uuuuuuZ.pcap"
lab_expect "frames in the file" "$(ts "$pcap" | wc -l)" 13
lab_expect "frames tshark decodes as SIP (no -d option)" "$(ts "$pcap" -Y sip | wc -l)" 13
lab_expect "frames tshark decodes as TLS" "$(ts "$pcap" -Y tls | wc -l)" 0
bad=$(ts "$pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-Y 'ip.checksum.status == 0 || tcp.checksum.status == 0' | wc -l)
lab_expect "frames with a bad IPv4 or TCP checksum" "$bad" 0
good=$(ts "$pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-Y 'ip.checksum.status == 1 && tcp.checksum.status == 1' | wc -l)
lab_expect "frames whose IPv4 and TCP checksums tshark verified good" "$good" 13

# one line per message: call-id method-or-status src:port dst:port
ts "$pcap" -Y sip -T fields -E separator=' ' -e sip.Call-ID -e sip.Method \
	-e sip.Status-Code -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport >"$work/pcap.txt"
seq_of() { awk -v c="$1" '$1 == c { printf "%s%s", sep, $2; sep = " " } END { print "" }' "$work/pcap.txt"; }
lab_expect "leg A of call 1 in the file" "$(seq_of "$a1")" "INVITE 100 180 200 ACK BYE 200"
lab_expect "leg B of call 1 in the file" "$(seq_of "$b1")" "INVITE 180 200 ACK BYE 200"
others=$(awk -v a="$a1" -v b="$b1" '$1 != a && $1 != b' "$work/pcap.txt" | wc -l)
lab_expect "messages of other Call-IDs (OPTIONS pings, call 2)" "$others" 0
for id in "$a2" "$b2"; do
	! grep -aqF -- "$id" "$pcap" || lab_fail "call 2's Call-ID $id is in the file"
done
lab_expect "leg A INVITE: addresses and ports" \
	"$(awk -v c="$a1" '$1 == c && $2 == "INVITE" { print $3, $5, $6 }' "$work/pcap.txt")" \
	"127.0.0.2 127.0.0.1 $LAB_TB"
lab_expect "leg B INVITE: addresses and ports" \
	"$(awk -v c="$b1" '$1 == c && $2 == "INVITE" { print $3, $5, $6 }' "$work/pcap.txt")" \
	"127.0.0.1 127.0.0.4 $LAB_G"
lab_expect "leg B 200: from Genesys to us" \
	"$(awk -v c="$b1" '$1 == c && $2 == "200" { print $3, $4; exit }' "$work/pcap.txt")" \
	"127.0.0.4 $LAB_G"
# clear text: the SDP of the Genesys answer is readable in the file
grep -aq "^a=crypto:" "$pcap" || lab_fail "no SDP a=crypto line in clear in the file"
lab_ok "13 messages, all SIP over TCP (none TLS), checksums good; leg A INVITE 100 180 200 ACK BYE 200, leg B INVITE 180 200 ACK BYE 200; no ping, nothing of call 2"

# sngrep reads the file too: the call's two dialogs (-c: INVITE dialogs
# only), 13 messages in what it saves
LAB_STEP="sngrep"
sng=$(timeout 20 sngrep -N -c -I "$pcap" -O "$work/sngrep.pcap" 2>&1 | tr '\r' '\n' | grep -o 'Dialog count: [0-9]*' | tail -1 || true)
lab_expect "sngrep's dialogs" "$sng" "Dialog count: 2"
lab_expect "messages sngrep saved" "$(ts "$work/sngrep.pcap" -Y sip | wc -l)" 13
lab_ok "2 dialogs (legs A and B), 13 messages"

# ---- HEP ------------------------------------------------------------------

LAB_STEP="HEP"
# hep.bin: HEPv3 packets one after another. One line per packet:
#   n len family proto src sport dst dport ptype capid password corr
# and WORK/hep.hex: each payload as a text2pcap hex dump.
od -An -v -tx1 "$work/hep.bin" | tr -s ' ' '\n' | grep -v '^$' | awk -v hexout="$work/hep.hex" '
	function h(x) { return index("0123456789abcdef", substr(x, 1, 1)) * 16 + index("0123456789abcdef", substr(x, 2, 1)) - 17 }
	function u(i, n,   v, k) { v = 0; for (k = 0; k < n; k++) v = v * 256 + h(b[i + k]); return v }
	function txt(i, n,   s, k) { s = ""; for (k = 0; k < n; k++) s = s sprintf("%c", h(b[i + k])); return s }
	function ip4(i) { return h(b[i]) "." h(b[i + 1]) "." h(b[i + 2]) "." h(b[i + 3]) }
	{ b[n++] = $1 }
	END {
		i = 0; pk = 0
		while (i < n) {
			if (b[i] b[i + 1] b[i + 2] b[i + 3] != "48455033") { print "BAD magic at byte " i; exit 1 }
			len = u(i + 4, 2); end = i + len; j = i + 6; pk++
			fam = proto = src = sp = dst = dp = pt = cid = pw = corr = "-"
			if (end > n) { print "BAD length " len " at byte " i; exit 1 }
			while (j < end) {
				if (u(j, 2) != 0) { print "BAD vendor at byte " j; exit 1 }
				t = u(j + 2, 2); cl = u(j + 4, 2); v = j + 6; vl = cl - 6
				if (cl < 6 || j + cl > end) { print "BAD chunk length at byte " j; exit 1 }
				if (t == 1) fam = u(v, 1)
				else if (t == 2) proto = u(v, 1)
				else if (t == 3) src = ip4(v)
				else if (t == 4) dst = ip4(v)
				else if (t == 7) sp = u(v, 2)
				else if (t == 8) dp = u(v, 2)
				else if (t == 11) pt = u(v, 1)
				else if (t == 12) cid = u(v, 4)
				else if (t == 14) pw = txt(v, vl)
				else if (t == 17) corr = txt(v, vl)
				else if (t == 15) {
					for (k = 0; k < vl; k++) {
						if (k % 16 == 0) printf "%s%06x", (k ? "\n" : ""), k > hexout
						printf " %s", b[v + k] > hexout
					}
					printf "\n" > hexout
				}
				j += cl
			}
			print pk, len, fam, proto, src, sp, dst, dp, pt, cid, pw, corr
			i = end
		}
	}' >"$work/hep.txt" || lab_fail "HEP packets do not parse: $(tail -1 "$work/hep.txt")"
lab_expect "HEP packets (= messages in the file)" "$(wc -l <"$work/hep.txt")" 13
lab_expect "HEP packets with family 2 (IPv4), protocol 6 (TCP), type 1 (SIP), capture id 2001, the password" \
	"$(awk '$3 == 2 && $4 == 6 && $9 == 1 && $10 == 2001 && $11 == "lab-secret"' "$work/hep.txt" | wc -l)" 13
text2pcap -q -u 5060,5060 "$work/hep.hex" "$work/hep.pcap" >/dev/null 2>&1 ||
	lab_fail "text2pcap could not wrap the HEP payloads"
ts "$work/hep.pcap" -Y sip -T fields -E separator=' ' -e sip.Call-ID -e sip.Method -e sip.Status-Code >"$work/hep_sip.txt"
lab_expect "HEP payloads decoded as SIP (Call-ID, method or status, in order)" \
	"$(awk '{ print $1, $2 }' "$work/hep_sip.txt")" "$(awk '{ print $1, $2 }' "$work/pcap.txt")"
lab_expect "HEP correlation chunks (= the payload's Call-ID)" \
	"$(awk '{ print $12 }' "$work/hep.txt")" "$(awk '{ print $1 }' "$work/hep_sip.txt")"
lab_expect "HEP leg B INVITE: addresses and ports" \
	"$(awk -v c="$b1" '$12 == c { print $5, $7, $8; exit }' "$work/hep.txt")" \
	"127.0.0.1 127.0.0.4 $LAB_G"
lab_ok "13 HEPv3 packets (capture id 2001, password, correlation = Call-ID); their SIP decodes in tshark, same messages as the file"

# the same counts in /metrics
curl -sS --max-time 5 "http://127.0.0.1:$ADMIN_PORT/metrics" >"$work/metrics.txt" || lab_fail "curl /metrics failed"
metric() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$work/metrics.txt"; }
lab_expect "metrics: trace on" "$(metric trunkbridge_trace_enabled)" 1
lab_expect "metrics: messages written" "$(metric 'trunkbridge_trace_messages_total{result="written"}')" 13
lab_expect "metrics: HEP packets sent" "$(metric 'trunkbridge_trace_hep_packets_total{result="sent"}')" 13
lab_expect "metrics: HEP packets dropped" "$(metric 'trunkbridge_trace_hep_packets_total{result="dropped"}')" 0
filtered=$(metric 'trunkbridge_trace_messages_total{result="filtered"}')
[ "$filtered" != absent ] && [ "$filtered" -gt 0 ] ||
	lab_fail "metrics: no message filtered out (call 2 and the pings are not traced): $filtered"
lab_ok "/metrics: trace written 13, HEP sent 13, dropped 0, filtered $filtered"

# ---- reload: no calls filter ------------------------------------------------

LAB_STEP="SIGHUP without trace.calls"
sed -i '/^  calls: \[ "+14255550100" \]$/d' "$work/lab.yaml"
n=$(grep -c 'event=reloaded' "$work/tb.log" || true)
kill -HUP "$lab_tb_pid"
for _ in $(seq 1 50); do
	[ "$(grep -c 'event=reloaded' "$work/tb.log" || true)" -gt "$n" ] && break
	sleep 0.1
done
[ "$(grep -c 'event=reloaded' "$work/tb.log" || true)" -gt "$n" ] || lab_fail "no event=reloaded after SIGHUP"
grep -q "event=trace pcap_dir=$work/trace hep=127.0.0.1:$HEP_PORT calls=0" "$work/tb.log" ||
	lab_fail "no log line event=trace with calls=0 after the reload"
opts=0
for _ in $(seq 1 80); do # the pings: every 5 s per server
	opts=$(ts "$pcap" -Y 'sip.Method == "OPTIONS"' | wc -l)
	[ "$opts" -ge 1 ] && break
	sleep 0.1
done
[ "$opts" -ge 1 ] || lab_fail "no OPTIONS ping in the file within 8 s of the reload"
lab_ok "every message traced after the reload: $opts OPTIONS in the file"

lab_finish
LAB_STEP="after exit"
lab_expect "frames tshark reads after the exit flush, all SIP" \
	"$(ts "$pcap" | wc -l)" "$(ts "$pcap" -Y sip | wc -l)"
lab_expect "files in the trace folder after exit" "$(ls "$work/trace" | grep -c . || true)" 1
echo "PASS: $LAB_NAME (pcap and HEP)"
