#!/usr/bin/env bash
# REFER from ACS: trunkbridge as transferee (xfer-spec section 2;
# interop.md 1.8, F17; RFC 3515). Four calls from the ACS caller
# (127.0.0.2) to the Genesys side, each answered, then ACS sends REFER in
# the caller's dialog:
#   1. Refer-To <sip:sip.pstnhub.lab.test:5061;transport=tls;x-m=8:acs:abc;x-t=123>
#      with a Referred-By carrying x-m, x-t, x-ti, x-tt;
#   2. the same with a Refer-To of 400+ characters (long x-m and x-t);
#   3. a transfer that fails: REFER without Refer-To first (400), then one
#      whose new call "sip" answers 486; a REFER while that is in progress
#      (491);
#   4. the REFER arrives NOT on the caller's connection but on a NEW TLS
#      connection from Microsoft's second address (interop.md 1.8, F17:
#      "REFER may arrive on a new TLS connection from any MS IP"):
#      127.0.0.3, certificate acs2 (LAB_ACS2_CALLER=1, lab_uac caller
#      acs2), in the caller's dialog (its Call-ID and tags, which the
#      caller writes to a file), Request-URI trunkbridge's Contact.
#      Before it, two REFERs in that dialog are refused: one from the
#      Genesys trunk's address 127.0.0.4 (403, event=in_dialog_refused:
#      only the dialog's trunk's addresses may send in it) and one from
#      127.0.0.3 with a From tag not the dialog's (481, RFC 3261 12.2.2).
# Calls 1, 2 and 4: 202 at once (call 4: on the new connection, nothing
# else on it afterwards); the caller gets NOTIFYs (message/sipfrag,
# Event: refer) "SIP/2.0 100 Trying", "SIP/2.0 180 Ringing" (active;
# expires=60) and "SIP/2.0 200 OK" (terminated;reason=noresource), one at
# a time (call 1's caller answers the first NOTIFY 400 ms late: a NOTIFY
# sent before that answer aborts its SIPp); the new
# INVITE goes to ACS server "sip" with Request-URI = the URI inside
# Refer-To's <> byte for byte, To = <that URI>, Referred-By byte-identical,
# From <sip:+14255550102@sbc1.lab.test;user=phone>, Contact sbc1.lab.test,
# X-MS-SBC and trunkbridge's SDP for that leg; Genesys then gets a
# re-INVITE with trunkbridge's SDP (o=trunkbridge, its port on 127.0.0.1,
# nothing of the new party's 127.0.0.5);
# the caller's BYE on the old dialog is answered and goes nowhere; the
# Genesys side's BYE later reaches the new party.
# Call 3: the final NOTIFY is "SIP/2.0 486 Busy Here" (terminated),
# Genesys gets no re-INVITE, and the caller's BYE then reaches Genesys.
# Call 4: the NOTIFYs, the new INVITE, the re-INVITE, the BYEs and the CDR
# rows as for calls 1 and 2.
# Logs: event=transfer_start (kind=refer) x4, transfer_done x3,
# transfer_failed status=486. CDR: calls 1, 2 and 4 give two rows each
# (row 1 acs -> genesys, 200, reason "transferred...", transferred_to =
# row 2; row 2 genesys -> acs, transferred_from = row 1, empty out_called,
# answered, hangup_by caller: Genesys hung up); call 3 one row, not
# transferred, hangup_by caller. trunkbridge exits 0 on SIGTERM. Loopback only; every process
# stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_refer_acs
. "$repo/tests/integration/calllab.sh"

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
refer_to4='<sip:sip.pstnhub.lab.test:5061;transport=tls;x-m=8:acs:newconn;x-t=404>'
referred_by4='<sip:sip.pstnhub.lab.test:5061;x-m=8:acs:newconn;x-t=404;x-ti=3c4d5e6f-7a8b-4c9d-8e0f-2a3b4c5d6e7f;x-tt=sip%3A%2B14255550197%40sip.pstnhub.lab.test%3A5061>'
# the SIPp that sent each call's REFER
referrer=(- acs1 acs2 acs3 acs4r)
[ "${#refer_to2}" -ge 400 ] || { echo "FAIL: $LAB_NAME: the long Refer-To has only ${#refer_to2} characters"; exit 1; }

lab_init
lab_yaml
LAB_ACS2_CALLER=1 lab_stunnel # call 4's REFER: from 127.0.0.3
lab_uas genesys "$here/uas_genesys_refer.xml" 4
lab_uas sip "$here/uas_acs_refer.xml" 4
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call 1 (+14255550102, REFER to an x-m URI)"
lab_uac acs1 acs "$here/uac_acs_refer.xml" -s +14255550102 -key refer_to "$refer_to1" -key referred_by "$referred_by1" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "NOTIFY bodies the caller got" "$(lab_msg_field acs1 received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 200 OK"
lab_ok "202; NOTIFY 100 Trying, 180 Ringing (active;expires=60), 200 OK (terminated;reason=noresource), each answered 200; BYE on the old dialog answered 200"

LAB_STEP="call 2 (+14255550102, REFER with a ${#refer_to2}-character Refer-To)"
lab_uac acs2 acs "$here/uac_acs_refer.xml" -s +14255550102 -key refer_to "$refer_to2" -key referred_by "$referred_by2" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "NOTIFY bodies the caller got" "$(lab_msg_field acs2 received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 200 OK"
lab_ok "202; NOTIFY 100, 180, 200 OK; BYE on the old dialog answered 200"

LAB_STEP="call 3 (+14255550103, REFER whose new call gets 486)"
lab_uac acs3 acs "$here/uac_acs_refer_486.xml" -s +14255550103 -key refer_to "$refer_to3" -key referred_by "$referred_by3" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "NOTIFY bodies the caller got" "$(lab_msg_field acs3 received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 486 Busy Here"
lab_ok "REFER without Refer-To: 400; REFER: 202, NOTIFY 100, 180; REFER meanwhile: 491; final NOTIFY 486 Busy Here (terminated); the caller's BYE answered 200"

LAB_STEP="call 4 (+14255550102, the REFER on a new TLS connection from 127.0.0.3)"
ids=$work/acs4.ids
lab_uac_bg acs4 acs "$here/uac_acs_refer_newconn.xml" -s +14255550102 -key ids_file "$ids"
lab_wait_file "$ids" acs4 10 || lab_fail "call 4 was not answered within 10 s (the caller wrote no $ids)"
read -r cid4 totag4 fromtag4 target4 <"$ids"
[ -n "$target4" ] || lab_fail "$ids: '$(cat "$ids")', want '<Call-ID> <our tag> <ACS tag> <our Contact URI>'"
lab_ok "answered: Call-ID $cid4, our tag $totag4, ACS tag $fromtag4, our Contact $target4"
# refused first: the dialog from the Genesys trunk's address (403), and
# from an ACS address with a From tag not the dialog's (481)
lab_uac acs4g gc "$here/uac_refer_refused.xml" -s +14255550102 -cid_str "$cid4" -default_behaviors all,-bye \
	-key d1_target "$target4" -key d1_totag "$totag4" -key d1_fromtag "$fromtag4" ||
	lab_fail "the refused REFER's SIPp (127.0.0.4) exited $? (its errors below)"
lab_expect "answers to the REFER from the Genesys address (127.0.0.4)" "$(lab_recv_lines acs4g "SIP/2.0 " | cut -c1-11)" "SIP/2.0 403"
lab_uac acs4t acs2 "$here/uac_refer_refused.xml" -s +14255550102 -cid_str "$cid4" -default_behaviors all,-bye \
	-key d1_target "$target4" -key d1_totag "$totag4" -key d1_fromtag "not-$fromtag4" ||
	lab_fail "the refused REFER's SIPp (127.0.0.3) exited $? (its errors below)"
lab_expect "answers to the REFER with a From tag not the dialog's" "$(lab_recv_lines acs4t "SIP/2.0 " | cut -c1-11)" "SIP/2.0 481"
lab_expect "event=in_dialog_refused lines" "$(lab_log_count 'event=in_dialog_refused src=127\.0\.0\.4:[0-9]+ method=REFER trunk=acs')" 1
lab_ok "a REFER in that dialog from the Genesys address: 403 (logged); from 127.0.0.3 with a From tag not the dialog's: 481"
conns=$(grep -c 'Service \[acs2-caller\] accepted connection' "$work/stunnel.log" || true)
# -cid_str: the caller's dialog; -default_behaviors: should this SIPp abort
# (a response but 202, a request on its connection), no BYE of its own
# may end the caller's dialog behind the failure report
lab_uac acs4r acs2 "$here/uac_acs2_refer_newconn.xml" -s +14255550102 -cid_str "$cid4" -default_behaviors all,-bye \
	-key d1_target "$target4" -key d1_totag "$totag4" -key d1_fromtag "$fromtag4" \
	-key refer_to "$refer_to4" -key referred_by "$referred_by4" ||
	lab_fail "the REFER sender's SIPp (127.0.0.3) exited $? (its errors below)"
lab_expect "TLS connections of the acs2-caller service (127.0.0.3)" \
	"$(grep -c 'Service \[acs2-caller\] accepted connection' "$work/stunnel.log" || true)" "$((conns + 1))"
lab_expect "Call-ID of the REFER sent from 127.0.0.3 (the caller's dialog)" \
	"$(lab_msg_field acs4r sent "REFER " Call-ID | lab_nth 1)" "$cid4"
lab_expect "202s on the new connection" "$(lab_recv_count acs4r "SIP/2.0 202")" 1
lab_expect "tags of that 202 (From ACS's, To ours)" \
	"$(lab_msg_field acs4r received "SIP/2.0 202" From | sed -nE 's/.*;tag=([^;>]+).*/\1/p') $(lab_msg_field acs4r received "SIP/2.0 202" To | sed -nE 's/.*;tag=([^;>]+).*/\1/p')" \
	"$fromtag4 $totag4"
lab_expect "requests on the new connection (the NOTIFYs are the caller's)" "$(lab_recv_count acs4r "NOTIFY ")" 0
lab_uac_wait acs4 10
lab_expect "NOTIFY bodies the caller got" "$(lab_msg_field acs4 received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 200 OK"
lab_ok "REFER $target4 from 127.0.0.3 on its own TLS connection: 202 there; the caller (127.0.0.2) got NOTIFY 100 Trying, 180 Ringing, 200 OK (terminated) in its dialog, each answered 200; its BYE on the old dialog answered 200"

LAB_STEP="the new INVITEs (sip)"
lab_uas_wait sip
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 4
lab_expect "INVITEs sip2 received" "$(lab_recv_count sip2 "INVITE ")" 0
for i in 1 2 3 4; do
	sent_rt=$(lab_msg_field "${referrer[$i]}" sent "REFER " Refer-To | { grep -v '^-$' || true; } | lab_nth 1)
	sent_rb=$(lab_msg_field "${referrer[$i]}" sent "REFER " Referred-By | lab_nth 1)
	want_rt=refer_to$i want_rb=referred_by$i
	lab_expect "Refer-To the caller of call $i sent" "$sent_rt" "${!want_rt}"
	lab_expect "Referred-By the caller of call $i sent" "$sent_rb" "${!want_rb}"
	uri=${sent_rt#<} uri=${uri%>}
	lab_expect "Request line of the INVITE sip got for call $i (the URI inside Refer-To's <>)" \
		"$(lab_msg_field sip received "INVITE " start | lab_nth "$i")" "INVITE $uri SIP/2.0"
	lab_expect "To of that INVITE" "$(lab_msg_field sip received "INVITE " To | lab_nth "$i")" "<$uri>"
	lab_expect "Referred-By of that INVITE (byte-identical)" "$(lab_msg_field sip received "INVITE " Referred-By | lab_nth "$i")" "$sent_rb"
	from=$(lab_msg_field sip received "INVITE " From | lab_nth "$i")
	kept=+14255550102
	[ "$i" = 3 ] && kept=+14255550103
	[[ "$from" == "<sip:$kept@sbc1.lab.test;user=phone>;tag="* ]] ||
		lab_fail "From of the INVITE sip got for call $i: '$from', want <sip:$kept@sbc1.lab.test;user=phone>;tag=..."
done
lab_ok "Request-URI, To and Referred-By byte-identical to the REFERs (the long one: ${#refer_to2} characters), From the kept number, Contact/Via sbc1.lab.test, X-MS-SBC, trunkbridge's SDP, no Replaces"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
lab_expect "re-INVITEs Genesys received (calls 1, 2 and 4)" \
	"$(lab_msg_field genesys received "INVITE sip:+14255550102@127.0.0.4:" start | wc -l)" 3
lab_expect "INVITEs Genesys received (4 calls + 3 re-INVITEs)" "$(lab_recv_count genesys "INVITE ")" 7
lab_expect "BYEs Genesys received (only the caller's of call 3)" "$(lab_recv_count genesys "BYE ")" 1
lab_expect "BYEs sip received (Genesys' of calls 1, 2 and 4)" "$(lab_recv_count sip "BYE ")" 3
lab_ok "re-INVITE (o=trunkbridge, c=127.0.0.1, nothing of the new party) for calls 1, 2 and 4, answered and ACKed; none for call 3; the old dialogs' BYEs stayed on the ACS side; Genesys' BYEs reached the new party; call 3's BYE reached Genesys"

LAB_STEP="logs"
lab_expect "event=transfer_start kind=refer from_trunk=acs lines" "$(lab_log_count 'event=transfer_start .*kind=refer .*from_trunk=acs')" 4
lab_expect "event=transfer_done lines" "$(lab_log_count 'event=transfer_done ')" 3
lab_expect "event=transfer_failed status=486 lines" "$(lab_log_count 'event=transfer_failed .*status=486')" 1
lab_ok "transfer_start x4 (kind=refer, from_trunk=acs), transfer_done x3, transfer_failed status=486"

LAB_STEP="CDR"
lab_cdr_wait 3 5 "transferred_from is not null and end_ms is not null"
for i in 1 2 4; do
	cid=$(lab_call_id "acs$i")
	new_cid=$(lab_msg_field sip received "INVITE " Call-ID | lab_nth "$i")
	row=$(lab_sql "select r1.in_trunk, r1.out_trunk, r1.in_called, r1.final_status,
		r1.reason like 'transferred%', r1.transferred_to = r2.call_id,
		r2.in_trunk, r2.out_trunk, ifnull(r2.out_called, ''), r2.transferred_from = r1.call_id,
		r2.answer_ms is not null, r2.hangup_by, r2.out_call_id
		from cdr r1 join cdr r2 on r2.transferred_from = r1.call_id where r1.in_call_id = '$cid'")
	lab_expect "CDR rows of call $i (r1 in_trunk|out_trunk|in_called|final_status|reason transferred*|transferred_to=r2; r2 in_trunk|out_trunk|out_called|transferred_from=r1|answered|hangup_by|out_call_id)" \
		"$row" "acs|genesys|+14255550102|200|1|1|genesys|acs||1|1|caller|$new_cid"
done
lab_cdr_wait 1 5 "in_call_id = '$(lab_call_id acs3)' and end_ms is not null"
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, ifnull(reason, '') like 'transferred%',
	transferred_to is null, hangup_by from cdr where in_call_id = '$(lab_call_id acs3)'")
lab_expect "CDR of call 3 (in_trunk|out_trunk|in_called|final_status|reason transferred*|no transferred_to|hangup_by)" \
	"$row" "acs|genesys|+14255550103|200|0|1|caller"
lab_ok "calls 1, 2 and 4: row 1 acs -> genesys 200 'transferred...' -> row 2 genesys -> acs, answered, hangup_by caller, out_call_id the new INVITE's; call 3: one row, not transferred"

lab_finish
