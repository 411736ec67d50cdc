#!/usr/bin/env bash
# The allow lists decide who may call (interop.md 1.1, 2.4; section 5
# test 13). An INVITE over TLS from 127.0.0.9 (a stunnel client with
# local = 127.0.0.9: in neither trunk's allow list), well formed and
# routable, gets no answer at all (not even 100 Trying), trunkbridge logs
# event=source_refused src=127.0.0.9:... method=INVITE, no INVITE reaches
# the Genesys side and no CDR row is written. Then the same call from the
# ACS side (127.0.0.2) goes through (the control: the refusal was the
# source's): exactly one INVITE at Genesys, one CDR row, and nothing of the
# refused call anywhere. trunkbridge exits 0 on SIGTERM. Loopback only;
# every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_allowlist
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/../calls_acs_to_genesys/uas_genesys.xml" 1
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="INVITE from 127.0.0.9 (in no allow list)"
cid="1-outsider-$$@sip.pstnhub.lab.test"
sdp=$'v=0\r\no=- 1 1 IN IP4 127.0.0.9\r\ns=-\r\nc=IN IP4 127.0.0.9\r\nt=0 0\r\nm=audio 40000 RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:pSd++oBu5GJV5o8PBqkvMHsl7b/arJIdSl6AmJQD\r\n'
invite="INVITE sip:+14255550100@sbc1.lab.test:$LAB_TB;user=phone;transport=tls SIP/2.0\r
Via: SIP/2.0/TLS 127.0.0.9:5061;branch=z9hG4bK-outsider-$$\r
Max-Forwards: 70\r
From: <sip:+12065550123@sip.pstnhub.lab.test;user=phone>;tag=outsider$$\r
To: <sip:+14255550100@sbc1.lab.test;user=phone>\r
Call-ID: $cid\r
CSeq: 1 INVITE\r
Contact: <sip:+12065550123@127.0.0.9:5061;transport=tls>\r
Content-Type: application/sdp\r
Content-Length: ${#sdp}\r
\r
"
exec 3<>"/dev/tcp/127.0.0.1/$LAB_OUT_IN" || lab_fail "cannot reach the outsider's stunnel client"
printf '%b%s' "$invite" "$sdp" >&3
got='' rc=0
IFS= read -r -t 3 got <&3 || rc=$?
exec 3<&- 3>&-
[ -z "$got" ] || lab_fail "trunkbridge answered a source in no allow list: '${got%$'\r'}'"
[ "$rc" -gt 128 ] && how="connection left open" || how="connection closed"
grep -q "event=source_refused src=127\.0\.0\.9:[0-9]* .*method=INVITE" "$work/tb.log" ||
	lab_fail "no log line 'event=source_refused src=127.0.0.9:PORT method=INVITE'"
lab_ok "no answer in 3 s ($how); logged: $(grep -o 'event=source_refused.*' "$work/tb.log" | head -1)"

LAB_STEP="the same call from the ACS side (control)"
lab_uac acs1 acs "$here/../calls_acs_to_genesys/uac_acs.xml" -s +14255550100 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_uas_wait genesys
lab_expect "INVITEs the Genesys side received" "$(lab_recv_count genesys "INVITE ")" 1
! grep -q outsider "$work/genesys.msg" || lab_fail "the refused INVITE's Call-ID or tag reached the Genesys side"
lab_ok "answered; the Genesys side got this INVITE only"

LAB_STEP="CDR"
lab_cdr_wait 1
lab_expect "CDR rows of the refused call" "$(lab_sql "select count(*) from cdr where in_call_id = '$cid'")" 0
lab_expect "CDR (in_trunk|out_trunk|final_status)" "$(lab_sql "select in_trunk, out_trunk, final_status from cdr")" "acs|genesys|200"
lab_ok "one row, the ACS call's; none for the refused INVITE"

lab_finish
