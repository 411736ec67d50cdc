# calllab.sh: the call lab of the calls_* integration tests and of
# `make demo`. Sourced, never run. Bash 4+.
#
# One trunkbridge between an ACS Direct Routing trunk and a Genesys Cloud
# BYOC trunk, TLS everywhere, every peer on its own loopback address (the
# address trunkbridge sees is what tells it which trunk a request is from).
# Debian's SIPp has no TLS, so SIPp speaks TCP and stunnel carries TLS:
#
#   ACS caller  SIPp UAC -i 127.0.0.2 -> 127.0.0.1:LAB_ACS_IN stunnel client
#               (local = 127.0.0.2, cert acs1, checks sbc1.lab.test) -TLS->
#   Genesys     SIPp UAC -i 127.0.0.4 -> 127.0.0.1:LAB_GC_IN stunnel client
#   caller      (local = 127.0.0.4, no client cert: Genesys has no mTLS) -TLS->
#   outsider    any TCP client -> 127.0.0.1:LAB_OUT_IN stunnel client
#               (local = 127.0.0.9: in no trunk's allow list) -TLS->
#   ACS, second SIPp UAC -i 127.0.0.3 -> 127.0.0.1:LAB_ACS2_IN stunnel client
#   address     (local = 127.0.0.3, cert acs2) -TLS->   only with
#               LAB_ACS2_CALLER=1: Microsoft's other proxy address, e.g. a
#               REFER on a connection of its own (interop 1.8, F17)
#
#       trunkbridge, tls 127.0.0.1:LAB_TB (sbc1.lab.test; examples/lab.yaml)
#
#   -TLS-> 127.0.0.2:LAB_S1 stunnel server (acs1, demands our certificate)
#          -> SIPp UAS "sip"     127.0.0.1:LAB_U1   (sip.pstnhub)
#   -TLS-> 127.0.0.3:LAB_S2 stunnel server (acs2, demands our certificate)
#          -> SIPp UAS "sip2"    127.0.0.1:LAB_U2   (sip2.pstnhub)
#   -TLS-> 127.0.0.4:LAB_G  stunnel server (genesys)
#          -> SIPp UAS "genesys" 127.0.0.1:LAB_UG   (the BYOC trunk)
#
# Every lab UAS scenario answers trunkbridge's OPTIONS pings itself (an
# optional first <recv request="OPTIONS">: in server mode each new Call-ID
# is a call of the main scenario, so SIPp's -aa would leave a call waiting
# for an INVITE), writes its messages (-trace_msg) and unexpected ones
# (-trace_err) into the work folder, and stops by itself once it has
# handled `-set target N` calls (it declares the globals ncalls and target
# and ends with the same counter). Its Contact is the stunnel address
# (-key contact_host 127.0.0.x:PORT), so that in-dialog requests toward it
# stay on TLS.
#
# Usage (see tests/integration/calls_*/run.sh):
#   tb=...; repo=...; LAB_NAME=calls_x
#   . "$repo/tests/integration/calllab.sh"
#   lab_init                       # work dir, trap, certificates, ports
#   lab_yaml                       # $work/lab.yaml from examples/lab.yaml
#   lab_stunnel                    # every stunnel service, waits for them
#   lab_uas genesys XML CALLS [sipp args]
#   lab_tb_start; lab_wait_active  # both trunks (and every server) Active
#   lab_uac NAME acs|gc XML [sipp args] || lab_fail "..."
#   lab_uac_bg NAME acs|gc XML [sipp args]; ...; lab_uac_wait NAME
#   lab_uas_wait genesys           # its exit status (0: every check held)
#   lab_msg_field NAME received "INVITE " To | lab_nth 1; lab_log_count ERE
#   lab_cdr_wait N; lab_sql "select ... from cdr_view"
#   lab_finish                     # SIGTERM trunkbridge: exit 0, no ASan report
#
# Set LAB_STEP to say which part of the scenario runs: lab_fail prints it,
# each SIPp's error lines, the start lines of the messages it saw,
# trunkbridge's log tail and stunnel's. LAB_KEEP=1 keeps the work folder.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${repo:=$(cd "$LAB_DIR/../.." && pwd)}"
: "${LAB_NAME:=calls}"
LAB_STEP=
LAB_ACS2_IN= # set by lab_stunnel when LAB_ACS2_CALLER=1
declare -gA lab_pid=()  # name -> PID of every process the lab started (global:
                        # calllab.sh may be sourced inside a function, as demo.sh does)
declare -ga lab_sipp=() # names of the SIPp instances, in start order
lab_tb_pid=

# ---- failure report -------------------------------------------------------

# lab_sipp_errors NAME: SIPp's error file, one record per line (SIPp runs
# them together), without its banner and -aa's automatic-answer notes.
lab_sipp_errors() {
	local f=$work/$1.err
	[ -s "$f" ] || return 0
	sed -E 's/([0-9]{4}-[0-9]{2}-[0-9]{2}\t[0-9:.]+\t[0-9.]+: )/\n\1/g' "$f" |
		awk '/^[0-9]{4}-[0-9]{2}-[0-9]{2}\t/ { skip = /Automatic response mode|The following events occurred/ }
		     !skip && NF' || true
}

# lab_sipp_flow NAME: one line per message NAME sent or received:
# "<- INVITE sip:..." (received) / "-> SIP/2.0 200 OK" (sent).
lab_sipp_flow() {
	local f=$work/$1.msg
	[ -s "$f" ] || return 0
	awk '/message received/ { d = "<-"; want = 1; next }
	     /message sent/     { d = "->"; want = 1; next }
	     want && NF         { sub(/\r$/, ""); print "  " d " " $0; want = 0 }' "$f" |
		grep -v -e 'OPTIONS sip:' -e ' OPTIONS$' || true
}

lab_report() {
	local n
	for n in "${lab_sipp[@]}"; do
		if [ -n "$(lab_sipp_errors "$n")" ]; then
			echo "--- SIPp $n: errors ($n.err, last 40 lines)"
			lab_sipp_errors "$n" | tail -40
		fi
		if [ -s "$work/$n.msg" ]; then
			echo "--- SIPp $n: messages (OPTIONS left out; last 14)"
			lab_sipp_flow "$n" | tail -14
		elif [ -s "$work/$n.out" ]; then
			echo "--- SIPp $n: output (last 8 lines)"
			tail -8 "$work/$n.out"
		fi
	done
	if [ -f "$work/tb.log" ]; then
		echo "--- trunkbridge log (last 30 lines; a sanitizer's shadow-byte map left out)"
		awk '/^Shadow bytes around/ { skip = 1 } !skip; /^==[0-9]+==ABORTING/ { skip = 0 }' "$work/tb.log" | tail -30
	fi
	if [ -s "$work/stunnel.log" ]; then
		echo "--- stunnel log (last 8 lines)"
		tail -8 "$work/stunnel.log"
	fi
}

# lab_fail MESSAGE: the report, then exit 1 (never call it inside $(...)).
lab_fail() {
	echo "FAIL: $LAB_NAME: ${LAB_STEP:+$LAB_STEP: }$*"
	lab_report
	exit 1
}

lab_ok() { echo "ok: ${LAB_STEP:+$LAB_STEP: }$*"; }

# ---- processes ------------------------------------------------------------

# lab_stop NAME: SIGTERM, at most 5 s, then SIGKILL; reaped.
lab_stop() {
	local p=${lab_pid[$1]:-}
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	unset "lab_pid[$1]"
}

lab_cleanup() {
	local n
	for n in "${!lab_pid[@]}"; do kill "${lab_pid[$n]}" 2>/dev/null || true; done
	for n in "${!lab_pid[@]}"; do lab_stop "$n"; done
	if [ "${LAB_KEEP:-0}" = 1 ]; then
		echo "lab: work folder kept: $work"
	else
		rm -rf "$work"
	fi
}

# lab_wait_addr HOST PORT [SECONDS]: until something accepts on HOST:PORT.
lab_wait_addr() {
	for _ in $(seq 1 $((${3:-10} * 10))); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- setup ----------------------------------------------------------------

lab_init() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/$LAB_NAME.XXXXXX")
	trap lab_cleanup EXIT
	. "$LAB_DIR/lib.sh"
	local t
	for t in sipp stunnel4 sqlite3 openssl timeout; do
		command -v "$t" >/dev/null || lab_fail "$t is not installed (scripts/deps.sh installs it)"
	done
	[ -x "$tb" ] || lab_fail "no trunkbridge binary at '$tb'"
	# LAB_CERTS_FROM: a folder make-certs.sh already filled (saves ~5 s)
	if [ -n "${LAB_CERTS_FROM:-}" ] && [ -f "$LAB_CERTS_FROM/.complete" ]; then
		cp -R "$LAB_CERTS_FROM" "$work/certs"
	else
		bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null ||
			lab_fail "tests/certs/make-certs.sh failed"
	fi
	LAB_CERTS=$work/certs
	LAB_TB=$(free_port) LAB_S1=$(free_port) LAB_S2=$(free_port) LAB_G=$(free_port)
	LAB_U1=$(free_port) LAB_U2=$(free_port) LAB_UG=$(free_port)
	LAB_ACS_IN=$(free_port) LAB_GC_IN=$(free_port) LAB_OUT_IN=$(free_port)
	LAB_CDR=$work/cdr.db
	# media: 100 ports (50 pairs, two per call) from an even base
	LAB_MEDIA_LO=$((40000 + (RANDOM % 90) * 100))
	LAB_MEDIA_PORTS="$LAB_MEDIA_LO-$((LAB_MEDIA_LO + 99))"
	: "${LAB_MEDIA_IDLE:=60s}"
}

# lab_yaml [TEMPLATE]: writes $work/lab.yaml from examples/lab.yaml with this
# lab's ports and paths. Append to it (or sed it) before lab_tb_start.
lab_yaml() {
	sed -e "s|@CERTS@|$LAB_CERTS|g" -e "s|@WORK@|$work|g" -e "s|@TB_PORT@|$LAB_TB|g" \
		-e "s|@S1@|$LAB_S1|g" -e "s|@S2@|$LAB_S2|g" -e "s|@G@|$LAB_G|g" \
		-e "s|@MEDIA_PORTS@|$LAB_MEDIA_PORTS|g" -e "s|@MEDIA_IDLE@|$LAB_MEDIA_IDLE|g" \
		"${1:-$repo/examples/lab.yaml}" >"$work/lab.yaml"
	! grep -n '@[A-Z_0-9]*@' "$work/lab.yaml" || lab_fail "lab.yaml: a placeholder is left"
}

# lab_stunnel: every stunnel service above, in one stunnel; waits until
# each listens. LAB_ACS2_CALLER=1 (set before) adds the service acs2-caller
# (LAB_ACS2_IN, from 127.0.0.3 with certificate acs2: lab_uac's caller
# acs2); without it the configuration is the same as ever.
lab_stunnel() {
	local c=$LAB_CERTS acs2="" client="client = yes
CAfile = $LAB_CERTS/ca.pem
verifyChain = yes
checkHost = sbc1.lab.test
sni = sbc1.lab.test
sslVersionMin = TLSv1.2"
	if [ "${LAB_ACS2_CALLER:-0}" = 1 ]; then
		LAB_ACS2_IN=$(free_port)
		acs2="[acs2-caller]
accept = 127.0.0.1:$LAB_ACS2_IN
connect = 127.0.0.1:$LAB_TB
local = 127.0.0.3
cert = $c/acs2.pem
key = $c/acs2.key
$client"
	fi
	cat >"$work/stunnel.conf" <<CONF
foreground = yes
pid =
output = $work/stunnel.log
; --- the ACS side: Microsoft's SIP proxies ask for our client certificate
[sip]
accept = 127.0.0.2:$LAB_S1
connect = 127.0.0.1:$LAB_U1
cert = $c/acs1.pem
key = $c/acs1.key
CAfile = $c/ca.pem
verifyChain = yes
requireCert = yes
[sip2]
accept = 127.0.0.3:$LAB_S2
connect = 127.0.0.1:$LAB_U2
cert = $c/acs2.pem
key = $c/acs2.key
CAfile = $c/ca.pem
verifyChain = yes
requireCert = yes
; --- the Genesys BYOC trunk: one-way TLS
[genesys]
accept = 127.0.0.4:$LAB_G
connect = 127.0.0.1:$LAB_UG
cert = $c/genesys.pem
key = $c/genesys.key
; --- callers toward trunkbridge, each from its own address
[acs-caller]
accept = 127.0.0.1:$LAB_ACS_IN
connect = 127.0.0.1:$LAB_TB
local = 127.0.0.2
cert = $c/acs1.pem
key = $c/acs1.key
$client
[gc-caller]
accept = 127.0.0.1:$LAB_GC_IN
connect = 127.0.0.1:$LAB_TB
local = 127.0.0.4
$client
[outsider]
accept = 127.0.0.1:$LAB_OUT_IN
connect = 127.0.0.1:$LAB_TB
local = 127.0.0.9
$client
CONF
	[ -z "$acs2" ] || printf '%s\n' "$acs2" >>"$work/stunnel.conf"
	stunnel4 "$work/stunnel.conf" >"$work/stunnel.out" 2>&1 &
	lab_pid[stunnel]=$!
	local a
	for a in 127.0.0.2:$LAB_S1 127.0.0.3:$LAB_S2 127.0.0.4:$LAB_G \
		127.0.0.1:$LAB_ACS_IN 127.0.0.1:$LAB_GC_IN 127.0.0.1:$LAB_OUT_IN ${LAB_ACS2_IN:+127.0.0.1:$LAB_ACS2_IN}; do
		lab_wait_addr "${a%:*}" "${a##*:}" 10 || lab_fail "stunnel does not listen on $a ($(tail -3 "$work/stunnel.log" "$work/stunnel.out" 2>/dev/null))"
	done
}

# lab_uas NAME XML CALLS [sipp args...]: the SIPp UAS playing trunk server
# NAME (sip, sip2 or genesys) behind its stunnel server; it stops by itself
# after CALLS calls (0: never; stopped at cleanup).
lab_uas() {
	local name=$1 xml=$2 calls=$3 port contact
	shift 3
	case $name in
	sip) port=$LAB_U1 contact=127.0.0.2:$LAB_S1 ;;
	sip2) port=$LAB_U2 contact=127.0.0.3:$LAB_S2 ;;
	genesys) port=$LAB_UG contact=127.0.0.4:$LAB_G ;;
	*) lab_fail "lab_uas: unknown server $name" ;;
	esac
	[ "$calls" -gt 0 ] || calls=1000000
	(cd "$work" && exec timeout 58 sipp -sf "$xml" -t t1 -i 127.0.0.1 -p "$port" \
		-nostdin -timeout 55 -timeout_error -recv_timeout 10000 \
		-trace_err -error_file "$work/$name.err" -trace_msg -message_file "$work/$name.msg" \
		-key contact_host "$contact" -key tb_port "$LAB_TB" -set target "$calls" \
		"$@") >"$work/$name.out" 2>&1 &
	lab_pid[$name]=$!
	lab_sipp+=("$name")
	lab_wait_addr 127.0.0.1 "$port" 10 || lab_fail "SIPp UAS $name did not start: $(tail -5 "$work/$name.out")"
}

# lab_uas_wait NAME [SECONDS]: waits (bounded) for UAS NAME to stop after
# its calls; fails unless it exited 0 (each of its checks held).
lab_uas_wait() {
	local name=$1 p=${lab_pid[$1]:-} rc=0
	[ -n "$p" ] || lab_fail "lab_uas_wait: no UAS $name"
	for _ in $(seq 1 $((${2:-10} * 10))); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && lab_fail "SIPp UAS $name did not see the end of its calls"
	wait "$p" || rc=$?
	unset "lab_pid[$name]"
	[ "$rc" -eq 0 ] || lab_fail "SIPp UAS $name exited $rc (1: a check or an expected message failed; 255: timeout)"
}

# lab_uac NAME CALLER XML [sipp args...]: runs a SIPp UAC as the ACS caller
# (CALLER acs), the Genesys caller (gc) or, with LAB_ACS2_CALLER=1,
# Microsoft's second address (acs2) toward trunkbridge, in the foreground,
# one call unless told (-m); returns SIPp's exit status. Its Call-IDs are
# recognisable, so that a leak to the other leg shows:
# N-acsleg-PID@sip.pstnhub.lab.test, N-gcleg-PID@voice.genesys.lab.test
# (acs2: N-acs2leg-PID@sip.pstnhub.lab.test). A later -cid_str in the sipp
# args wins (a request in an existing dialog: -cid_str "$callid").
lab_uac() {
	local name=$1 caller=$2 xml=$3 port ip cid rc=0
	shift 3
	lab_caller "$caller"
	lab_sipp+=("$name")
	(lab_uac_exec "$name" "$port" "$ip" "$cid" "$xml" "$@") || rc=$?
	return "$rc"
}

# lab_uac_bg NAME CALLER XML [sipp args...]: lab_uac (same callers and
# options) in the background, e.g. a caller that writes its dialog's ids to
# a file (lab_wait_file) while another SIPp acts on that dialog. Its PID is
# lab_pid[NAME] (stopped at cleanup); lab_uac_wait NAME collects it.
lab_uac_bg() {
	local name=$1 caller=$2 xml=$3 port ip cid
	shift 3
	lab_caller "$caller"
	lab_sipp+=("$name")
	(lab_uac_exec "$name" "$port" "$ip" "$cid" "$xml" "$@") &
	lab_pid[$name]=$!
}

# lab_uac_wait NAME [SECONDS]: waits (bounded, 10 s) for the background
# caller NAME of lab_uac_bg; fails unless it exited 0.
lab_uac_wait() {
	local name=$1 p=${lab_pid[$1]:-} rc=0
	[ -n "$p" ] || lab_fail "lab_uac_wait: no caller $name"
	for _ in $(seq 1 $((${2:-10} * 10))); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && lab_fail "SIPp caller $name did not end within ${2:-10} s"
	wait "$p" || rc=$?
	unset "lab_pid[$name]"
	[ "$rc" -eq 0 ] || lab_fail "SIPp caller $name exited $rc (1: a check or an expected message failed; 124: killed by timeout)"
}

# lab_caller CALLER: sets port, ip and cid (locals of lab_uac and
# lab_uac_bg) to CALLER's stunnel client port, source address and Call-ID
# pattern.
lab_caller() {
	case $1 in
	acs) port=$LAB_ACS_IN ip=127.0.0.2 cid=%u-acsleg-%p@sip.pstnhub.lab.test ;;
	acs2)
		[ -n "$LAB_ACS2_IN" ] || lab_fail "lab_uac: caller acs2 needs LAB_ACS2_CALLER=1 before lab_stunnel"
		port=$LAB_ACS2_IN ip=127.0.0.3 cid=%u-acs2leg-%p@sip.pstnhub.lab.test ;;
	gc) port=$LAB_GC_IN ip=127.0.0.4 cid=%u-gcleg-%p@voice.genesys.lab.test ;;
	*) lab_fail "lab_uac: unknown caller $1" ;;
	esac
}

# lab_uac_exec NAME PORT IP CID XML [sipp args...]: the SIPp command line of
# lab_uac and lab_uac_bg; replaces the (sub)shell it runs in.
lab_uac_exec() {
	local name=$1 port=$2 ip=$3 cid=$4 xml=$5
	shift 5
	cd "$work" || exit 1
	exec timeout 40 sipp "127.0.0.1:$port" -sf "$xml" -t t1 -i "$ip" \
		-p "$(free_port)" -cid_str "$cid" -m 1 -nostdin -timeout 30 -timeout_error -recv_timeout 10000 \
		-trace_err -error_file "$work/$name.err" -trace_msg -message_file "$work/$name.msg" \
		-key tb_port "$LAB_TB" "$@" >"$work/$name.out" 2>&1
}

# lab_wait_file FILE NAME [SECONDS]: until FILE is not empty (a scenario's
# <exec> wrote it, e.g. its dialog's Call-ID and tags), the background
# SIPp NAME ended, or SECONDS (10) passed; 0 when FILE is not empty.
lab_wait_file() {
	for _ in $(seq 1 $((${3:-10} * 10))); do
		[ -s "$1" ] && return 0
		kill -0 "${lab_pid[$2]:-0}" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$1" ]
}

# lab_recv_count NAME START: how many messages SIPp NAME received whose
# start line begins with START ("INVITE ", "SIP/2.0 486").
lab_recv_count() {
	[ -s "$work/$1.msg" ] || { echo 0; return 0; }
	awk -v s="$2" '/message received/ { want = 1; next }
	     /message sent/ { want = 0; next }
	     want && NF { if (index($0, s) == 1) n++; want = 0 }
	     END { print n + 0 }' "$work/$1.msg"
}

# lab_recv_lines NAME START: the start lines of the messages SIPp NAME
# received that begin with START ("INVITE sip:+1... SIP/2.0").
lab_recv_lines() {
	[ -s "$work/$1.msg" ] || return 0
	awk -v s="$2" '/message received/ { want = 1; next }
	     /message sent/ { want = 0; next }
	     want && NF { sub(/\r$/, ""); if (index($0, s) == 1) print; want = 0 }' "$work/$1.msg"
}

# lab_recv_header NAME START HEADER: the value of HEADER in each message
# SIPp NAME received whose start line begins with START, one per line.
lab_recv_header() {
	[ -s "$work/$1.msg" ] || return 0
	awk -v s="$2" -v h="$3" '
	     /message received/ { st = 1; keep = 0; next }
	     /message sent/     { st = 0; keep = 0; next }
	     st == 1 && NF      { keep = (index($0, s) == 1); st = 2; next }
	     st == 2 && keep && tolower(substr($0, 1, length(h) + 1)) == tolower(h ":") {
	             v = substr($0, length(h) + 2); sub(/^[ \t]+/, "", v); sub(/\r$/, "", v)
	             print v; keep = 0 }' "$work/$1.msg"
}

# lab_msg_field NAME received|sent START WHAT: one line per message SIPp
# NAME received (or sent) whose start line begins with START. WHAT: "start"
# (the start line), "body" (the first line of the body, "-" if none), or a
# header name: its values in the header part joined with ", " ("-" when
# the message has none). Carriage returns removed.
lab_msg_field() {
	[ -s "$work/$1.msg" ] || return 0
	awk -v dir="message $2" -v s="$3" -v w="$4" '
		function flush() { if (keep) print (n ? v : "-"); keep = 0 }
		/ message received/ || / message sent/ { flush(); st = index($0, dir) ? 1 : 0; next }
		{ sub(/\r$/, "") }
		st == 1 && NF { keep = (index($0, s) == 1); st = 2; n = 0; v = ""
			if (keep && w == "start") { print; keep = 0 }
			next }
		st == 2 && $0 == "" { st = 3; next }
		st == 2 && keep && w != "body" && tolower(substr($0, 1, length(w) + 1)) == tolower(w ":") {
			x = substr($0, length(w) + 2); sub(/^[ \t]+/, "", x); v = n++ ? v ", " x : x; next }
		st == 3 && keep && w == "body" { if (NF) { print; keep = 0 } else { keep = 0; print "-" } }
		END { flush() }' "$work/$1.msg"
}

# lab_msg_body NAME START: the body (its lines, carriage returns removed)
# of the first message SIPp NAME received whose start line begins with
# START, e.g. the SDP of the 200 a caller got.
lab_msg_body() {
	[ -s "$work/$1.msg" ] || return 0
	awk -v s="$2" '
		/ message received/ { if (done) exit; st = 1; next }
		/ message sent/ || /^-----/ { if (st == 3) done = 1; st = 0; next }
		{ sub(/\r$/, "") }
		st == 1 && NF { st = index($0, s) == 1 ? 2 : 0; next }
		st == 2 && $0 == "" { st = 3; next }
		st == 3 && NF { print }' "$work/$1.msg"
}

# lab_nth N: line N of stdin ("" when there is none).
lab_nth() { sed -n "${1}p"; }

# lab_call_id NAME: the Call-ID of the call SIPp caller NAME made (the
# first 200 it received).
lab_call_id() { lab_msg_field "$1" received "SIP/2.0 200" Call-ID | lab_nth 1; }

# lab_log_count ERE: how many lines of trunkbridge's log match ERE.
lab_log_count() { grep -Ec -- "$1" "$work/tb.log" || true; }

# ---- trunkbridge ----------------------------------------------------------

lab_tb_start() {
	"$tb" run -c "$work/lab.yaml" 2>"$work/tb.log" &
	lab_tb_pid=$!
	lab_pid[trunkbridge]=$lab_tb_pid
	for _ in $(seq 1 100); do
		grep -q 'event=started' "$work/tb.log" && return 0 # after its listeners
		kill -0 "$lab_tb_pid" 2>/dev/null || lab_fail "trunkbridge did not start (config or listener; log below)"
		sleep 0.1
	done
	lab_fail "trunkbridge did not log event=started within 10 s"
}

# lab_wait_active [SECONDS]: until the log says each trunk is Active and
# each of its servers too (failover needs sip2 up before the call).
lab_wait_active() {
	local want=("trunk=acs server=127.0.0.2:$LAB_S1 .*server_status=Active"
		"trunk=acs server=127.0.0.3:$LAB_S2 .*server_status=Active"
		"trunk=genesys server=127.0.0.4:$LAB_G .*server_status=Active"
		"trunk=acs .*trunk_status=Active" "trunk=genesys .*trunk_status=Active") w missing
	for _ in $(seq 1 $((${1:-15} * 10))); do
		missing=
		for w in "${want[@]}"; do
			grep -q "event=trunk_state $w" "$work/tb.log" || { missing=$w; break; }
		done
		[ -z "$missing" ] && return 0
		kill -0 "$lab_tb_pid" 2>/dev/null || lab_fail "trunkbridge exited while waiting for the trunks"
		sleep 0.1
	done
	lab_fail "no log line 'event=trunk_state $missing' within ${1:-15} s"
}

# lab_finish: SIGTERM trunkbridge; it must exit 0 within 10 s with no
# sanitizer report on stderr (the ASan build of `make test-asan`).
lab_finish() {
	LAB_STEP="shutdown"
	local rc=0
	kill -TERM "$lab_tb_pid" 2>/dev/null || lab_fail "trunkbridge was no longer running"
	for _ in $(seq 1 100); do
		kill -0 "$lab_tb_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$lab_tb_pid" 2>/dev/null && lab_fail "trunkbridge still running 10 s after SIGTERM"
	wait "$lab_tb_pid" || rc=$?
	unset "lab_pid[trunkbridge]"
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$work/tb.log"; then
		lab_fail "sanitizer report in trunkbridge's stderr (exit status $rc): $(grep -m1 'SUMMARY: \|runtime error:' "$work/tb.log")"
	fi
	[ "$rc" -eq 0 ] || lab_fail "trunkbridge exited $rc on SIGTERM (want 0)"
	LAB_STEP=
	echo "PASS: $LAB_NAME"
}

# ---- CDR --------------------------------------------------------------------

# lab_sql QUERY: rows as a|b|c (the view cdr_view or the table cdr).
# A failing query prints why and returns 1 (set -e then ends the test).
lab_sql() {
	sqlite3 -separator '|' "$LAB_CDR" "$1" 2>"$work/sql.err" || {
		echo "FAIL: $LAB_NAME: CDR query failed: $(cat "$work/sql.err"): $1" >&2
		return 1
	}
}

# lab_cdr_wait N [SECONDS [WHERE]]: until table cdr holds N rows (WHERE:
# N rows that match it); a row is written when its call ends.
lab_cdr_wait() {
	local n='' q="select count(*) from cdr${3:+ where $3}"
	for _ in $(seq 1 $((${2:-5} * 10))); do
		n=$(sqlite3 "$LAB_CDR" "$q" 2>/dev/null) || n=
		[ "$n" = "$1" ] && return 0
		sleep 0.1
	done
	lab_fail "CDR: ${n:-no} rows${3:+ where $3}, want $1 (all rows: $(sqlite3 -separator '|' "$LAB_CDR" 'select * from cdr_view' 2>&1 | tr '\n' ';'))"
}

# lab_expect WHAT GOT WANT: equal, or fail saying what differs.
lab_expect() {
	[ "$2" = "$3" ] || lab_fail "$1: got '$2', want '$3'"
}
