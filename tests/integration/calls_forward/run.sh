#!/usr/bin/env bash
# Forwarded calls: History-Info -> Diversion (xfer-spec section 1;
# interop.md 1.8, F19; RFC 5806, RFC 7044, RFC 7544).
#   (a) the ACS caller (127.0.0.2) calls +14255550102 carrying Microsoft's
#       History-Info (+14255550100 forwarded with cause 302 -> +14255550102):
#       the INVITE Genesys gets carries exactly
#       Diversion: <sip:+14255550100@sbc1.lab.test;user=phone>;reason=unconditional;counter=1
#       and no History-Info (the genesys trunk's default form: diversion);
#   (c) a plain ACS call (+14255550103) reaches Genesys with neither header;
#   (b) trunkbridge restarted with `diversion: { form: both }` on the
#       genesys trunk: the call of (a) again carries that Diversion and a
#       History-Info with +14255550100 (index=1, ?Reason=SIP%3Bcause%3D302)
#       and +14255550102 (index=1.1);
#   (d) a Genesys call to +12065550123 carrying a Diversion reaches ACS
#       ("sip") with a Diversion of the same number, reason and counter
#       (and no History-Info: the acs trunk's form is diversion).
# CDR: column diversion = the Diversion sent on the outbound leg: the value
# above for (a) and (b), what "sip" got for (d), NULL for (c).
# trunkbridge exits 0 on SIGTERM (also before the restart). Loopback only;
# every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_forward
. "$repo/tests/integration/calllab.sh"

# tb_restart: SIGTERM trunkbridge (exit 0, no sanitizer report), keep its
# log as tb.first.log, start it again on $work/lab.yaml, wait for the trunks.
tb_restart() {
	local rc=0
	kill -TERM "$lab_tb_pid" 2>/dev/null || lab_fail "trunkbridge was no longer running before the restart"
	for _ in $(seq 1 100); do
		kill -0 "$lab_tb_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$lab_tb_pid" 2>/dev/null && lab_fail "trunkbridge still running 10 s after SIGTERM (restart)"
	wait "$lab_tb_pid" || rc=$?
	unset "lab_pid[trunkbridge]"
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work/tb.log"; then
		lab_fail "sanitizer report in trunkbridge's stderr before the restart: $(grep -m1 'SUMMARY: \|runtime error:' "$work/tb.log")"
	fi
	[ "$rc" -eq 0 ] || lab_fail "trunkbridge exited $rc on SIGTERM before the restart (want 0)"
	mv "$work/tb.log" "$work/tb.first.log"
	lab_tb_start
	lab_wait_active
}

hi='History-Info: <sip:+14255550100@sip.pstnhub.microsoft.com:5061;user=phone?Reason=SIP%3Bcause%3D302>;index=1,<sip:+14255550102@sip.pstnhub.microsoft.com:5061;user=phone>;index=1.1'
div='<sip:+14255550100@sbc1.lab.test;user=phone>;reason=unconditional;counter=1'

lab_init
lab_yaml
lab_stunnel
lab_uas genesys "$here/uas_genesys_fwd.xml" 3
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 1
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="(a) forwarded ACS call to +14255550102 with History-Info"
lab_uac fwd acs "$here/uac_acs_fwd.xml" -s +14255550102 -key extra "$hi" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "INVITEs the Genesys side received" "$(lab_recv_count genesys "INVITE ")" 1
lab_expect "Diversion of the INVITE Genesys received" "$(lab_msg_field genesys received "INVITE " Diversion | lab_nth 1)" "$div"
lab_expect "History-Info of the INVITE Genesys received (genesys form: diversion)" \
	"$(lab_msg_field genesys received "INVITE " History-Info | lab_nth 1)" "-"
lab_ok "Genesys got Diversion: $div and no History-Info"

LAB_STEP="(c) plain ACS call to +14255550103"
lab_uac plain acs "$here/uac_acs_fwd.xml" -s +14255550103 -key extra "X-Lab: plain" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "INVITEs the Genesys side received" "$(lab_recv_count genesys "INVITE ")" 2
lab_expect "Diversion of the plain INVITE" "$(lab_msg_field genesys received "INVITE " Diversion | lab_nth 2)" "-"
lab_expect "History-Info of the plain INVITE" "$(lab_msg_field genesys received "INVITE " History-Info | lab_nth 2)" "-"
lab_ok "no Diversion, no History-Info"

LAB_STEP="(b) restart with the genesys trunk's diversion: { form: both }"
awk '/^  [^ #]/ { blk = $1 }
     blk == "genesys:" && /^    diversion:/ { next }
     { print }
     blk == "genesys:" && /^    profile: / { print "    diversion: { form: both }" }' \
	"$work/lab.yaml" >"$work/lab.yaml.new" && mv "$work/lab.yaml.new" "$work/lab.yaml"
grep -q '^    diversion: { form: both }$' "$work/lab.yaml" || lab_fail "could not add diversion: { form: both } to the genesys trunk of $work/lab.yaml"
tb_restart
lab_ok "trunkbridge restarted, trunks Active again"

LAB_STEP="(b) forwarded ACS call to +14255550102, genesys form both"
lab_uac both acs "$here/uac_acs_fwd.xml" -s +14255550102 -key extra "$hi" ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_uas_wait genesys
lab_expect "INVITEs the Genesys side received" "$(lab_recv_count genesys "INVITE ")" 3
lab_expect "Diversion of the INVITE Genesys received (form both)" "$(lab_msg_field genesys received "INVITE " Diversion | lab_nth 3)" "$div"
gc_hi=$(lab_msg_field genesys received "INVITE " History-Info | lab_nth 3)
[ "$gc_hi" != "-" ] || lab_fail "the INVITE Genesys received (form both) has no History-Info"
printf '%s\n' "$gc_hi" | grep -Eqi '<sips?:\+14255550100@[^>?]*\?Reason=SIP%3Bcause%3D302[^>]*>[^,]*;index=1([;,]|$)' ||
	lab_fail "History-Info Genesys got: '$gc_hi': no entry <sip:+14255550100@...?Reason=SIP%3Bcause%3D302>;index=1"
printf '%s\n' "$gc_hi" | grep -Eqi '<sips?:\+14255550102@[^>]*>[^,]*;index=1\.1([;,]|$)' ||
	lab_fail "History-Info Genesys got: '$gc_hi': no entry <sip:+14255550102@...>;index=1.1"
lab_ok "Diversion: $div and History-Info: $gc_hi"

LAB_STEP="(d) Genesys call to +12065550123 with Diversion (reason=user-busy;counter=1)"
lab_uac gcdiv gc "$here/uac_gc_div.xml" -s +12065550123 ||
	lab_fail "the Genesys caller's SIPp exited $? (its errors below)"
lab_uas_wait sip
lab_expect "INVITEs sip received" "$(lab_recv_count sip "INVITE ")" 1
acs_div=$(lab_msg_field sip received "INVITE " Diversion | lab_nth 1)
re='^<sips?:\+14255550100@[^>]*>(;.*)?$'
[[ "$acs_div" =~ $re ]] ||
	lab_fail "Diversion the ACS side got: '$acs_div', want <sip:+14255550100@...> with reason=user-busy;counter=1"
[[ ";${acs_div#*>};" == *";reason=user-busy;"* ]] || lab_fail "Diversion the ACS side got: '$acs_div': no reason=user-busy"
[[ ";${acs_div#*>};" == *";counter=1;"* ]] || lab_fail "Diversion the ACS side got: '$acs_div': no counter=1"
[[ "$acs_div" != *,* ]] || lab_fail "Diversion the ACS side got: '$acs_div': more than one entry"
lab_expect "History-Info of the INVITE ACS got (acs form: diversion)" "$(lab_msg_field sip received "INVITE " History-Info | lab_nth 1)" "-"
lab_ok "ACS got Diversion: $acs_div"

LAB_STEP="CDR"
cid_a=$(lab_call_id fwd) cid_c=$(lab_call_id plain) cid_b=$(lab_call_id both) cid_d=$(lab_call_id gcdiv)
lab_cdr_wait 4 5 "end_ms is not null"
lab_cdr_wait 1 5 "in_call_id = '$cid_a' and diversion is not null"
lab_expect "CDR diversion of (a)" "$(lab_sql "select diversion from cdr where in_call_id = '$cid_a'")" "$div"
lab_expect "CDR diversion of (b)" "$(lab_sql "select diversion from cdr where in_call_id = '$cid_b'")" "$div"
lab_expect "CDR diversion of (c) is NULL" "$(lab_sql "select diversion is null from cdr where in_call_id = '$cid_c'")" "1"
lab_expect "CDR diversion of (d) (the value sent to ACS)" "$(lab_sql "select diversion from cdr where in_call_id = '$cid_d'")" "$acs_div"
row=$(lab_sql "select in_trunk, out_trunk, in_called, final_status, hangup_by from cdr_view where in_call_id = '$cid_a'")
lab_expect "CDR of (a) (in_trunk|out_trunk|in_called|final_status|hangup_by)" "$row" "acs|genesys|+14255550102|200|caller"
lab_ok "diversion: (a) and (b) '$div', (c) NULL, (d) '$acs_div'"

lab_finish
