#!/usr/bin/env bash
# 603 is never retried (interop.md 1.6: else the user sees several missed
# calls; section 5 test 5). The Genesys side (127.0.0.4) calls
# +12065550160; "sip" (127.0.0.2) answers 603 Decline. The caller gets
# 603 Decline; "sip2" (127.0.0.3, up and Active, answering 200 to any call)
# never receives an INVITE. One CDR row: genesys -> acs, final_status 603,
# hangup_by none, failover_attempts 0, not answered. trunkbridge exits 0
# on SIGTERM. Loopback only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_603
. "$repo/tests/integration/calllab.sh"
xml=$here/../calls_genesys_to_acs

lab_init
lab_yaml
lab_stunnel
lab_uas sip "$xml/uas_acs.xml" 1 -set decline +12065550160
lab_uas sip2 "$xml/uas_acs.xml" 0
lab_uas genesys "$here/../calls_acs_to_genesys/uas_genesys.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call (Genesys agent to +12065550160, sip declines)"
lab_uac gc1 gc "$here/uac_gc_603.xml" -s +12065550160 ||
	lab_fail "the Genesys caller's SIPp exited $? (its errors below)"
lab_ok "the caller got 603 Decline"

LAB_STEP="the ACS side"
lab_uas_wait sip
sleep 1 # a retry would be on its way to sip2 by now
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 1
lab_expect "INVITEs sip2 received (603 is never retried)" "$(lab_recv_count sip2 "INVITE ")" 0
lab_ok "sip got one INVITE and declined it; sip2 got none"

LAB_STEP="CDR"
lab_cdr_wait 1
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, hangup_by, answer is null,
	failover_attempts, ifnull(answered_by, 'NULL') from cdr_view")
lab_expect "CDR (in_trunk|out_trunk|in_called|final_status|hangup_by|no answer|failover_attempts|answered_by)" \
	"$row" "genesys|acs|+12065550160|603|none|1|0|NULL"
lab_ok "1 row: genesys -> acs, 603, hangup_by none, no failover, not answered"

lab_finish
