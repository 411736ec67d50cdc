#!/usr/bin/env bash
# RFC 3261 13.3.1.4 over TLS: the ACS caller never ACKs trunkbridge's 200
# (an ACK that cannot reach the SBC, interop F8). With timers.t1 100ms,
# 64*T1 = 6.4 s later trunkbridge sends BYE to both sides with
# Reason: SIP;cause=408;text="no ACK for the 2xx", logs event=call_no_ack,
# and the CDR says why (hangup_by trunkbridge). A call whose caller does
# ACK (the next one) is not touched by it: it lasts past 64*T1 and its
# caller hangs up.
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_no_ack
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
printf 'timers: { t1: 100ms }\n' >>"$work/lab.yaml"
sed -i 's|^\(    termination_uri: trunkbridge-lab.byoc.lab.test.*\)$|\1\n    dtmf_payload: 96|' "$work/lab.yaml"
lab_stunnel
lab_uas genesys "$here/../calls_media/uas_genesys_media.xml" 2 -key g_port "$(free_port)" \
	-key g_key d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj -key media_file "$work/gc_media"
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="a caller that never ACKs"
lab_uac noack acs "$here/uac_acs_no_ack.xml" -s +14255550102 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "call_no_ack events" "$(lab_log_count 'event=call_no_ack')" 1
lab_ok "BYE after 64*T1 (6.4 s) with Reason: SIP;cause=408;text=\"no ACK for the 2xx\"; Genesys got its BYE too"

LAB_STEP="a caller that ACKs, held past 64*T1"
lab_uac_bg held acs "$here/../calls_media/uac_acs_media.xml" -s +14255550102 \
	-key a_port "$(free_port)" -key a_key pSd++oBu5GJV5o8PBqkvMHsl7b/arJIdSl6AmJQD \
	-key media_file "$work/held_media" -set hold_ms 8000 -set reinvite 0 -set wait_bye 0
lab_uac_wait held 20
lab_uas_wait genesys 10
lab_expect "call_no_ack events" "$(lab_log_count 'event=call_no_ack')" 1
lab_ok "ACKed: up 8 s (past 64*T1), ended by the caller's BYE"

LAB_STEP="CDR"
lab_cdr_wait 2 5
lab_expect "rows (hangup_by|reason)" "$(lab_sql "select hangup_by, reason from cdr order by id")" \
	"trunkbridge|no ACK from the caller for the 2xx within 6400ms (RFC 3261 13.3.1.4)
caller|"
lab_ok "the unACKed call's row says why"

lab_finish
