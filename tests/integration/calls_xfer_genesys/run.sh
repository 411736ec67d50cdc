#!/usr/bin/env bash
# Transfer from Genesys to an external number (xfer-spec section 3: blind
# or take-back-and-transfer; RFC 3515). The ACS caller (127.0.0.2,
# +12065550123) calls +14255550102; Genesys answers, then sends REFER in
# its dialog:
#   1. to <sip:agent@example> (not a number): 404, nothing else happens;
#   2. to <sip:+15551230000@sbc1.lab.test>: 202; NOTIFYs to Genesys
#      "SIP/2.0 100 Trying", "SIP/2.0 180 Ringing", "SIP/2.0 200 OK"
#      (message/sipfrag, Event: refer, terminated;reason=noresource last).
# The number is routed as a call from the genesys trunk: to ACS server
# "sip": Request-URI sip:+15551230000@127.0.0.2:S1;user=phone;transport=tls,
# From <sip:+12065550123@sbc1.lab.test;user=phone> (the transferred
# party), Diversion <sip:+14255550102@sbc1.lab.test;user=phone>;reason=
# unconditional;counter=1 (the number the caller dialled), no Referred-By,
# trunkbridge's SDP. On its 200 the caller gets a re-INVITE with
# trunkbridge's SDP (o=trunkbridge, 127.0.0.1, nothing of the new party's
# 127.0.0.5). Genesys hangs
# up after the final NOTIFY (answered 200, the transfer goes on); then the
# caller's BYE reaches the new party.
# Logs: one event=transfer_start (kind=refer, from_trunk=genesys), one
# transfer_done. CDR: row 1 acs -> genesys, in_called +14255550102, reason
# "transferred...", transferred_to = row 2; row 2 acs -> acs, out_called
# +15551230000, diversion as above, transferred_from = row 1, answered,
# hangup_by caller. trunkbridge exits 0 on SIGTERM. Loopback only; every
# process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_xfer_genesys
. "$repo/tests/integration/calllab.sh"

div='<sip:+14255550102@sbc1.lab.test;user=phone>;reason=unconditional;counter=1'

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys_xfer.xml" 1
lab_uas sip "$here/uas_acs_xfer.xml" 1
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call +14255550102, Genesys transfers it to +15551230000"
lab_uac acs1 acs "$here/uac_acs_xfer.xml" -s +14255550102 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "re-INVITEs the caller received" "$(lab_recv_count acs1 "INVITE ")" 1
lab_ok "answered; re-INVITE with trunkbridge's SDP (o=trunkbridge, 127.0.0.1, nothing of the new party), our tag and FQDN, answered 200 and ACKed; the caller's BYE answered 200"

LAB_STEP="the Genesys side (REFER to sip:agent@example, then to +15551230000)"
lab_uas_wait genesys
lab_expect "404s Genesys received" "$(lab_recv_count genesys "SIP/2.0 404")" 1
lab_expect "202s Genesys received" "$(lab_recv_count genesys "SIP/2.0 202")" 1
lab_expect "NOTIFY bodies Genesys got" "$(lab_msg_field genesys received "NOTIFY " body | paste -sd'|')" \
	"SIP/2.0 100 Trying|SIP/2.0 180 Ringing|SIP/2.0 200 OK"
lab_expect "BYEs Genesys received" "$(lab_recv_count genesys "BYE ")" 0
lab_ok "REFER to sip:agent@example: 404; REFER to +15551230000: 202, NOTIFY 100 Trying, 180 Ringing (active;expires=60), 200 OK (terminated;reason=noresource); its BYE answered 200"

LAB_STEP="the new call (sip)"
lab_uas_wait sip
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 1
lab_expect "INVITEs sip2 received" "$(lab_recv_count sip2 "INVITE ")" 0
lab_expect "Request line of the INVITE sip got" "$(lab_msg_field sip received "INVITE " start | lab_nth 1)" \
	"INVITE sip:+15551230000@127.0.0.2:$LAB_S1;user=phone;transport=tls SIP/2.0"
from=$(lab_msg_field sip received "INVITE " From | lab_nth 1)
[[ "$from" == "<sip:+12065550123@sbc1.lab.test;user=phone>;tag="* ]] ||
	lab_fail "From of the INVITE sip got: '$from', want <sip:+12065550123@sbc1.lab.test;user=phone>;tag=..."
lab_expect "Diversion of the INVITE sip got" "$(lab_msg_field sip received "INVITE " Diversion | lab_nth 1)" "$div"
lab_expect "Referred-By of the INVITE sip got" "$(lab_msg_field sip received "INVITE " Referred-By | lab_nth 1)" "-"
lab_expect "BYEs sip received (the caller's)" "$(lab_recv_count sip "BYE ")" 1
lab_ok "INVITE sip:+15551230000@127.0.0.2:$LAB_S1;user=phone;transport=tls, From the caller, Diversion: $div, no Referred-By, trunkbridge's SDP; the caller's BYE reached it"

LAB_STEP="logs"
lab_expect "event=transfer_start kind=refer from_trunk=genesys lines" \
	"$(lab_log_count 'event=transfer_start .*kind=refer .*from_trunk=genesys')" 1
lab_expect "event=transfer_done lines" "$(lab_log_count 'event=transfer_done ')" 1
lab_ok "transfer_start (kind=refer, from_trunk=genesys), transfer_done"

LAB_STEP="CDR"
cid=$(lab_call_id acs1)
new_cid=$(lab_msg_field sip received "INVITE " Call-ID | lab_nth 1)
lab_cdr_wait 1 5 "transferred_from is not null and end_ms is not null"
row=$(lab_sql "select r1.in_trunk, r1.out_trunk, r1.in_called, r1.final_status,
	r1.reason like 'transferred%', r1.transferred_to = r2.call_id,
	r2.in_trunk, r2.out_trunk, r2.out_called, r2.diversion, r2.transferred_from = r1.call_id,
	r2.answer_ms is not null, r2.hangup_by, r2.out_call_id
	from cdr r1 join cdr r2 on r2.transferred_from = r1.call_id
	where r1.in_call_id = '$cid' and r1.out_trunk = 'genesys'")
lab_expect "CDR rows (r1 in_trunk|out_trunk|in_called|final_status|reason transferred*|transferred_to=r2; r2 in_trunk|out_trunk|out_called|diversion|transferred_from=r1|answered|hangup_by|out_call_id)" \
	"$row" "acs|genesys|+14255550102|200|1|1|acs|acs|+15551230000|$div|1|1|caller|$new_cid"
lab_ok "row 1 acs -> genesys 'transferred...' -> row 2 acs -> acs +15551230000, diversion, answered, hangup_by caller"

lab_finish
