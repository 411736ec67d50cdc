#!/usr/bin/env bash
# REFER from ACS: trunkbridge as transferee (xfer-spec section 2;
# interop.md 1.8, F17; RFC 3515). Three calls from the ACS caller
# (127.0.0.2) to the Genesys side, each answered, then the caller sends
# REFER in its dialog:
#   1. Refer-To <sip:sip.pstnhub.lab.test:5061;transport=tls;x-m=8:acs:abc;x-t=123>
#      with a Referred-By carrying x-m, x-t, x-ti, x-tt;
#   2. the same with a Refer-To of 400+ characters (long x-m and x-t);
#   3. a transfer that fails: REFER without Refer-To first (400), then one
#      whose new call "sip" answers 486; a REFER while that is in progress
#      (491).
# Calls 1 and 2: 202 at once; the caller gets NOTIFYs (message/sipfrag,
# Event: refer) "SIP/2.0 100 Trying", "SIP/2.0 180 Ringing" (active;
# expires=60) and "SIP/2.0 200 OK" (terminated;reason=noresource); the new
# INVITE goes to ACS server "sip" with Request-URI = the URI inside
# Refer-To's <> byte for byte, To = <that URI>, Referred-By byte-identical,
# From <sip:+14255550102@sbc1.lab.test;user=phone>, Contact sbc1.lab.test,
# X-MS-SBC and the Genesys leg's SDP; Genesys then gets a re-INVITE with the
# new party's SDP whose o= continues the caller's (o=acsuser 1001 2 ...);
# the caller's BYE on the old dialog is answered and goes nowhere; the
# Genesys side's BYE later reaches the new party.
# Call 3: the final NOTIFY is "SIP/2.0 486 Busy Here" (terminated),
# Genesys gets no re-INVITE, and the caller's BYE then reaches Genesys.
# Logs: event=transfer_start (kind=refer), transfer_done, transfer_failed
# status=486. CDR: calls 1 and 2 give two rows each (row 1 acs -> genesys,
# 200, reason "transferred...", transferred_to = row 2; row 2 genesys ->
# acs, transferred_from = row 1, empty out_called, answered, hangup_by
# caller: Genesys hung up); call 3 one row, not transferred, hangup_by
# caller. trunkbridge exits 0 on SIGTERM. Loopback only; every process
# stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_refer_acs
. "$repo/tests/integration/calllab.sh"

# msg_field NAME received|sent START WHAT: one line per message SIPp NAME
# received (or sent) whose start line begins with START. WHAT: "start" (the
# start line), "body" (the first line of the body, "-" if none), or a
# header name: its values in the header part joined with ", " ("-" when
# the message has none). Carriage returns removed.
msg_field() {
	[ -s "$work/$1.msg" ] || return 0
	awk -v dir="message $2" -v s="$3" -v w="$4" '
		function flush() { if (keep) print (n ? v : "-"); keep = 0 }
		/ message received/ || / message sent/ { flush(); st = index($0, dir) ? 1 : 0; next }
		{ sub(/\r$/, "") }
		st == 1 && NF { keep = (index($0, s) == 1); st = 2; n = 0; v = ""
			if (keep && w == "start") { print; keep = 0 }
			next }
		st == 2 && $0 == "" { st = 3; next }
		st == 2 && keep && w != "body" && tolower(substr($0, 1, length(w) + 1)) == tolower(w ":") {
			x = substr($0, length(w) + 2); sub(/^[ \t]+/, "", x); v = n++ ? v ", " x : x; next }
		st == 3 && keep && w == "body" { if (NF) { print; keep = 0 } else { keep = 0; print "-" } }
		END { flush() }' "$work/$1.msg"
}

# nth N: line N of stdin ("" when there is none).
nth() { sed -n "${1}p"; }

# call_id NAME: the Call-ID of the call SIPp caller NAME made (its 200).
call_id() { msg_field "$1" received "SIP/2.0 200" Call-ID | nth 1; }

# log_count PATTERN: trunkbridge log lines matching the ERE PATTERN.
log_count() { grep -Ec -- "$1" "$work/tb.log" || true; }

# The REFERs (Microsoft's shapes, interop.md 1.8). Call 2's Refer-To is
# 400+ characters: a long x-m (MRI) and x-t (resource id).
hexrun=$(printf '0123456789abcdef%.0s' $(seq 1 12)) # 192 characters
refer_to1='<sip:sip.pstnhub.lab.test:5061;transport=tls;x-m=8:acs:abc;x-t=123>'
referred_by1='<sip:sip.pstnhub.lab.test:5061;x-m=8:acs:abc;x-t=123;x-ti=0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7;x-tt=sip%3A%2B14255550199%40sip.pstnhub.lab.test%3A5061>'
xm2="8:acs:b7c3f1e2-5a4d-4c6b-9e8f-0a1b2c3d4e5f_${hexrun}"
xt2="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a-${hexrun:0:120}"
refer_to2="<sip:sip.pstnhub.lab.test:5061;transport=tls;x-m=${xm2};x-t=${xt2}>"
referred_by2="<sip:sip.pstnhub.lab.test:5061;x-m=${xm2};x-t=${xt2};x-ti=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d;x-tt=sip%3A%2B14255550198%40sip.pstnhub.lab.test%3A5061>"
refer_to3='<sip:sip.pstnhub.lab.test:5061;transport=tls;x-m=8:acs:busy;x-t=486>'
referred_by3='<sip:sip.pstnhub.lab.test:5061;x-m=8:acs:busy;x-t=486;x-ti=2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e>'
[ "${#refer_to2}" -ge 400 ] || { echo "FAIL: $LAB_NAME: the long Refer-To has only ${#refer_to2} characters"; exit 1; }

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys_refer.xml" 3
lab_uas sip "$here/uas_acs_refer.xml" 3
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call 1 (+14255550102, REFER to an x-m URI)"
lab_uac acs1 acs "$here/uac_acs_refer.xml" -s +14255550102 -key refer_to "$refer_to1" -key referred_by "$referred_by1" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "NOTIFY bodies the caller got" "$(msg_field acs1 received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 200 OK"
lab_ok "202; NOTIFY 100 Trying, 180 Ringing (active;expires=60), 200 OK (terminated;reason=noresource), each answered 200; BYE on the old dialog answered 200"

LAB_STEP="call 2 (+14255550102, REFER with a ${#refer_to2}-character Refer-To)"
lab_uac acs2 acs "$here/uac_acs_refer.xml" -s +14255550102 -key refer_to "$refer_to2" -key referred_by "$referred_by2" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "NOTIFY bodies the caller got" "$(msg_field acs2 received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 200 OK"
lab_ok "202; NOTIFY 100, 180, 200 OK; BYE on the old dialog answered 200"

LAB_STEP="call 3 (+14255550103, REFER whose new call gets 486)"
lab_uac acs3 acs "$here/uac_acs_refer_486.xml" -s +14255550103 -key refer_to "$refer_to3" -key referred_by "$referred_by3" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "NOTIFY bodies the caller got" "$(msg_field acs3 received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 486 Busy Here"
lab_ok "REFER without Refer-To: 400; REFER: 202, NOTIFY 100, 180; REFER meanwhile: 491; final NOTIFY 486 Busy Here (terminated); the caller's BYE answered 200"

LAB_STEP="the new INVITEs (sip)"
lab_uas_wait sip
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 3
lab_expect "INVITEs sip2 received" "$(lab_recv_count sip2 "INVITE ")" 0
for i in 1 2 3; do
	sent_rt=$(msg_field "acs$i" sent "REFER " Refer-To | { grep -v '^-$' || true; } | nth 1)
	sent_rb=$(msg_field "acs$i" sent "REFER " Referred-By | nth 1)
	want_rt=refer_to$i want_rb=referred_by$i
	lab_expect "Refer-To the caller of call $i sent" "$sent_rt" "${!want_rt}"
	lab_expect "Referred-By the caller of call $i sent" "$sent_rb" "${!want_rb}"
	uri=${sent_rt#<} uri=${uri%>}
	lab_expect "Request line of the INVITE sip got for call $i (the URI inside Refer-To's <>)" \
		"$(msg_field sip received "INVITE " start | nth "$i")" "INVITE $uri SIP/2.0"
	lab_expect "To of that INVITE" "$(msg_field sip received "INVITE " To | nth "$i")" "<$uri>"
	lab_expect "Referred-By of that INVITE (byte-identical)" "$(msg_field sip received "INVITE " Referred-By | nth "$i")" "$sent_rb"
	from=$(msg_field sip received "INVITE " From | nth "$i")
	kept=+14255550102
	[ "$i" = 3 ] && kept=+14255550103
	[[ "$from" == "<sip:$kept@sbc1.lab.test;user=phone>;tag="* ]] ||
		lab_fail "From of the INVITE sip got for call $i: '$from', want <sip:$kept@sbc1.lab.test;user=phone>;tag=..."
done
lab_ok "Request-URI, To and Referred-By byte-identical to the REFERs (the long one: ${#refer_to2} characters), From the kept number, Contact/Via sbc1.lab.test, X-MS-SBC, the Genesys SDP, no Replaces"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
lab_expect "re-INVITEs Genesys received (calls 1 and 2 only)" \
	"$(msg_field genesys received "INVITE sip:+14255550102@127.0.0.4:" start | wc -l)" 2
lab_expect "INVITEs Genesys received (3 calls + 2 re-INVITEs)" "$(lab_recv_count genesys "INVITE ")" 5
lab_expect "BYEs Genesys received (only the caller's of call 3)" "$(lab_recv_count genesys "BYE ")" 1
lab_expect "BYEs sip received (Genesys' of calls 1 and 2)" "$(lab_recv_count sip "BYE ")" 2
lab_ok "re-INVITE (o=acsuser 1001 2, the new party's c= and m=) for calls 1 and 2, answered and ACKed; none for call 3; the old dialogs' BYEs stayed on the ACS side; Genesys' BYEs reached the new party; call 3's BYE reached Genesys"

LAB_STEP="logs"
lab_expect "event=transfer_start kind=refer from_trunk=acs lines" "$(log_count 'event=transfer_start .*kind=refer .*from_trunk=acs')" 3
lab_expect "event=transfer_done lines" "$(log_count 'event=transfer_done ')" 2
lab_expect "event=transfer_failed status=486 lines" "$(log_count 'event=transfer_failed .*status=486')" 1
lab_ok "transfer_start x3 (kind=refer, from_trunk=acs), transfer_done x2, transfer_failed status=486"

LAB_STEP="CDR"
lab_cdr_wait 2 5 "transferred_from is not null and end_ms is not null"
for i in 1 2; do
	cid=$(call_id "acs$i")
	new_cid=$(msg_field sip received "INVITE " Call-ID | nth "$i")
	row=$(lab_sql "select r1.in_trunk, r1.out_trunk, r1.in_called, r1.final_status,
		r1.reason like 'transferred%', r1.transferred_to = r2.call_id,
		r2.in_trunk, r2.out_trunk, ifnull(r2.out_called, ''), r2.transferred_from = r1.call_id,
		r2.answer_ms is not null, r2.hangup_by, r2.out_call_id
		from cdr r1 join cdr r2 on r2.transferred_from = r1.call_id where r1.in_call_id = '$cid'")
	lab_expect "CDR rows of call $i (r1 in_trunk|out_trunk|in_called|final_status|reason transferred*|transferred_to=r2; r2 in_trunk|out_trunk|out_called|transferred_from=r1|answered|hangup_by|out_call_id)" \
		"$row" "acs|genesys|+14255550102|200|1|1|genesys|acs||1|1|caller|$new_cid"
done
lab_cdr_wait 1 5 "in_call_id = '$(call_id acs3)' and end_ms is not null"
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, ifnull(reason, '') like 'transferred%',
	transferred_to is null, hangup_by from cdr where in_call_id = '$(call_id acs3)'")
lab_expect "CDR of call 3 (in_trunk|out_trunk|in_called|final_status|reason transferred*|no transferred_to|hangup_by)" \
	"$row" "acs|genesys|+14255550103|200|0|1|caller"
lab_ok "calls 1 and 2: row 1 acs -> genesys 200 'transferred...' -> row 2 genesys -> acs, answered, hangup_by caller, out_call_id the new INVITE's; call 3: one row, not transferred"

lab_finish
