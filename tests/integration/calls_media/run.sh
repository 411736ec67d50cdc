#!/usr/bin/env bash
# Media through trunkbridge (interop 1.7, 2.4, F10-F13): SRTP anchored on
# both legs, checked by rtp_peer (its SRTP is libsrtp2's, not ours):
#   1. a plain-RTP offer from ACS (SRTP required): 488 with a Warning,
#      nobody called;
#   2. ACS -> Genesys: each side's SDP is trunkbridge's own (c=/o=
#      127.0.0.1, its ports, its keys; ICE-lite toward ACS only;
#      telephone-event on Genesys' dtmf_payload 96). rtp_peer on
#      127.0.0.7 (the ACS media processor, rtcp-mux) and on 127.0.0.6
#      (Genesys media, RTCP on port + 1) send 150 SRTP packets each to
#      trunkbridge: each side gets the other's payloads byte for byte with
#      sequence and timestamp continuity, RTCP both ways, a DTMF event
#      (101 on the ACS side arrives as 96 on the Genesys side and back),
#      and 20 packets from a foreign port of the ACS side are dropped (none
#      reaches Genesys) while the call goes on; before the media the ACS
#      side runs an ICE connectivity check (STUN, RFC 8445) with the
#      ufrag/pwd of trunkbridge's answer: answered, with integrity,
#      fingerprint and XOR-MAPPED-ADDRESS checked; one signed with a
#      wrong password gets no answer;
#   3. hold the RFC 2543 way (c=0.0.0.0, a=sendonly): Genesys gets
#      a=inactive with our address, never c=0.0.0.0 (F12); resume
#      (a=sendrecv) with our key unchanged; then media flows again both ways;
#   4. a call with no media: after idle_timeout (5 s here) trunkbridge
#      sends BYE to both sides with Reason: SIP;cause=408;text="media
#      timeout..."; the CDR says why;
#   5. a delayed offer (INVITE without SDP): trunkbridge offers G.711 to
#      Genesys itself, puts its offer for the caller in the 200, takes
#      the caller's answer from its ACK; media flows both ways;
#   6. the Genesys trunk switched to media_encryption: rtp (SIGHUP): the
#      offer toward Genesys is RTP/AVP without a=crypto, and media crosses
#      SRTP on the ACS side, plain RTP on the Genesys side.
# CDR: rows with the media statistics (packets, foreign drops).
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_media
LAB_MEDIA_IDLE=5s
. "$repo/tests/integration/calllab.sh"
peer=$(dirname "$tb")/rtp_peer
[ -x "$peer" ] || { echo "FAIL: $LAB_NAME: $peer not built" >&2; exit 1; }

lab_init
lab_yaml
# Genesys' "DTMF payload" 96: telephone-event is renumbered across
sed -i 's|^\(    termination_uri: trunkbridge-lab.byoc.lab.test.*\)$|\1\n    dtmf_payload: 96|' "$work/lab.yaml"
grep -q 'dtmf_payload: 96' "$work/lab.yaml" || lab_fail "lab.yaml: no place for dtmf_payload"
lab_stunnel
KA=pSd++oBu5GJV5o8PBqkvMHsl7b/arJIdSl6AmJQD # the ACS side's key
KG=d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj # the Genesys side's
SUITE=AES_CM_128_HMAC_SHA1_80
A_PORT=$(free_port) G_PORT=$(free_port) # the media of each side's peer
lab_uas genesys "$here/uas_genesys_media.xml" 4 -key g_port "$G_PORT" -key g_key "$KG" \
	-key media_file "$work/gc_media"
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0 # OPTIONS only
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

# run_peers N: rtp_peer on each side of the current call (ports and keys
# from the SDP trunkbridge sent each side), N packets each way; extra
# arguments for the ACS side's peer
run_peers() {
	local n=$1 tba tbg keya keyg
	shift
	read -r tba keya <"$work/acs_media"
	read -r tbg keyg <"$work/gc_media"
	[ "$keya" != "$KA" ] && [ "$keya" != "$KG" ] && [ "$keyg" != "$KA" ] && [ "$keyg" != "$KG" ] ||
		lab_fail "a key crossed from one leg to the other"
	local gcrypto=(--tx-crypto "$SUITE inline:$KG" --rx-crypto "$SUITE inline:$keyg")
	[ "$keyg" = - ] && gcrypto=() # a plain RTP trunk
	"$peer" --local "127.0.0.7:$A_PORT" --remote "127.0.0.1:$tba" --tag A \
		--tx-crypto "$SUITE inline:$KA" --rx-crypto "$SUITE inline:$keya" \
		--count "$n" --ptime 20 --delay 300 --max-gaps 0 --timeout 15 --report "$work/peer_a.txt" "$@" \
		>"$work/peer_a.out" 2>&1 &
	local pa=$!
	lab_pid[peer_a]=$pa
	"$peer" --local "127.0.0.6:$G_PORT" --remote "127.0.0.1:$tbg" --tag B "${gcrypto[@]}" \
		--count "$n" --ptime 20 --delay 300 --max-gaps 0 --timeout 15 --report "$work/peer_g.txt" "${gargs[@]}" \
		>"$work/peer_g.out" 2>&1 &
	local pg=$!
	lab_pid[peer_g]=$pg
	local ra=0 rg=0
	wait "$pa" || ra=$?
	wait "$pg" || rg=$?
	unset "lab_pid[peer_a]" "lab_pid[peer_g]"
	echo "  ACS side:     $(cat "$work/peer_a.out")"
	echo "  Genesys side: $(cat "$work/peer_g.out")"
	[ "$ra" -eq 0 ] || lab_fail "the ACS side's rtp_peer exited $ra"
	[ "$rg" -eq 0 ] || lab_fail "the Genesys side's rtp_peer exited $rg"
}

LAB_STEP="1: plain RTP offer from ACS"
lab_uac plain acs "$here/uac_acs_plain.xml" -s +14255550101 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "INVITEs the Genesys side received" "$(lab_recv_count genesys "INVITE ")" 0
lab_ok "488 with Warning: 399 sbc1.lab.test \"SRTP required: ...\"; nobody called"

LAB_STEP="2: SRTP both ways, RTCP, DTMF, a foreign source"
rm -f "$work/acs_media" "$work/gc_media"
lab_uac_bg call1 acs "$here/uac_acs_media.xml" -s +14255550101 -key a_port "$A_PORT" \
	-key a_key "$KA" -key media_file "$work/acs_media" -set hold_ms 5000 \
	-set reinvite 0 -set wait_bye 0
lab_wait_file "$work/acs_media" call1 10 || lab_fail "the ACS caller got no usable 200 (its errors below)"
lab_wait_file "$work/gc_media" genesys 10 || lab_fail "the Genesys side wrote no media file"
# ICE-lite toward ACS: the caller's peer runs a connectivity check with
# the ufrag/pwd of trunkbridge's answer (and one signed with a wrong
# password, which must get no answer)
ice_uf=$(lab_msg_body call1 "SIP/2.0 200" | sed -n 's/^a=ice-ufrag://p' | head -1)
ice_pw=$(lab_msg_body call1 "SIP/2.0 200" | sed -n 's/^a=ice-pwd://p' | head -1)
[ -n "$ice_uf" ] && [ -n "$ice_pw" ] || lab_fail "no a=ice-ufrag/a=ice-pwd in trunkbridge's answer to ACS"
gargs=(--rtcp --te 96:5 --expect-te 96:5 --expect 145)
run_peers 150 --rtcp --rtcp-mux --te 101:5 --expect-te 101:5 --expect 145 \
	--foreign 20 --expect-rtcp 2 --stun-remote "$ice_uf:$ice_pw" --stun-bad
grep -q 'stun=ok' "$work/peer_a.txt" && grep -q 'stun_bad=ignored' "$work/peer_a.txt" ||
	lab_fail "the ICE check toward trunkbridge: $(cat "$work/peer_a.txt")"
gargs=()
lab_uac_wait call1 15
lab_ok "ICE-lite: a STUN check with trunkbridge's ufrag/pwd answered (integrity, fingerprint, XOR-MAPPED-ADDRESS), one with a wrong password not; 150 packets each way decrypted byte for byte (libsrtp2), RTCP both ways, telephone-event 101 <-> 96, 20 foreign packets dropped"

LAB_STEP="3: hold, resume, media again"
rm -f "$work/acs_media" "$work/gc_media" "$work/acs_media.keys"
lab_uac_bg call2 acs "$here/uac_acs_media.xml" -s +14255550101 -key a_port "$A_PORT" \
	-key a_key "$KA" -key media_file "$work/acs_media" -set hold_ms 4000 \
	-set reinvite 1 -set wait_bye 0
lab_wait_file "$work/acs_media" call2 15 || lab_fail "hold/resume did not complete (the caller's errors below)"
read -r _ key_resume key_hold <"$work/acs_media.keys"
lab_expect "our key toward the caller after resume (same as on hold)" "$key_resume" "$key_hold"
gargs=(--expect 95)
run_peers 100 --expect 95
gargs=()
lab_uac_wait call2 15
lab_ok "c=0.0.0.0 hold reached Genesys as a=inactive on 127.0.0.1, sendrecv answered sendrecv, the same key; 100 packets each way after resume"

LAB_STEP="4: no media: disconnect on idle RTP"
lab_uac idle acs "$here/uac_acs_media.xml" -s +14255550101 -key a_port "$A_PORT" \
	-key a_key "$KA" -key media_file "$work/acs_media_idle" -set hold_ms 0 \
	-set reinvite 0 -set wait_bye 1 ||
	lab_fail "the ACS caller's SIPp exited $? (its errors below)"
lab_expect "call_media_idle events" "$(lab_log_count 'event=call_media_idle')" 1
lab_ok "BYE to both sides with Reason: SIP;cause=408;text=\"media timeout: no RTP for 5s\""

LAB_STEP="5: a delayed offer (INVITE without SDP)"
rm -f "$work/acs_media" "$work/gc_media"
lab_uac_bg late acs "$here/uac_acs_late.xml" -s +14255550101 -key a_port "$A_PORT" \
	-key a_key "$KA" -key media_file "$work/acs_media" -set hold_ms 4000
lab_wait_file "$work/acs_media" late 10 || lab_fail "the delayed-offer caller got no usable 200 (its errors below)"
lab_wait_file "$work/gc_media" genesys 10 || lab_fail "the Genesys side wrote no media file"
gargs=(--expect 100)
run_peers 100 --expect 100
gargs=()
lab_uac_wait late 15
lab_uas_wait genesys 15
lab_ok "Genesys got trunkbridge's own offer (G.711, telephone-event 96, our key), the caller got ours in the 200 and answered in its ACK; 100 packets each way"

LAB_STEP="6: the Genesys trunk on plain RTP (reload): SRTP <-> RTP"
lab_uas genesys "$here/uas_genesys_rtp.xml" 1 -key g_port "$G_PORT" -key media_file "$work/gc_media"
sed -i 's|^\(    dtmf_payload: 96\)$|\1\n    media_encryption: rtp|' "$work/lab.yaml"
grep -q 'media_encryption: rtp' "$work/lab.yaml" || lab_fail "lab.yaml: no place for media_encryption"
kill -HUP "$lab_tb_pid"
for _ in $(seq 1 50); do
	[ "$(lab_log_count 'event=reloaded')" -ge 1 ] && break
	sleep 0.1
done
lab_expect "reloads" "$(lab_log_count 'event=reloaded')" 1
rm -f "$work/acs_media" "$work/gc_media"
lab_uac_bg call5 acs "$here/uac_acs_media.xml" -s +14255550101 -key a_port "$A_PORT" \
	-key a_key "$KA" -key media_file "$work/acs_media" -set hold_ms 4000 \
	-set reinvite 0 -set wait_bye 0
lab_wait_file "$work/acs_media" call5 10 || lab_fail "the ACS caller got no usable 200 (its errors below)"
lab_wait_file "$work/gc_media" genesys 10 || lab_fail "the Genesys side wrote no media file"
gargs=(--expect 100)
run_peers 100 --expect 100
gargs=()
lab_uac_wait call5 15
lab_uas_wait genesys 10
lab_ok "RTP/AVP without a=crypto toward Genesys; 100 packets each way, SRTP (libsrtp2) on the ACS side, plain RTP on the Genesys side"

LAB_STEP="CDR"
lab_cdr_wait 6 5
lab_expect "488 row" "$(lab_sql "select final_status from cdr where answer_ms is null")" 488
rows=$(lab_sql "select json_extract(media,'\$.in.rx_packets') >= 145,
	json_extract(media,'\$.out.rx_packets') >= 145,
	json_extract(media,'\$.in.dropped_foreign') >= 20,
	json_extract(media,'\$.out.dropped_foreign'),
	json_extract(media,'\$.in.stun')
	from cdr where answer_ms is not null order by id limit 1")
# (call 5, SRTP <-> RTP, is the last row)
lab_expect "call 2's media (in rx >= 145 | out rx >= 145 | in foreign >= 20 | out foreign | STUN checks answered)" "$rows" "1|1|1|0|1"
lab_expect "call 4's row (reason | hangup_by)" \
	"$(lab_sql "select reason, hangup_by from cdr where reason like 'media timeout%'")" \
	"media timeout: no RTP from either side for 5s|trunkbridge"
lab_ok "media statistics per leg; the idle call's reason"

lab_finish
