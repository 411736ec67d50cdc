#!/usr/bin/env bash
# In-dialog requests both ways, a record-routing Genesys edge and the
# session timer (interop.md 1.6, section 5 test 12):
#   1. the ACS caller (127.0.0.2) asks for Session-Expires: 60: 422 with
#      Min-SE: 90, and the INVITE goes nowhere;
#   2. the ACS caller calls +14255550102; the Genesys side answers 200
#      with Record-Route: <sip:127.0.0.4:G;transport=tls;lr> and a Contact
#      where nothing listens (127.0.0.5). Genesys puts the call on hold
#      (re-INVITE a=sendonly) and resumes (a=sendrecv): each reaches the
#      ACS caller in its dialog with our FQDN in Contact, is answered 200
#      and ACKed on both legs. The caller refreshes the session (UPDATE,
#      Session-Expires), which reaches Genesys; then the caller's BYE. Every
#      request toward Genesys after its 200 (ACK, UPDATE, BYE) carries
#      Route: <sip:127.0.0.4:G;transport=tls;lr> with the Contact as
#      Request-URI, and got there (so it followed the route).
# CDR: the call's row (acs -> genesys, 200, hangup_by caller).
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_reinvite
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
dead=$(free_port)
lab_uas genesys "$here/uas_genesys_rr.xml" 1 -key dead_port "$dead"
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="INVITE with Session-Expires: 60"
lab_uac acs422 acs "$here/uac_acs_422.xml" -s +14255550102 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "INVITEs the Genesys side received" "$(lab_recv_count genesys "INVITE ")" 0
lab_ok "422 with Min-SE: 90, not routed"

LAB_STEP="call (+14255550102: hold, resume, session refresh)"
lab_uac acs1 acs "$here/uac_acs_reinvite.xml" -s +14255550102 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "re-INVITEs the ACS caller received" "$(lab_recv_count acs1 "INVITE ")" 2
lab_expect "ACKs the ACS caller received (one per re-INVITE)" "$(lab_recv_count acs1 "ACK ")" 2
lab_ok "hold (sendonly/inactive) and resume (sendrecv) reached the caller with sbc1.lab.test in Contact, answered 200; UPDATE answered 200"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
route="<sip:127.0.0.4:$LAB_G;transport=tls;lr>"
for m in ACK UPDATE BYE; do
	lab_expect "Route of the $m trunkbridge sent to Genesys" "$(lab_recv_header genesys "$m " Route | head -1)" "$route"
	lab_expect "Request-URI of that $m (Genesys' Contact)" \
		"$(lab_recv_lines genesys "$m " | head -1 | sed -E 's/^[A-Z]+ sips?:[^@]*@([^; ]*).*/\1/')" "127.0.0.5:$dead"
done
lab_expect "200s to Genesys' re-INVITEs" "$(lab_recv_count genesys "SIP/2.0 200")" 2
lab_ok "ACK, UPDATE and BYE carried Route: $route, Request-URI the Contact (127.0.0.5:$dead), and came by the route"

LAB_STEP="CDR"
lab_cdr_wait 1 5 "answer_ms is not null"
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, hangup_by, failover_attempts
	from cdr_view where answer is not null")
lab_expect "CDR of the call (in_trunk|out_trunk|in_called|final_status|hangup_by|failover_attempts)" \
	"$row" "acs|genesys|+14255550102|200|caller|0"
lab_ok "the call's row: acs -> genesys, 200, hangup_by caller"

lab_finish
