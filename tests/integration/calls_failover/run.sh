#!/usr/bin/env bash
# Failover between Microsoft's SIP proxies (interop.md 1.1, 1.5: sip, sip2,
# sip3 in order; a busy data centre answers 503 + Retry-After; ACS fails
# over on 408, 503, 504). Two calls from the Genesys side (127.0.0.4):
#   1. +12065550123: "sip" (127.0.0.2) answers; no failover;
#   2. +12065550199: "sip" answers 503 + Retry-After: 30, trunkbridge
#      tries "sip2" (127.0.0.3), which answers: the caller sees only the 200.
# Both ACS servers check every INVITE (uas_acs.xml). CDR: call 1 answered
# by 127.0.0.2:S1, failover_attempts 0; call 2 answered by 127.0.0.3:S2,
# failover_attempts 1, final_status 200. trunkbridge exits 0 on SIGTERM.
# Loopback only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_failover
. "$repo/tests/integration/calllab.sh"
xml=$here/../calls_genesys_to_acs

lab_init
lab_yaml
lab_stunnel
lab_uas sip "$xml/uas_acs.xml" 2 -set busy +12065550199
lab_uas sip2 "$xml/uas_acs.xml" 1
lab_uas genesys "$here/../calls_acs_to_genesys/uas_genesys.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call 1 (Genesys agent to +12065550123: sip answers)"
lab_uac gc1 gc "$xml/uac_gc.xml" -s +12065550123 ||
	lab_fail "the Genesys caller's SIPp exited $? (its errors below)"
lab_expect "INVITEs sip2 received after call 1" "$(lab_recv_count sip2 "INVITE ")" 0
lab_ok "answered by sip"

LAB_STEP="call 2 (Genesys agent to +12065550199: sip 503, sip2 answers)"
lab_uac gc2 gc "$xml/uac_gc.xml" -s +12065550199 ||
	lab_fail "the Genesys caller's SIPp exited $? (its errors below)"
lab_expect "responses 503 relayed to the caller" "$(lab_recv_count gc2 "SIP/2.0 503")" 0
lab_uas_wait sip
lab_uas_wait sip2
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 2
lab_expect "INVITEs sip2 received" "$(lab_recv_count sip2 "INVITE ")" 1
lab_expect "Request-URI host of the INVITE to sip2" \
	"$(lab_recv_lines sip2 "INVITE " | head -1 | sed -E 's/^INVITE sips?:[^@]*@([^; ]*).*/\1/')" \
	"127.0.0.3:$LAB_S2"
lab_ok "sip answered 503 + Retry-After, sip2 got the INVITE (to 127.0.0.3:$LAB_S2) and answered; the caller saw only the 200"

LAB_STEP="CDR"
lab_cdr_wait 2
row=$(lab_sql "select out_trunk, final_status, hangup_by, failover_attempts, answered_by from cdr_view where in_called = '+12065550123'")
lab_expect "CDR of call 1 (out_trunk|final_status|hangup_by|failover_attempts|answered_by)" "$row" "acs|200|caller|0|127.0.0.2:$LAB_S1"
row=$(lab_sql "select out_trunk, out_called, final_status, hangup_by, failover_attempts, answered_by from cdr_view where in_called = '+12065550199'")
lab_expect "CDR of call 2 (out_trunk|out_called|final_status|hangup_by|failover_attempts|answered_by)" "$row" "acs|+12065550199|200|caller|1|127.0.0.3:$LAB_S2"
out_id=$(lab_sql "select out_call_id from cdr where in_called = '+12065550199'")
lab_expect "CDR of call 2: out_call_id (the last outbound leg: the Call-ID sip2 saw)" "$out_id" "$(lab_recv_header sip2 "INVITE " Call-ID | head -1)"
lab_ok "call 1: answered_by 127.0.0.2:$LAB_S1, failover_attempts 0; call 2: answered_by 127.0.0.3:$LAB_S2, failover_attempts 1"

lab_finish
