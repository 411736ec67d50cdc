#!/usr/bin/env bash
# Reliable provisional responses (RFC 3262) across the B2BUA: the ACS
# caller (127.0.0.2, Supported: 100rel) calls +14255550183; the Genesys
# side answers 183 with Require: 100rel, RSeq and SDP, and waits for
# trunkbridge's PRACK (checked: RAck matches its RSeq and the INVITE's
# CSeq) before it answers 200. The caller must receive the 183 reliably
# too (Require: 100rel, RSeq, the SDP), PRACK it and get 200 for the PRACK,
# then 200 for the INVITE. CDR: acs -> genesys, 200, hangup_by caller.
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_100rel
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys_100rel.xml" 1
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call (ACS caller, Supported: 100rel, to +14255550183)"
lab_uac acs1 acs "$here/uac_acs_100rel.xml" -s +14255550183 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_ok "183 relayed reliably (Require: 100rel, RSeq, SDP); the caller's PRACK answered 200; then 200 OK"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
lab_expect "PRACKs the Genesys side received" "$(lab_recv_count genesys "PRACK ")" 1
lab_ok "the INVITE offered 100rel; trunkbridge PRACKed the reliable 183 (RAck 1 <CSeq> INVITE)"

LAB_STEP="CDR"
lab_cdr_wait 1
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, hangup_by, answer is not null from cdr_view")
lab_expect "CDR (in_trunk|out_trunk|in_called|final_status|hangup_by|answered)" "$row" "acs|genesys|+14255550183|200|caller|1"
lab_ok "1 row: acs -> genesys, 200, hangup_by caller"

lab_finish
