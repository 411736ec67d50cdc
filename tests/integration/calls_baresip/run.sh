#!/usr/bin/env bash
# A real SIP user agent with SDES-SRTP through trunkbridge's media relay:
# baresip (libre's own SRTP, not libsrtp2 and not ours) answers, on the
# Genesys side, a call from the ACS side (SIPp, with rtp_peer on libsrtp2
# for its media), AES_CM_128_HMAC_SHA1_80 on both legs, each leg with
# trunkbridge's own keys:
#   - baresip, behind the lab's Genesys stunnel server, answers
#     trunkbridge's OPTIONS (200: the trunk goes Active) and the INVITE
#     (RTP/SAVP, our a=crypto, telephone-event on dtmf_payload 96), and
#     takes the ACK and the BYE on the connection trunkbridge opened;
#   - no key crosses: the key trunkbridge offers baresip is neither the ACS
#     side's nor the one it answers ACS with, and baresip's key never
#     reaches ACS; the ports ACS and baresip see are trunkbridge's;
#   - ACS -> baresip: rtp_peer's 300 PCMU packets (a known pattern) come
#     out of baresip's decoder byte for byte (G.711 decoded, in the WAV its
#     sndfile filter writes), at least 270 of them: SRTP from libsrtp2,
#     decrypted and re-encrypted by trunkbridge, decrypted by libre; the
#     telephone-event (101 from ACS, 96 toward Genesys) reaches baresip as
#     DTMF '1'; baresip logs no SRTP/SRTCP failure;
#   - baresip -> ACS: baresip's tone (ausine, PCMU) reaches rtp_peer as
#     SRTP that libsrtp2 authenticates under the key trunkbridge gave ACS
#     (srtp_err=0, at least 250 packets, each failing only rtp_peer's
#     pattern check, being baresip's audio), and baresip's SRTCP report
#     arrives as RTCP on the RTP port (rtcp-mux toward ACS, not toward
#     baresip, which offered none);
#   - CDR: one row, 200, hangup_by caller, media statistics of both legs
#     (packets each way, RTCP each way, no SRTP failure).
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
#
# Why baresip answers rather than calls: toward ACS, trunkbridge's Contact
# is its FQDN (sip:sbc1.lab.test:PORT;transport=tls, as Microsoft
# requires) and it does not Record-Route, so a UAC sends its ACK and BYE
# there: baresip would need DNS for sbc1.lab.test and its own TLS from
# 127.0.0.2, which the lab cannot give it (libre has no hosts file and
# connects from the kernel's source address). As the callee, baresip only
# answers on the connection trunkbridge opened, and trunkbridge sends its
# in-dialog requests on that connection.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=calls_baresip
. "$repo/tests/integration/calllab.sh"
peer=$(dirname "$tb")/rtp_peer
[ -x "$peer" ] || { echo "FAIL: $LAB_NAME: $peer not built" >&2; exit 1; }
command -v baresip >/dev/null ||
	{ echo "FAIL: $LAB_NAME: baresip is not installed (scripts/packages.txt: baresip-core)" >&2; exit 1; }
bs_mods=
for d in /usr/lib/baresip/modules /usr/lib/*/baresip/modules /usr/local/lib/baresip/modules; do
	[ -f "$d/srtp.so" ] && { bs_mods=$d; break; }
done
[ -n "$bs_mods" ] || { echo "FAIL: $LAB_NAME: no baresip modules folder with srtp.so" >&2; exit 1; }

lab_init
lab_yaml
# Genesys' "DTMF payload" 96: telephone-event is renumbered across
sed -i 's|^\(    termination_uri: trunkbridge-lab.byoc.lab.test.*\)$|\1\n    dtmf_payload: 96|' "$work/lab.yaml"
grep -q 'dtmf_payload: 96' "$work/lab.yaml" || lab_fail "lab.yaml: no place for dtmf_payload"
lab_stunnel

KA=pSd++oBu5GJV5o8PBqkvMHsl7b/arJIdSl6AmJQD # the ACS side's key
SUITE=AES_CM_128_HMAC_SHA1_80
A_PORT=$(free_port) # rtp_peer's port on 127.0.0.7 (the ACS media processor)
N=300               # packets rtp_peer sends (6 s)

# ---- baresip: the Genesys side ---------------------------------------------
# Where the lab's SIPp UAS "genesys" would listen: the stunnel server at
# 127.0.0.4:LAB_G carries trunkbridge's TLS to it as TCP.
# - net_interface 127.0.0.1: baresip binds its RTP sockets to the wildcard
#   address, so its packets toward trunkbridge (127.0.0.1) leave from
#   127.0.0.1 whatever its SDP says; trunkbridge takes media only from the
#   address in the peer's SDP, so that SDP must say 127.0.0.1.
# - rtp_ports above the kernel's ephemeral range (32768-60999) and the
#   lab's ports (free_port: 12000-31999; media 40000-49099).
# - the accounts: +14255550101 answers (auto, SRTP mandatory, PCMU);
#   trunkbridge's OPTIONS have no user part (sip:127.0.0.4:PORT), which
#   baresip 1.0 answers 404 unless a catch-all account takes them: the
#   b2bua module makes its "inbound" account one (it acts only on calls
#   to that account, and none comes).
# - audio: ausine (a tone; 48 kHz stereo only) as the source, aubridge as
#   a player that plays nowhere; the sndfile filter writes what is sent
#   (dump-*-enc.wav) and what is decoded (dump-*-dec.wav), 8 kHz s16.
bsdir=$work/baresip
mkdir -p "$bsdir"
cat >"$bsdir/config" <<CONF
poll_method		epoll
sip_listen		127.0.0.1:$LAB_UG
net_interface		127.0.0.1
call_local_timeout	10
call_max_calls		4
audio_player		aubridge,nowhere
audio_alert		aubridge,nowhere
audio_source		ausine,440
ausrc_srate		48000
ausrc_channels		2
rtp_ports		62000-63998
rtcp_mux		no
jitter_buffer_delay	1-10
statmode_default	off
module_path		$bs_mods
module			g711.so
module			ausine.so
module			aubridge.so
module			sndfile.so
module			srtp.so
module_tmp		account.so
module_app		menu.so
module_app		b2bua.so
snd_path		$bsdir
CONF
cat >"$bsdir/accounts" <<ACC
<sip:+14255550101@127.0.0.1;transport=tcp>;regint=0;answermode=auto;mediaenc=srtp-mand;audio_codecs=pcmu
<sip:options@127.0.0.1;transport=tcp>;regint=0;b2bua=inbound
<sip:unused@127.0.0.1;transport=tcp>;regint=0;b2bua=outbound
ACC
: >"$bsdir/contacts"
# -s: the SIP trace (the SDPs are checked below); -t: quits by itself
(exec timeout 58 baresip -f "$bsdir" -s -t 55 </dev/null >"$work/baresip.log" 2>&1) &
lab_pid[baresip]=$!

# bs_text: $bs, baresip's log without colours and carriage returns
bs=$work/baresip.txt
bs_text() { sed 's/\x1b\[[0-9;]*m//g' "$work/baresip.log" | tr -d '\r' >"$bs"; }
bs_fail() {
	bs_text
	echo "--- baresip log (last 40 lines)"
	tail -40 "$bs"
	lab_fail "$@"
}

lab_wait_addr 127.0.0.1 "$LAB_UG" 10 || bs_fail "baresip does not listen on 127.0.0.1:$LAB_UG"
lab_uas sip "$here/uas_options.xml" 0 # OPTIONS only
lab_uas sip2 "$here/uas_options.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys (baresip answers OPTIONS) Active"

# ---- the call ---------------------------------------------------------------
LAB_STEP="call: ACS (SIPp, rtp_peer) -> baresip"
lab_uac_bg call acs "$here/uac_acs_srtp.xml" -s +14255550101 -key a_port "$A_PORT" \
	-key a_key "$KA" -key media_file "$work/acs_media" -set hold_ms 8000
lab_wait_file "$work/acs_media" call 10 || bs_fail "the ACS caller got no usable 200 (its errors below)"
read -r tba keya <"$work/acs_media"
[ "$tba" -ge "$LAB_MEDIA_LO" ] && [ "$tba" -le $((LAB_MEDIA_LO + 99)) ] ||
	bs_fail "the port in the 200 to ACS ($tba) is not one of trunkbridge's ($LAB_MEDIA_PORTS)"
# rtp_peer exits 1 here (baresip's audio is not its pattern): its summary
# line is what counts; 2 or 3 (usage, setup) is a failure of the test.
# It listens 1 s past its last packet: baresip's first RTCP report comes
# about 5 s into the call.
"$peer" --local "127.0.0.7:$A_PORT" --remote "127.0.0.1:$tba" --tag A \
	--tx-crypto "$SUITE inline:$KA" --rx-crypto "$SUITE inline:$keya" \
	--rtcp --rtcp-mux --te 101:5 --count "$N" --ptime 20 --expect 0 --linger 1000 \
	--timeout 15 --report "$work/peer_a.txt" >"$work/peer_a.out" 2>&1 &
lab_pid[peer_a]=$!
rc=0
wait "${lab_pid[peer_a]}" || rc=$?
unset "lab_pid[peer_a]"
echo "  ACS side: $(cat "$work/peer_a.out")"
[ "$rc" -le 1 ] || bs_fail "rtp_peer exited $rc"
lab_uac_wait call 15
lab_stop baresip # writes its log and WAVs out
bs_text

# peer_field NAME: a field of rtp_peer's summary line
peer_field() { tr ' ' '\n' <"$work/peer_a.txt" | sed -n "s/^$1=//p"; }

LAB_STEP="SDP on each leg"
# the SDPs baresip got and gave (its SIP trace): "INVITE|200 <m= port> <key>"
sdp=$(awk '
	/^(INVITE|SIP\/2\.0 200) / && /SIP\/2\.0/ { st = ($1 == "INVITE") ? "INVITE" : "200"; port = ""; next }
	/^OPTIONS |^ACK |^BYE |^SIP\/2\.0 [13-6]/ { st = ""; next }
	st != "" && /^m=audio / { port = $2; line = $0 }
	st != "" && /^a=crypto:/ { n = split($0, f, "inline:"); print st, port, substr(f[2], 1, 40), line; st = "" }' "$bs")
offer=$(awk '$1 == "INVITE" { print; exit }' <<<"$sdp")
answer=$(awk '$1 == "200" { print; exit }' <<<"$sdp")
[ -n "$offer" ] && [ -n "$answer" ] || bs_fail "no SDP offer and answer with a=crypto in baresip's trace"
read -r _ tbg keyg mline_g <<<"$offer"
read -r _ bport bkey _ <<<"$answer"
[ "$tbg" -ge "$LAB_MEDIA_LO" ] && [ "$tbg" -le $((LAB_MEDIA_LO + 99)) ] ||
	bs_fail "the port in the offer to baresip ($tbg) is not one of trunkbridge's ($LAB_MEDIA_PORTS)"
[ "$bport" != "$tba" ] || bs_fail "ACS got baresip's port $bport"
case $mline_g in
"m=audio $tbg RTP/SAVP 0 8 96"*) ;;
*) bs_fail "the offer to baresip: '$mline_g', want 'm=audio $tbg RTP/SAVP 0 8 96' (PCMU, PCMA, telephone-event 96)" ;;
esac
[ "$keyg" != "$KA" ] && [ "$keyg" != "$keya" ] && [ "$keyg" != "$bkey" ] && [ "$keya" != "$bkey" ] ||
	bs_fail "a key crossed legs (ACS: ours $keya, theirs $KA; baresip: ours $keyg, theirs $bkey)"
! grep -q -F "$bkey" "$work/call.msg" || bs_fail "baresip's key reached the ACS side"
grep -q "SRTP is Enabled (cryptosuite=$SUITE)" "$bs" || bs_fail "baresip did not enable SRTP with $SUITE"
lab_ok "our ports and keys on each leg (ACS $tba, baresip $tbg), $SUITE, telephone-event 96 toward Genesys"

LAB_STEP="media: ACS -> baresip"
errs=$(grep -c 'srtp: failed to' "$bs" || true)
[ "$errs" -eq 0 ] || bs_fail "baresip failed to decrypt $errs packets: $(grep -m1 'srtp: failed to' "$bs")"
shopt -s nullglob
dec=("$bsdir"/dump-*-dec.wav)
shopt -u nullglob
[ "${#dec[@]}" -eq 1 ] || bs_fail "want one decoded WAV from baresip's sndfile, got ${#dec[@]}"
# its header: PCM, 1 channel, 8000 Hz, 16 bits, samples from byte 44
hdr=$(od -An -v -t u2 --endian=little -j 20 -N 16 "${dec[0]}" | xargs)
tag=$(od -An -c -j 36 -N 4 "${dec[0]}" | tr -d ' ')
[ "$hdr" = "1 1 8000 0 16000 0 2 16" ] && [ "$tag" = data ] ||
	bs_fail "baresip's WAV is not 8 kHz mono s16 with its samples at byte 44 (fmt '$hdr', chunk '$tag')"
# wav_pattern FILE TAG: "<packets> <samples> <peak>": how many of rtp_peer's
# audio packets (tag TAG: byte 0 the tag, 1-4 the index, then tag ^
# (index * 31 + i)) the WAV (8 kHz mono s16, 44-byte header) holds
# decoded, at any offset: 160 samples each within 2 of the G.711 mu-law
# value (baresip's table decodes 0x7f and 0xff to -2 and 2, not 0)
wav_pattern() {
	local tag
	tag=$(printf '%d' "'$2")
	od -An -v -t d2 --endian=little -j 44 -w2 "$1" | awk -v tag="$tag" '
	function ulaw(b,   u, t, e) {
		u = 255 - b; e = int(u / 16) % 8
		t = ((u % 16) * 8 + 132) * 2 ^ e
		return u >= 128 ? 132 - t : t - 132
	}
	function bxor(a, b,   r, i) {
		r = 0
		for (i = 1; i < 256; i *= 2)
			if (int(a / i) % 2 != int(b / i) % 2)
				r += i
		return r
	}
	function near(x, b,   d) { d = x - dec[b]; return d >= -2 && d <= 2 }
	BEGIN { for (b = 0; b < 256; b++) { dec[b] = ulaw(b); tx[b] = bxor(tag, b) } }
	{ s[n++] = $1 + 0 }
	END {
		for (k = 0; k + 160 <= n; k++) {
			if (!near(s[k], tag) || !near(s[k + 1], 0) || !near(s[k + 2], 0))
				continue
			nh = nl = 0
			for (b = 0; b < 256; b++) {
				if (near(s[k + 3], b)) hi[++nh] = b
				if (near(s[k + 4], b)) lo[++nl] = b
			}
			for (a = 1; a <= nh; a++)
				for (c = 1; c <= nl; c++) {
					idx = hi[a] * 256 + lo[c]
					for (i = 5; i < 160; i++)
						if (!near(s[k + i], tx[(idx * 31 + i) % 256]))
							break
					if (i == 160 && !(idx in seen)) { seen[idx] = 1; got++ }
				}
		}
		for (k = 0; k < n; k++) { v = s[k] < 0 ? -s[k] : s[k]; if (v > peak) peak = v }
		printf "%d %d %d\n", got, n, peak
	}'
}
read -r got samples peak < <(wav_pattern "${dec[0]}" A)
echo "  baresip decoded $samples samples (peak $peak): $got of rtp_peer's packets byte for byte"
[ "$got" -ge $((N - 30)) ] || bs_fail "baresip decoded $got of rtp_peer's $N packets (want >= $((N - 30)))"
grep -q "received event: '1' (end=1)" "$bs" ||
	bs_fail "baresip got no telephone-event '1' with its end (101 from ACS, 96 toward it)"
lab_ok "$got packets decoded byte for byte by baresip, DTMF '1' (101 -> 96), no SRTP failure"

LAB_STEP="media: baresip -> ACS"
lab_expect "rtp_peer: packets libsrtp2 could not authenticate" "$(peer_field srtp_err)" 0
lab_expect "rtp_peer: packets from a wrong source" "$(peer_field wrong_src)" 0
rx=$(peer_field rx_total)
[ "${rx:-0}" -ge 250 ] || bs_fail "rtp_peer got ${rx:-0} packets from baresip, want >= 250"
# every packet authenticated and well formed, only not rtp_peer's pattern
lab_expect "rtp_peer: why the first packet was not its pattern" "$(peer_field first_bad)" "tag@-1"
rtcp=$(peer_field rtcp_recv)
[ "${rtcp:-0}" -ge 1 ] || bs_fail "rtp_peer got no RTCP from baresip (SRTCP, relayed with rtcp-mux)"
lab_ok "$rx packets from baresip authenticated by libsrtp2, $rtcp RTCP (mux)"

LAB_STEP="CDR"
lab_cdr_wait 1 5
lab_expect "status | hangup_by" "$(lab_sql "select final_status, hangup_by from cdr")" "200|caller"
rows=$(lab_sql "select json_extract(media,'\$.in.rx_packets') >= $((N - 5)),
	json_extract(media,'\$.out.tx_packets') >= $((N - 5)),
	json_extract(media,'\$.out.rx_packets') >= 250,
	json_extract(media,'\$.in.tx_packets') >= 250,
	json_extract(media,'\$.in.rx_rtcp') >= 1, json_extract(media,'\$.out.rx_rtcp') >= 1,
	json_extract(media,'\$.in.dropped_srtp'), json_extract(media,'\$.out.dropped_srtp')
	from cdr")
lab_expect "media (in rx | out tx >= $((N - 5)) | out rx | in tx >= 250 | rtcp in | out | srtp drops in | out)" \
	"$rows" "1|1|1|1|1|1|0|0"
lab_ok "media statistics of both legs: $(lab_sql "select media from cdr")"

lab_finish
