#!/usr/bin/env bash
# A REFER from ACS that arrives on a NEW TLS connection from ANOTHER
# Microsoft address (interop.md 1.8 and F17: "REFER may arrive on a new TLS
# connection from any MS IP"). The ACS caller (127.0.0.2, its own TLS
# connection) calls +14255550102 and Genesys answers; then Microsoft's
# second proxy address (127.0.0.3, certificate acs2, a TLS connection of
# its own through a second stunnel client) sends the REFER of that dialog.
# It gets 202 there; the NOTIFYs (100 Trying, 180 Ringing, 200 OK
# terminated) reach the caller in its dialog; the new INVITE reaches ACS
# server "sip" with the Refer-To URI as Request-URI and the Referred-By
# byte for byte; Genesys gets the re-INVITE with the new party's SDP; the
# caller ends its old dialog (BYE, 200); Genesys' BYE reaches the new party.
# CDR: two rows linked by transferred_to / transferred_from. trunkbridge
# exits 0 on SIGTERM. Loopback only; every process stopped by its PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_refer_new_conn
. "$repo/tests/integration/calllab.sh"
refer=$here/../calls_refer_acs

refer_to='<sip:sip.pstnhub.lab.test:5061;transport=tls;x-m=8:acs:newconn;x-t=777>'
referred_by='<sip:sip.pstnhub.lab.test:5061;x-m=8:acs:newconn;x-t=777;x-ti=11111111-2222-3333-4444-555555555555;x-tt=sip%3A%2B14255550199%40sip.pstnhub.lab.test%3A5061>'

lab_init
lab_yaml
lab_stunnel
# Microsoft's second address toward trunkbridge: 127.0.0.3 (in the acs
# trunk's allow list), its own certificate, its own TLS connection
LAB_ACS2_IN=$(free_port)
cat >"$work/stunnel3.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel3.log
[acs2-caller]
accept = 127.0.0.1:$LAB_ACS2_IN
connect = 127.0.0.1:$LAB_TB
local = 127.0.0.3
cert = $LAB_CERTS/acs2.pem
key = $LAB_CERTS/acs2.key
client = yes
CAfile = $LAB_CERTS/ca.pem
verifyChain = yes
checkHost = sbc1.lab.test
sni = sbc1.lab.test
sslVersionMin = TLSv1.2
CONF
stunnel4 "$work/stunnel3.conf" >"$work/stunnel3.out" 2>&1 &
lab_pid[stunnel3]=$!
lab_wait_addr 127.0.0.1 "$LAB_ACS2_IN" 10 || lab_fail "stunnel (127.0.0.3 client) does not listen"

lab_uas genesys "$refer/uas_genesys_refer.xml" 1
lab_uas sip "$refer/uas_acs_refer.xml" 1
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="call (ACS caller, 127.0.0.2, to +14255550102)"
ids=$work/call.ids
lab_sipp+=(acs1)
(cd "$work" && exec timeout 40 sipp "127.0.0.1:$LAB_ACS_IN" -sf "$here/uac_acs_call.xml" -t t1 -i 127.0.0.2 \
	-p "$(free_port)" -cid_str "%u-acsleg-%p@sip.pstnhub.lab.test" -m 1 -nostdin -timeout 30 -timeout_error \
	-recv_timeout 10000 -trace_err -error_file "$work/acs1.err" -trace_msg -message_file "$work/acs1.msg" \
	-key tb_port "$LAB_TB" -key ids_file "$ids" -s +14255550102) >"$work/acs1.out" 2>&1 &
lab_pid[acs1]=$!
for _ in $(seq 1 100); do
	[ -s "$ids" ] && break
	kill -0 "${lab_pid[acs1]}" 2>/dev/null || break
	sleep 0.1
done
[ -s "$ids" ] || lab_fail "the call was not answered within 10 s (the caller wrote no $ids)"
read -r cid totag fromtag <"$ids"
[ -n "$fromtag" ] || lab_fail "$ids: '$(cat "$ids")', want '<Call-ID> <our tag> <ACS tag>'"
lab_ok "answered: Call-ID $cid, our tag $totag, ACS tag $fromtag"

LAB_STEP="REFER from 127.0.0.3 on a new TLS connection"
lab_sipp+=(acs2)
(cd "$work" && exec timeout 20 sipp "127.0.0.1:$LAB_ACS2_IN" -sf "$here/uac_acs2_refer.xml" -t t1 -i 127.0.0.3 \
	-p "$(free_port)" -m 1 -nostdin -timeout 15 -timeout_error -recv_timeout 10000 \
	-trace_err -error_file "$work/acs2.err" -trace_msg -message_file "$work/acs2.msg" \
	-cid_str "$cid" -key tb_port "$LAB_TB" -key d1_totag "$totag" -key d1_fromtag "$fromtag" \
	-key refer_to "$refer_to" -key referred_by "$referred_by" -s +14255550102) >"$work/acs2.out" 2>&1 ||
	lab_fail "the REFER sender (127.0.0.3) exited $? (its errors below)"
grep -q "Service \[acs2-caller\] accepted connection from 127.0.0.1" "$work/stunnel3.log" ||
	lab_fail "the REFER did not go through the 127.0.0.3 stunnel client"
lab_ok "202 Accepted to the REFER sent from 127.0.0.3 on its own TLS connection"

LAB_STEP="the caller's side (NOTIFYs, its BYE)"
p=${lab_pid[acs1]} rc=0
for _ in $(seq 1 150); do
	kill -0 "$p" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$p" 2>/dev/null && lab_fail "the caller did not end within 15 s"
wait "$p" || rc=$?
unset "lab_pid[acs1]"
[ "$rc" -eq 0 ] || lab_fail "the caller's SIPp exited $rc (1: a check or an expected message failed)"
lab_expect "NOTIFYs the caller received" "$(lab_recv_count acs1 "NOTIFY ")" 3
lab_ok "NOTIFY 100 Trying, 180 Ringing, 200 OK (terminated) in the caller's dialog, each answered 200; its BYE answered 200"

LAB_STEP="the new INVITE (sip) and the Genesys side"
lab_uas_wait sip
lab_uas_wait genesys
uri=${refer_to#<} uri=${uri%>}
lab_expect "request line of the INVITE sip got" "$(lab_recv_lines sip "INVITE " | head -1)" "INVITE $uri SIP/2.0"
lab_expect "Referred-By of that INVITE (byte-identical)" "$(lab_recv_header sip "INVITE " Referred-By | head -1)" "$referred_by"
lab_expect "re-INVITEs Genesys received" "$(lab_recv_lines genesys "INVITE sip:+14255550102@127.0.0.4:" | wc -l)" 1
lab_expect "BYEs Genesys received (the caller's old dialog's end stays on the ACS side)" "$(lab_recv_count genesys "BYE ")" 0
lab_expect "BYEs sip received (Genesys')" "$(lab_recv_count sip "BYE ")" 1
lab_ok "INVITE $uri with the Referred-By byte for byte; Genesys re-INVITEd; its BYE reached the new party"

LAB_STEP="CDR"
lab_cdr_wait 2 5 "end_ms is not null"
row=$(lab_sql "select r1.in_trunk, r1.out_trunk, r1.reason like 'transferred%', r1.transferred_to = r2.call_id,
	r2.in_trunk, r2.out_trunk, r2.answer_ms is not null
	from cdr r1 join cdr r2 on r2.transferred_from = r1.call_id where r1.in_call_id = '$cid'")
lab_expect "CDR (r1 in|out|transferred*|transferred_to=r2; r2 in|out|answered)" "$row" "acs|genesys|1|1|genesys|acs|1"
lab_ok "row 1 acs -> genesys 'transferred...' -> row 2 genesys -> acs, answered"

lab_finish
