#!/usr/bin/env bash
# A busy callee: the ACS caller (127.0.0.2) calls +14255550186 on the
# Genesys trunk, which answers 486 Busy Here. The caller gets that 486
# (status and reason as they are); 486 is no failover code, so the
# Genesys side sees exactly one INVITE (no retry). One CDR row:
# acs -> genesys, final_status 486, hangup_by none, no answer, end set.
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_busy
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys_486.xml" 1
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call (ACS caller to busy +14255550186)"
lab_uac acs1 acs "$here/uac_acs_486.xml" -s +14255550186 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_ok "the caller got 486 Busy Here"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
lab_expect "INVITEs the Genesys side received (486 is not retried)" "$(lab_recv_count genesys "INVITE ")" 1
lab_expect "INVITEs the ACS servers received" "$(($(lab_recv_count sip "INVITE ") + $(lab_recv_count sip2 "INVITE ")))" 0
lab_ok "exactly one INVITE, answered 486, ACKed; no retry"

LAB_STEP="CDR"
lab_cdr_wait 1
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, hangup_by, answer is null,
	\"end\" is not null, duration_s, failover_attempts from cdr_view")
lab_expect "CDR (in_trunk|out_trunk|in_called|final_status|hangup_by|no answer|ended|duration_s|failover_attempts)" \
	"$row" "acs|genesys|+14255550186|486|none|1|1|0.0|0"
lab_ok "1 row: acs -> genesys, 486, hangup_by none, not answered"

lab_finish
