#!/usr/bin/env bash
# Genesys -> PSTN through trunkbridge (the call lab of calllab.sh): an
# agent's call from the Genesys side (127.0.0.4) to +12065550123, answered
# by the first ACS server ("sip", 127.0.0.2). The ACS side
# (uas_acs.xml) checks what Microsoft checks (interop.md 1.4, section 5
# tests 1, 2, 9): Request-URI sip:+E.164@...;user=phone, From +E.164 with
# user=phone, Contact host exactly sbc1.lab.test (never an IP), top Via
# sbc1.lab.test, X-MS-SBC present, no Replaces, Max-Forwards 69, and
# nothing of the Genesys leg. The caller checks the 200 shows nothing of
# the ACS leg. One CDR row: genesys -> acs, 200, hangup_by caller,
# answered_by sip, no failover, two distinct Call-IDs. trunkbridge exits 0
# on SIGTERM. Loopback only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_genesys_to_acs
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
lab_uas sip "$here/uas_acs.xml" 1
lab_uas sip2 "$here/uas_acs.xml" 0
lab_uas genesys "$here/../calls_acs_to_genesys/uas_genesys.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call (Genesys agent to +12065550123)"
lab_uac gc1 gc "$here/uac_gc.xml" -s +12065550123 ||
	lab_fail "the Genesys caller's SIPp exited $? (its errors below)"
lab_ok "answered; the 200 has sbc1.lab.test in Contact and nothing of the ACS leg; BYE answered"

LAB_STEP="the ACS side (sip)"
lab_uas_wait sip
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 1
lab_expect "INVITEs sip2 received" "$(lab_recv_count sip2 "INVITE ")" 0
lab_ok "Request-URI +12065550123 with user=phone, From +14255550100;user=phone, Contact/Via sbc1.lab.test, X-MS-SBC, no Replaces, Max-Forwards 69, nothing of the Genesys leg"

LAB_STEP="CDR"
lab_cdr_wait 1
row=$(lab_sql "select in_trunk, out_trunk, in_calling, in_called, out_calling, out_called, final_status,
	hangup_by, answer is not null, \"end\" >= answer, failover_attempts, answered_by from cdr_view")
lab_expect "CDR (in_trunk|out_trunk|in_calling|in_called|out_calling|out_called|final_status|hangup_by|answered|end>=answer|failover_attempts|answered_by)" \
	"$row" "genesys|acs|+14255550100|+12065550123|+14255550100|+12065550123|200|caller|1|1|0|127.0.0.2:$LAB_S1"
ids=$(lab_sql "select in_call_id, out_call_id from cdr")
lab_expect "CDR in_call_id (the caller's Call-ID)" "${ids%%|*}" "$(lab_recv_header gc1 "SIP/2.0 200" Call-ID | head -1)"
lab_expect "CDR out_call_id (the Call-ID sip saw)" "${ids#*|}" "$(lab_recv_header sip "INVITE " Call-ID | head -1)"
[ "${ids%%|*}" != "${ids#*|}" ] || lab_fail "CDR: in_call_id = out_call_id ($ids)"
lab_ok "1 row: genesys -> acs, 200, hangup_by caller, answered_by 127.0.0.2:$LAB_S1, no failover, distinct Call-IDs"

lab_finish
