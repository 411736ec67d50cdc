#!/usr/bin/env bash
# make demo: what trunkbridge does today, on a fresh machine.
# Decodes captured messages of both clouds with `trunkbridge decode`: an ACS
# INVITE (PSTN -> Genesys), a Genesys INVITE (Genesys -> PSTN), an ACS 200 OK,
# and a malformed INVITE, which is refused with the status a server answers.
# Then a small lab on loopback: trunkbridge runs with a TLS listener and an
# ACS trunk whose server (SIPp behind a stunnel TLS server with an ACS-like
# certificate that asks for ours) answers the OPTIONS pings: the trunk goes
# Active, then Inactive with the reason when that server stops.
# Then the call lab (tests/integration/calllab.sh, examples/lab.yaml): both
# trunks go Active, one call each way (PSTN -> Genesys, Genesys -> PSTN) and
# one that fails over from a busy Microsoft proxy (503) to the next; the
# CDR rows as a table; `trunkbridge status`, a few /metrics series and
# the SIP trace file (tshark). Runs to the end by itself (CI runs `make demo`),
# in about 30 s. Exits non-zero if anything is not as expected; stops every
# process it started.
set -uo pipefail
tb=$(readlink -f "${1:-build/trunkbridge}")
dir=$(cd "$(dirname "$0")" && pwd)/messages
fail=0

show() { # file, expected exit code, title
	printf '\n=== %s\n$ trunkbridge decode examples/messages/%s\n' "$3" "$1"
	"$tb" decode "$dir/$1"
	local rc=$?
	if [ "$rc" -ne "$2" ]; then
		echo "demo: expected exit $2 from decode $1, got $rc" >&2
		fail=1
	fi
}

show acs-invite.sip 0 "PSTN -> Genesys: the INVITE ACS sends us"
show genesys-invite.sip 0 "Genesys -> PSTN: the INVITE Genesys sends us"
show acs-200-ok.sip 0 "ACS answers our INVITE"
show malformed-invite.sip 1 "A malformed INVITE (CSeq beyond 2^32-1)"
printf '\n=== Paste your own: trunkbridge decode < captured.txt   (--crlf for log copies)\n'

# --- the lab: OPTIONS health of an ACS trunk over TLS -----------------------
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
pids=()
stop_pids() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap 'stop_pids; rm -rf "$work"' EXIT
printf '\n=== Lab: trunkbridge pings an ACS-like server over TLS (certificates from a test CA)\n'
bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null
. "$repo/tests/integration/lib.sh"
tb_port=$(free_port); acs_tls=$(free_port); acs_sip=$(free_port)
cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel.log
[acs]
accept = 127.0.0.1:$acs_tls
connect = 127.0.0.1:$acs_sip
cert = $work/certs/acs1.pem
key = $work/certs/acs1.key
CAfile = $work/certs/ca.pem
verifyChain = yes
requireCert = yes
CONF
stunnel4 "$work/stunnel.conf" 2>/dev/null &
pids+=($!)
(cd "$work" && exec sipp -sf "$repo/tests/integration/options_health/uas_options.xml" \
	-t t1 -i 127.0.0.1 -p "$acs_sip" >/dev/null 2>&1) &
sipp_pid=$!
pids+=($sipp_pid)
wait_port "$acs_sip" 10 && wait_port "$acs_tls" 10 || { echo "demo: the lab's peers did not start" >&2; fail=1; }
cat >"$work/lab.yaml" <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $work/certs/sbc1.pem
  private_key: $work/certs/sbc1.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $tb_port }
timers: { t1: 100ms }
trunks:
  acs:
    profile: acs-direct-routing
    servers: [ "localhost:$acs_tls" ]
    tls: { peer_names: [ "*.pstnhub.lab.test" ], ca_file: $work/certs/ca.pem }
    options_interval: 5s
    down_after: 1
YAML
echo "\$ trunkbridge run -c lab.yaml"
"$tb" run -c "$work/lab.yaml" 2>"$work/tb.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'trunk_status=Active' "$work/tb.log" && break; sleep 0.1; done
grep -q 'trunk_status=Active' "$work/tb.log" || { echo "demo: the ACS trunk did not go Active" >&2; fail=1; }
kill "$sipp_pid" 2>/dev/null; wait "$sipp_pid" 2>/dev/null
for _ in $(seq 1 150); do grep -q 'trunk_status=Inactive' "$work/tb.log" && break; sleep 0.1; done
grep -q 'trunk_status=Inactive' "$work/tb.log" || { echo "demo: the ACS trunk did not go Inactive" >&2; fail=1; }
grep -v 'warning:\|0 errors' "$work/tb.log" | sed 's/^/  /'
stop_pids

# --- the call lab: ACS <-> trunkbridge <-> Genesys -----------------------------
# In a subshell: calllab.sh sets its own work folder and EXIT trap, and its
# lab_fail exits (the subshell only) after printing what went wrong.
call_lab() {
	LAB_NAME=demo LAB_CERTS_FROM=$work/certs
	. "$repo/tests/integration/calllab.sh"
	local it=$repo/tests/integration n
	# show: the log lines from line $1 on, without timestamps
	since() { tail -n +"$1" "$work/tb.log" | grep 'event=call_\|event=source\|event=transfer_' |
		sed -E 's/^ts=[^ ]+ level=[a-z]+ module=[a-z0-9]+ /    /'; }
	lab_init
	lab_yaml
	# Genesys' "DTMF payload" 96 (the ACS side uses 101): renumbered across
	sed -i 's|^\(    termination_uri: trunkbridge-lab.byoc.lab.test.*\)$|\1\n    dtmf_payload: 96|' "$work/lab.yaml"
	# the admin endpoint (status, metrics) and a SIP trace of every message
	local admin_port
	admin_port=$(free_port)
	cat >>"$work/lab.yaml" <<YAML

admin: { listen: "127.0.0.1:$admin_port" }
trace:
  pcap: { dir: $work/trace, max_file_size: 10MB, max_files: 5 }
YAML
	printf '\n=== Lab: calls between ACS and Genesys (examples/lab.yaml; TLS everywhere)\n'
	echo "  ACS:     Microsoft's SIP proxies sip 127.0.0.2:$LAB_S1, sip2 127.0.0.3:$LAB_S2 (SIPp behind stunnel)"
	echo "  Genesys: the BYOC trunk 127.0.0.4:$LAB_G (SIPp behind stunnel)"
	echo "  trunkbridge: sbc1.lab.test, tls 127.0.0.1:$LAB_TB; callers connect from 127.0.0.2 (ACS) and 127.0.0.4 (Genesys)"
	echo "  media: trunkbridge's relay on 127.0.0.1:$LAB_MEDIA_PORTS; the phones' media: 127.0.0.7 (ACS side), 127.0.0.6 (Genesys side)"
	lab_stunnel
	local ka=pSd++oBu5GJV5o8PBqkvMHsl7b/arJIdSl6AmJQD kg=d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj
	local pa pg suite=AES_CM_128_HMAC_SHA1_80
	pa=$(free_port) pg=$(free_port)
	lab_uas genesys "$it/calls_media/uas_genesys_media.xml" 1 -key g_port "$pg" -key g_key "$kg" \
		-key media_file "$work/gc_media"
	lab_uas sip "$it/calls_genesys_to_acs/uas_acs.xml" 2 -set busy +12065550199
	lab_uas sip2 "$it/calls_genesys_to_acs/uas_acs.xml" 1
	echo "\$ trunkbridge run -c lab.yaml"
	lab_tb_start
	LAB_STEP="trunks" lab_wait_active
	grep 'event=trunk_state' "$work/tb.log" | sed -E 's/^ts=[^ ]+ level=[a-z]+ module=[a-z0-9]+ /    /'
	printf '\n$ trunkbridge status -c lab.yaml     (the admin endpoint'"'"'s /status as a table; exit 0: every trunk Active)\n'
	"$tb" status -c "$work/lab.yaml" | sed 's/^/  /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || LAB_STEP="status" lab_fail "trunkbridge status did not exit 0"

	printf '\n--- Call 1: PSTN -> Genesys (the ACS caller dials +14255550100), with SRTP media\n'
	n=$(($(wc -l <"$work/tb.log") + 1))
	LAB_STEP="call 1" lab_uac_bg acs1 acs "$it/calls_media/uac_acs_media.xml" -s +14255550100 \
		-key a_port "$pa" -key a_key "$ka" -key media_file "$work/acs_media" \
		-set hold_ms 4000 -set reinvite 0 -set wait_bye 0
	LAB_STEP="call 1" lab_wait_file "$work/acs_media" acs1 10 || LAB_STEP="call 1" lab_fail "no answer"
	LAB_STEP="call 1" lab_wait_file "$work/gc_media" genesys 10 || LAB_STEP="call 1" lab_fail "no answer"
	local tba keya tbg keyg
	read -r tba keya <"$work/acs_media"
	read -r tbg keyg <"$work/gc_media"
	echo "  the ACS side offered 127.0.0.7:$pa with its key; it got trunkbridge's answer:"
	lab_msg_body acs1 "SIP/2.0 200" | grep -E '^(c=|m=|a=crypto|a=ice-lite|a=candidate)' | sed 's/^/      /'
	echo "  Genesys got trunkbridge's offer (its own port and key; telephone-event 101 -> 96):"
	lab_msg_body genesys "INVITE " | grep -E '^(c=|m=|a=crypto|a=rtpmap:96)' | sed 's/^/      /'
	echo "  \$ rtp_peer (libsrtp2) on each side: 100 SRTP packets each way and a DTMF event"
	"$(dirname "$tb")/rtp_peer" --local "127.0.0.7:$pa" --remote "127.0.0.1:$tba" --tag A \
		--tx-crypto "$suite inline:$ka" --rx-crypto "$suite inline:$keya" --count 100 --delay 300 \
		--te 101:5 --expect-te 101:5 --expect 95 --timeout 10 >"$work/peer_a.out" 2>&1 &
	local ppa=$!
	"$(dirname "$tb")/rtp_peer" --local "127.0.0.6:$pg" --remote "127.0.0.1:$tbg" --tag B \
		--tx-crypto "$suite inline:$kg" --rx-crypto "$suite inline:$keyg" --count 100 --delay 300 \
		--te 96:5 --expect-te 96:5 --expect 95 --timeout 10 >"$work/peer_g.out" 2>&1 &
	local ppg=$! ra=0 rg=0
	wait "$ppa" || ra=$?
	wait "$ppg" || rg=$?
	echo "      ACS side:     $(cut -c1-120 "$work/peer_a.out")"
	echo "      Genesys side: $(cut -c1-120 "$work/peer_g.out")"
	[ "$ra" -eq 0 ] && [ "$rg" -eq 0 ] || LAB_STEP="call 1" lab_fail "media did not cross (rtp_peer above)"
	LAB_STEP="call 1" lab_uac_wait acs1 10
	echo "  trunkbridge:"; since "$n"

	printf '\n--- Call 2: Genesys -> PSTN (an agent dials +12065550123)\n'
	n=$(($(wc -l <"$work/tb.log") + 1))
	LAB_STEP="call 2" lab_uac gc2 gc "$it/calls_genesys_to_acs/uac_gc.xml" -s +12065550123 ||
		LAB_STEP="call 2" lab_fail "the Genesys caller's SIPp exited $?"
	echo "  the Genesys caller saw:"; lab_sipp_flow gc2 | sed 's/^/  /'
	echo "  ACS (sip) got: $(lab_recv_lines sip "INVITE " | head -1)"
	echo "  trunkbridge:"; since "$n"

	printf '\n--- Call 3: Genesys -> PSTN, sip busy (503 + Retry-After): failover to sip2\n'
	n=$(($(wc -l <"$work/tb.log") + 1))
	LAB_STEP="call 3" lab_uac gc3 gc "$it/calls_genesys_to_acs/uac_gc.xml" -s +12065550199 ||
		LAB_STEP="call 3" lab_fail "the Genesys caller's SIPp exited $?"
	echo "  the Genesys caller saw:"; lab_sipp_flow gc3 | sed 's/^/  /'
	echo "  trunkbridge:"; since "$n"

	LAB_STEP="peers" lab_uas_wait genesys
	LAB_STEP="peers" lab_uas_wait sip
	LAB_STEP="peers" lab_uas_wait sip2

	printf '\n--- Call 4: PSTN -> Genesys; the agent transfers it to +15551230000 (REFER):\n'
	printf '    trunkbridge calls out through ACS with the Original Called Address in Diversion\n'
	lab_uas genesys "$it/calls_xfer_genesys/uas_genesys_xfer.xml" 1
	lab_uas sip "$it/calls_xfer_genesys/uas_acs_xfer.xml" 1
	n=$(($(wc -l <"$work/tb.log") + 1))
	LAB_STEP="call 4" lab_uac acs4 acs "$it/calls_xfer_genesys/uac_acs_xfer.xml" -s +14255550102 ||
		LAB_STEP="call 4" lab_fail "the ACS caller's SIPp exited $?"
	LAB_STEP="call 4" lab_uas_wait genesys
	LAB_STEP="call 4" lab_uas_wait sip
	echo "  Genesys (the agent) sent REFER twice and got: $(lab_sipp_flow genesys |
		sed -nE 's/^ *<- SIP\/2.0 (202|404) .*/\1/p' | tr '\n' ' ')then $(lab_sipp_flow genesys |
		grep -c '<- NOTIFY') NOTIFYs (100 Trying, 180 Ringing, 200 OK)"
	echo "  ACS (sip) got: $(lab_recv_lines sip "INVITE " | head -1)"
	echo "                 Diversion: $(lab_recv_header sip "INVITE " Diversion | head -1)"
	echo "  trunkbridge:"; since "$n"

	LAB_STEP="CDR" lab_cdr_wait 5
	printf '\n--- CDR: sqlite3 -header -column cdr.db "select ... from cdr_view"\n'
	sqlite3 -header -column "$LAB_CDR" "select in_trunk, out_trunk, in_calling, in_called,
		out_called, final_status as status, hangup_by, failover_attempts as failover,
		answered_by, duration_s, substr(reason, 1, 11) as reason,
		transferred_from is not null as xfer_leg,
		json_extract(media, '\$.in.rx_packets') as rtp_in,
		json_extract(media, '\$.out.rx_packets') as rtp_out
		from cdr_view order by id" | sed 's/^/  /'

	printf '\n--- Metrics: curl http://127.0.0.1:%s/metrics   (Prometheus text; docs/admin.md has them all)\n' "$admin_port"
	curl -s -m 5 "http://127.0.0.1:$admin_port/metrics" >"$work/metrics.txt" ||
		LAB_STEP="metrics" lab_fail "curl /metrics failed"
	grep -E '^trunkbridge_(calls_total|call_rate|trunk_calls_total\{trunk="(acs|genesys)",direction="(inbound|outbound)",outcome="answered"\}|media_relayed_packets_total|failovers_total|transfers_total\{result="done"\}|trace_messages_total\{result="written"\})' \
		"$work/metrics.txt" | sed 's/^/  /'
	grep -q '^trunkbridge_trunk_calls_total{trunk="acs",direction="inbound",outcome="answered"} [1-9]' "$work/metrics.txt" ||
		LAB_STEP="metrics" lab_fail "no answered inbound ACS call in /metrics"

	local pcap
	pcap=$(ls "$work"/trace/trunkbridge-*.pcap 2>/dev/null | head -1)
	sleep 1.2 # the trace is written out every second
	printf '\n--- SIP trace: %s (every message, TLS as the SIP it carried)\n' "trace/$(basename "${pcap:-none}")"
	printf '    open it with Wireshark, sngrep, or: tshark -r FILE -Y sip\n'
	if [ -n "$pcap" ] && command -v tshark >/dev/null; then
		tshark -r "$pcap" -Y 'sip.CSeq.method == "INVITE" && (sip.Method == "INVITE" || sip.Status-Code >= 180)' \
			-T fields -E separator=' ' -e frame.number -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport \
			-e sip.Method -e sip.Status-Code -e sip.to.user 2>/dev/null | head -12 |
			awk '{ printf "    #%-4s %s:%s -> %s:%s  %s %s\n", $1, $2, $3, $4, $5, $6, $7 }'
		[ "$(tshark -r "$pcap" -Y sip 2>/dev/null | wc -l)" -gt 20 ] ||
			LAB_STEP="trace" lab_fail "the trace file holds too few SIP messages"
	else
		LAB_STEP="trace" lab_fail "no pcap in $work/trace"
	fi
	lab_finish >/dev/null
	echo "  (trunkbridge stopped: SIGTERM, exit 0)"
}
( call_lab ) || { echo "demo: the call lab failed (above)" >&2; fail=1; }

[ "$fail" -eq 0 ] && echo "demo: ok" || echo "demo: FAILED"
exit "$fail"
