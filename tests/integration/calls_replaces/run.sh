#!/usr/bin/env bash
# Attended transfer on the ACS side: INVITE with Replaces (xfer-spec
# section 4; RFC 3891).
#   1. an ACS INVITE whose Replaces names no dialog of ours: 481, nothing
#      routed;
#   2. the ACS caller (127.0.0.2, dialog D1, run in the background) calls
#      +14255550102 and Genesys answers; then a second SIPp on the ACS
#      side sends a NEW INVITE (new Call-ID, no To tag) with
#      Replaces: <D1's Call-ID>;to-tag=<our tag>;from-tag=<ACS's tag>,
#      Require: replaces and a new offer. Checks: Genesys gets a re-INVITE
#      in its dialog with trunkbridge's offer for it (o=trunkbridge,
#      127.0.0.1, nothing of the new party's 127.0.0.17), answers it; the new INVITE gets 200 with
#      Genesys' answer (our FQDN in Contact); Genesys gets exactly one ACK
#      for it (the new INVITE's ACK is absorbed); trunkbridge sends BYE on
#      D1 (From tag ours of D1), which the caller answers 200, and nothing
#      of D1's end reaches Genesys; the new dialog's BYE then reaches
#      Genesys.
# Logs: event=transfer_start kind=replaces from_trunk=acs, transfer_done.
# CDR: row 1 (D1's call) acs -> genesys, reason "replaced...",
# transferred_to = row 2; row 2 acs -> genesys, transferred_from = row 1,
# answered, hangup_by caller. trunkbridge exits 0 on SIGTERM. Loopback
# only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_replaces
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys_replaces.xml" 1
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="INVITE with a Replaces naming no dialog"
lab_uac r481 acs "$here/uac_acs_replaces_481.xml" -s +14255550102 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "INVITEs the Genesys side received" "$(lab_recv_count genesys "INVITE ")" 0
lab_ok "481, ACKed; nothing routed"

LAB_STEP="call D1 (ACS caller to +14255550102)"
ids=$work/d1.ids
lab_uac_bg d1 acs "$here/uac_acs_d1.xml" -s +14255550102 -key d1_file "$ids"
lab_wait_file "$ids" d1 10 || lab_fail "D1 was not answered within 10 s (the caller wrote no $ids)"
read -r d1_cid d1_totag d1_fromtag <"$ids"
[ -n "$d1_fromtag" ] || lab_fail "$ids: '$(cat "$ids")', want '<Call-ID> <our tag> <ACS tag>'"
lab_ok "answered: Call-ID $d1_cid, our tag $d1_totag, ACS tag $d1_fromtag"

LAB_STEP="new INVITE with Replaces: $d1_cid;to-tag=$d1_totag;from-tag=$d1_fromtag"
lab_uac acs2 acs "$here/uac_acs_replaces.xml" -s +14255550102 \
	-key d1_callid "$d1_cid" -key d1_totag "$d1_totag" -key d1_fromtag "$d1_fromtag" ||
	lab_fail "the new dialog's SIPp exited $? (its errors below)"
lab_ok "200 with Genesys' answer (c=IN IP4 127.0.0.16, m=audio 16400), our FQDN in Contact; ACK; its BYE answered 200"

LAB_STEP="D1 ended by trunkbridge"
lab_uac_wait d1 10
lab_expect "BYEs the D1 caller received" "$(lab_recv_count d1 "BYE ")" 1
lab_expect "From tag of the BYE on D1 (our tag of D1)" \
	"$(lab_msg_field d1 received "BYE " From | lab_nth 1 | sed -nE 's/.*;tag=([^;>]+).*/\1/p')" "$d1_totag"
lab_ok "BYE on D1 (Request-URI the caller's Contact, our tag), answered 200"

LAB_STEP="the Genesys side"
lab_uas_wait genesys
lab_expect "INVITEs Genesys received (the call + one re-INVITE)" "$(lab_recv_count genesys "INVITE ")" 2
lab_expect "ACKs Genesys received (one per INVITE)" "$(lab_recv_count genesys "ACK ")" 2
lab_expect "BYEs Genesys received (the new dialog's only)" "$(lab_recv_count genesys "BYE ")" 1
lab_expect "Replaces reaching Genesys" "$(lab_msg_field genesys received "INVITE " Replaces | grep -vc '^-$' || true)" 0
lab_ok "re-INVITE with trunkbridge's offer (o=trunkbridge, c=IN IP4 127.0.0.1, not the new party's 127.0.0.17), answered, ACKed once; D1's end stayed on the ACS side; the new dialog's BYE reached Genesys"

LAB_STEP="logs"
lab_expect "event=transfer_start kind=replaces from_trunk=acs lines" \
	"$(lab_log_count 'event=transfer_start .*kind=replaces .*from_trunk=acs')" 1
lab_expect "event=transfer_done lines" "$(lab_log_count 'event=transfer_done ')" 1
lab_ok "transfer_start (kind=replaces, from_trunk=acs), transfer_done"

LAB_STEP="CDR"
lab_cdr_wait 1 5 "transferred_from is not null and end_ms is not null"
row=$(lab_sql "select r1.in_trunk, r1.out_trunk, r1.in_called, r1.final_status,
	r1.reason like 'replaced%', r1.transferred_to = r2.call_id,
	r2.in_trunk, r2.out_trunk, r2.transferred_from = r1.call_id, r2.answer_ms is not null, r2.hangup_by
	from cdr r1 join cdr r2 on r2.transferred_from = r1.call_id where r1.in_call_id = '$d1_cid'")
lab_expect "CDR rows (r1 in_trunk|out_trunk|in_called|final_status|reason replaced*|transferred_to=r2; r2 in_trunk|out_trunk|transferred_from=r1|answered|hangup_by)" \
	"$row" "acs|genesys|+14255550102|200|1|1|acs|genesys|1|1|caller"
lab_ok "row 1 (D1) acs -> genesys 'replaced...' -> row 2 acs -> genesys, answered, hangup_by caller"

lab_finish
