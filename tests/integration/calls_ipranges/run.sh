#!/usr/bin/env bash
# The Genesys trunk's allow-list from a Genesys ip-ranges file (the guide's
# Edge Case 1: "use ip-ranges.json as the source of truth"; interop.md 2.5,
# F9). The lab's genesys trunk has no static allow: its list is
# allow_from_ip_ranges, a JSON file in the work folder listing 127.0.0.4/32
# (service sip-signaling, direction outbound) among unrelated entries, one
# with host bits set (skipped) and entries the filters leave out (127.0.0.5
# as service media, 127.0.0.9 as direction inbound).
#
#  1. A Genesys call from 127.0.0.4 passes: the ACS side (sip) answers it.
#  2. The file is replaced by one listing only 127.0.0.6/32; without a
#     SIGHUP, the check timer (ip_ranges_check_interval: 1s) reads it. An
#     INVITE from 127.0.0.4 is now dropped: no answer in 3 s,
#     event=source_refused src=127.0.0.4:... count=1, no CDR row.
#  3. The file is replaced by garbage and trunkbridge gets SIGHUP: the log
#     says event=ip_ranges_kept with jansson's reason, and the old list
#     stays: 127.0.0.4 is still refused (count=2), while a Genesys call from
#     127.0.0.6 (a second stunnel client, local = 127.0.0.6) passes.
#  4. refused_sources: reply-403 and a SIGHUP: an outsider (127.0.0.9) and
#     127.0.0.4 get 403 Forbidden, statelessly.
# The ACS side got exactly the INVITEs of the two calls that passed; the
# CDR has their two rows and none of the refused INVITEs. trunkbridge
# exits 0 on SIGTERM. Loopback only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_ipranges
. "$repo/tests/integration/calllab.sh"
xml=$here/../calls_genesys_to_acs

lab_init
lab_yaml
ipr=$work/genesys-ipranges.json

# put_ranges: stdin becomes the ip-ranges file at once (a new file renamed
# over the old one, as a download script does)
put_ranges() {
	cat >"$ipr.new"
	mv -f "$ipr.new" "$ipr"
}

put_ranges <<'JSON'
{"entities":[
  {"cidr":"127.0.0.4/32","service":"sip-signaling","region":"us-east-1","direction":"outbound"},
  {"cidr":"198.51.100.0/24","service":"sip-signaling","region":"eu-west-1","direction":"outbound"},
  {"cidr":"2001:db8:40::/48","service":"sip-signaling","region":"us-east-1","direction":"outbound"},
  {"cidr":"203.0.113.7/24","service":"sip-signaling","region":"us-east-1","direction":"outbound"},
  {"cidr":"127.0.0.5/32","service":"media","region":"us-east-1","direction":"outbound"},
  {"cidr":"127.0.0.9/32","service":"sip-signaling","region":"us-east-1","direction":"inbound"}
]}
JSON

# the genesys trunk: its static allow replaced by the file
grep -q '^    allow: \[ 127\.0\.0\.4/32 \]$' "$work/lab.yaml" || lab_fail "lab.yaml: the genesys trunk's allow line changed"
sed -i "s|^    allow: \[ 127\.0\.0\.4/32 \]\$|    allow_from_ip_ranges:\n      file: $ipr\n      services: [ sip-signaling ]\n      directions: [ outbound ]|" "$work/lab.yaml"
printf 'ip_ranges_check_interval: 1s\n' >>"$work/lab.yaml"
! grep -q '127\.0\.0\.4/32' "$work/lab.yaml" || lab_fail "lab.yaml: 127.0.0.4 is still in a static allow list"

lab_stunnel
# a second Genesys signalling address: 127.0.0.6
LAB_GC6_IN=$(free_port)
cat >"$work/stunnel6.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel6.log
[gc6-caller]
accept = 127.0.0.1:$LAB_GC6_IN
connect = 127.0.0.1:$LAB_TB
local = 127.0.0.6
client = yes
CAfile = $LAB_CERTS/ca.pem
verifyChain = yes
checkHost = sbc1.lab.test
sni = sbc1.lab.test
sslVersionMin = TLSv1.2
CONF
stunnel4 "$work/stunnel6.conf" >"$work/stunnel6.out" 2>&1 &
lab_pid[stunnel6]=$!
lab_wait_addr 127.0.0.1 "$LAB_GC6_IN" 10 || lab_fail "stunnel (127.0.0.6 caller) does not listen"

lab_uas sip "$xml/uas_acs.xml" 2
lab_uas sip2 "$xml/uas_acs.xml" 0
lab_uas genesys "$here/../calls_acs_to_genesys/uas_genesys.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="first load"
grep -q "event=ip_ranges_loaded trunk=genesys file=$ipr kept=3 skipped=1 filtered=2 total=6 first_skipped=\"entities\[3\]: 203.0.113.7/24: bits set after the prefix (did you mean 203.0.113.0/24?)\"" "$work/tb.log" ||
	lab_fail "no log line 'event=ip_ranges_loaded trunk=genesys ... kept=3 skipped=1 filtered=2 total=6'"
grep -q "event=ip_ranges_services trunk=genesys file=$ipr not_in_filter=\"media\"" "$work/tb.log" ||
	lab_fail "no log line 'event=ip_ranges_services ... not_in_filter=\"media\"'"
lab_ok "$(grep -o 'event=ip_ranges_loaded.*' "$work/tb.log" | head -1)"

# raw_invite PORT IP TAG: an INVITE from Genesys over the stunnel client on
# PORT (whose source is IP); prints the first line of the answer, nothing
# when none came within 3 s
raw_invite() {
	local port=$1 ip=$2 tag=$3 got='' sdp invite
	sdp=$'v=0\r\no=- 1 1 IN IP4 127.0.0.8\r\ns=-\r\nc=IN IP4 127.0.0.8\r\nt=0 0\r\nm=audio 40000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:pSd++oBu5GJV5o8PBqkvMHsl7b/arJIdSl6AmJQD\r\n'
	invite="INVITE sip:+12065550123@sbc1.lab.test:$LAB_TB;transport=tls SIP/2.0\r
Via: SIP/2.0/TLS $ip:5061;branch=z9hG4bK-$tag-$$\r
Max-Forwards: 70\r
From: <sip:+14255550100@trunkbridge-lab.byoc.lab.test>;tag=$tag$$\r
To: <sip:+12065550123@sbc1.lab.test>\r
Call-ID: $tag-$$@voice.genesys.lab.test\r
CSeq: 1 INVITE\r
Contact: <sip:+14255550100@$ip:5061;transport=tls>\r
Content-Type: application/sdp\r
Content-Length: ${#sdp}\r
\r
"
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 0
	printf '%b%s' "$invite" "$sdp" >&3
	IFS= read -r -t 3 got <&3 || true
	exec 3<&- 3>&-
	printf '%s' "${got%$'\r'}"
}

# wait_log N PATTERN [SECONDS]: until PATTERN (grep -E) is in the log N times
wait_log() {
	for _ in $(seq 1 $((${3:-10} * 10))); do
		[ "$(grep -cE "$2" "$work/tb.log" || true)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# hup: SIGHUP, then wait for the reload's log line
hup() {
	local n
	n=$(grep -c 'event=reloaded' "$work/tb.log" || true)
	kill -HUP "$lab_tb_pid"
	wait_log $((n + 1)) 'event=reloaded' || lab_fail "no event=reloaded after SIGHUP"
}

LAB_STEP="1: call from 127.0.0.4 (in the file)"
lab_uac gc1 gc "$xml/uac_gc.xml" -s +12065550123 ||
	lab_fail "the Genesys caller's SIPp exited $? (its errors below)"
lab_cdr_wait 1
lab_expect "CDR (in_trunk|out_trunk|final_status)" "$(lab_sql "select in_trunk, out_trunk, final_status from cdr")" "genesys|acs|200"
lab_ok "answered by the ACS side; CDR genesys -> acs 200"

LAB_STEP="2: file now lists 127.0.0.6 only (check timer, no SIGHUP)"
printf '[{"cidr":"127.0.0.6/32","service":"sip-signaling","direction":"outbound"}]\n' | put_ranges
wait_log 1 "event=ip_ranges_loaded trunk=genesys file=$ipr kept=1 skipped=0 filtered=0 total=1" 5 ||
	lab_fail "the changed file was not read within 5 s (ip_ranges_check_interval: 1s)"
! grep -q 'event=reloaded' "$work/tb.log" || lab_fail "a reload happened; this step is the timer's"
got=$(raw_invite "$LAB_GC_IN" 127.0.0.4 ipr2)
[ -z "$got" ] || lab_fail "trunkbridge answered 127.0.0.4, no longer in the file: '$got'"
grep -q "event=source_refused src=127\.0\.0\.4:[0-9]* count=1 method=INVITE answer=none" "$work/tb.log" ||
	lab_fail "no log line 'event=source_refused src=127.0.0.4:PORT count=1 method=INVITE answer=none'"
lab_expect "CDR rows" "$(lab_sql "select count(*) from cdr")" 1
lab_ok "read by the timer; 127.0.0.4 dropped without an answer: $(grep -o 'event=source_refused.*' "$work/tb.log" | head -1)"

LAB_STEP="3: garbage file, SIGHUP"
printf 'garbage\n' | put_ranges
hup
grep -q "event=ip_ranges_kept trunk=genesys file=$ipr reason=\"$ipr: line 1: '\[' or '{' expected near 'garbage'\" kept=1 static=0" "$work/tb.log" ||
	lab_fail "no log line 'event=ip_ranges_kept trunk=genesys ... reason=\"...: line 1: '[' or '{' expected near 'garbage'\" kept=1'"
lab_ok "$(grep -o 'event=ip_ranges_kept.*' "$work/tb.log" | tail -1)"
got=$(raw_invite "$LAB_GC_IN" 127.0.0.4 ipr3)
[ -z "$got" ] || lab_fail "trunkbridge answered 127.0.0.4 after the garbage file: '$got'"
grep -q "event=source_refused src=127\.0\.0\.4:[0-9]* count=2 method=INVITE answer=none" "$work/tb.log" ||
	lab_fail "no log line 'event=source_refused src=127.0.0.4:PORT count=2 ...'"
lab_sipp+=(gc6)
rc=0
(cd "$work" && exec timeout 40 sipp "127.0.0.1:$LAB_GC6_IN" -sf "$xml/uac_gc.xml" -t t1 -i 127.0.0.6 \
	-p "$(free_port)" -cid_str "%u-gcleg6-%p@voice.genesys.lab.test" -m 1 -nostdin -timeout 30 \
	-timeout_error -recv_timeout 10000 -trace_err -error_file "$work/gc6.err" -trace_msg \
	-message_file "$work/gc6.msg" -key tb_port "$LAB_TB" -s +12065550123) >"$work/gc6.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || lab_fail "the Genesys caller on 127.0.0.6 exited $rc (its errors below)"
lab_cdr_wait 2
lab_ok "the last good list (127.0.0.6) stays: 127.0.0.4 still dropped, a call from 127.0.0.6 answered"

LAB_STEP="ACS side"
lab_uas_wait sip
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 2
lab_expect "INVITEs sip2 received" "$(lab_recv_count sip2 "INVITE ")" 0
lab_ok "exactly the two calls that passed"

LAB_STEP="4: refused_sources: reply-403, SIGHUP"
printf 'refused_sources: reply-403\n' >>"$work/lab.yaml"
hup
got=$(raw_invite "$LAB_OUT_IN" 127.0.0.9 ipr4)
lab_expect "answer to the outsider 127.0.0.9" "$got" "SIP/2.0 403 Forbidden"
grep -q "event=source_refused src=127\.0\.0\.9:[0-9]* count=1 method=INVITE answer=403" "$work/tb.log" ||
	lab_fail "no log line 'event=source_refused src=127.0.0.9:PORT count=1 method=INVITE answer=403'"
got=$(raw_invite "$LAB_GC_IN" 127.0.0.4 ipr5)
lab_expect "answer to 127.0.0.4" "$got" "SIP/2.0 403 Forbidden"
lab_expect "CDR rows" "$(lab_sql "select count(*) from cdr")" 2
lab_expect "CDR rows of the refused INVITEs" "$(lab_sql "select count(*) from cdr where in_call_id like 'ipr%'")" 0
lab_ok "403 Forbidden to 127.0.0.9 and 127.0.0.4, no transaction, no CDR row"

lab_finish
