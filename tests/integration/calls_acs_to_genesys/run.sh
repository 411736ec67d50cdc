#!/usr/bin/env bash
# PSTN -> Genesys through trunkbridge (the call lab of calllab.sh: TLS
# everywhere, each peer on its own loopback address). Two calls from the
# ACS side (127.0.0.2) to the Genesys BYOC trunk, both answered:
#   1. +14255550100, the ACS caller hangs up;
#   2. +14255550101, the Genesys callee hangs up.
# The Genesys side (uas_genesys.xml) checks each INVITE: the Request-URI
# carries the trunk's termination identifier (interop.md 2.2, test 11),
# Contact is our FQDN, From is the caller, P-Asserted-Identity passes,
# and nothing of the ACS leg crosses (address, Call-ID, X-Topology). The
# caller checks the answer shows nothing of the Genesys leg. The CDR has
# one row per call: acs -> genesys, 200, hangup_by caller then callee,
# answer and end set, and two distinct Call-IDs: the caller's, and the one
# the Genesys side saw. trunkbridge exits 0 on SIGTERM (ASan build: no
# report). Loopback only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_acs_to_genesys
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys.xml" 2
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call 1 (to +14255550100, BYE from the ACS caller)"
lab_uac acs1 acs "$here/uac_acs.xml" -s +14255550100 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_ok "180 and 200 relayed; the 200 has sbc1.lab.test in Contact, nothing of the Genesys leg; BYE answered"

LAB_STEP="call 2 (to +14255550101, BYE from the Genesys callee)"
lab_uac acs2 acs "$here/uac_acs_callee_bye.xml" -s +14255550101 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_ok "answered; the callee's BYE reached the caller without anything of the Genesys leg"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
n=$(lab_recv_count genesys "INVITE ")
lab_expect "INVITEs the Genesys side received" "$n" 2
lab_ok "both INVITEs: Request-URI sip:+1425555010x@trunkbridge-lab.byoc.lab.test, Contact sbc1.lab.test, From +12065550123, P-Asserted-Identity passed, no 127.0.0.2 / acsleg Call-ID / X-Topology"

LAB_STEP="CDR"
lab_cdr_wait 2
mapfile -t gc_ids < <(lab_recv_header genesys "INVITE " Call-ID)
for i in 1 2; do
	case $i in
	1) called=+14255550100 by=caller ;;
	2) called=+14255550101 by=callee ;;
	esac
	in_id=$(lab_recv_header "acs$i" "SIP/2.0 200" Call-ID | head -1)
	row=$(lab_sql "select in_trunk, out_trunk, in_calling, in_called, out_called, final_status, hangup_by,
		answer is not null, \"end\" is not null, \"end\" >= answer, failover_attempts
		from cdr_view where in_called = '$called'")
	lab_expect "CDR of call $i (in_trunk|out_trunk|in_calling|in_called|out_called|final_status|hangup_by|answered|ended|end>=answer|failover_attempts)" \
		"$row" "acs|genesys|+12065550123|$called|$called|200|$by|1|1|1|0"
	ids=$(lab_sql "select in_call_id, out_call_id from cdr where in_called = '$called'")
	lab_expect "CDR of call $i: in_call_id (the caller's Call-ID)" "${ids%%|*}" "$in_id"
	lab_expect "CDR of call $i: out_call_id (the Call-ID the Genesys side saw)" "${ids#*|}" "${gc_ids[$((i - 1))]:-}"
	[ "${ids%%|*}" != "${ids#*|}" ] || lab_fail "CDR of call $i: in_call_id = out_call_id ($ids)"
done
lab_ok "2 rows: acs -> genesys, 200, hangup_by caller then callee, answer and end set, in_call_id (caller's) != out_call_id (Genesys')"

lab_finish
