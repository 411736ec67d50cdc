#!/usr/bin/env bash
# The caller gives up: the ACS caller (127.0.0.2) calls +14255550187 on
# the Genesys trunk, which rings (180) and never answers; the caller
# CANCELs. The caller gets 200 for its CANCEL and 487 for its INVITE; the
# Genesys side gets a CANCEL matching trunkbridge's INVITE (Request-URI,
# branch, CSeq), answers it and 487s the INVITE. One CDR row:
# acs -> genesys, final_status 487, hangup_by caller, no answer.
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_cancel
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys_ring.xml" 1
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call (ACS caller to +14255550187, CANCEL while it rings)"
lab_uac acs1 acs "$here/uac_acs_cancel.xml" -s +14255550187 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_ok "180 relayed; 200 for the CANCEL and 487 for the INVITE"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
lab_expect "CANCELs the Genesys side received" "$(lab_recv_count genesys "CANCEL ")" 1
lab_ok "a CANCEL matching the INVITE (Request-URI, branch, CSeq), answered 200 + 487, ACKed"

LAB_STEP="CDR"
lab_cdr_wait 1
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, hangup_by, answer is null,
	\"end\" is not null, failover_attempts from cdr_view")
lab_expect "CDR (in_trunk|out_trunk|in_called|final_status|hangup_by|no answer|ended|failover_attempts)" \
	"$row" "acs|genesys|+14255550187|487|caller|1|1|0"
lab_ok "1 row: acs -> genesys, 487, hangup_by caller, not answered"

lab_finish
