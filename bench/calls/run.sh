#!/usr/bin/env bash
# bench/calls: calls per second through trunkbridge and through Kamailio,
# side by side in one run, TLS on both legs:
#
#   SIPp UAC -TCP-> stunnel client -TLS-> SUT -TLS-> stunnel server -TCP-> SIPp UAS
#                   (local 127.0.0.2)       (127.0.0.1)  (127.0.0.4 / .5)
#
# SUT = trunkbridge (a B2BUA: carrier trunk -> cc trunk) or Kamailio 5.6 (a
# stateful proxy: tm + rr + tls, t_relay, started with -x tlsf -X tlsf).
# Method (RFC 7501/7502, shared/docs/benchmarking.md): step the call rate,
# each step a fixed number of calls (-m = seconds x rate, calls of 500 ms);
# a step passes with 0 failed calls, every call created and >= 95 % of the
# target rate achieved. The figure is the highest passing rate: the rate
# doubles from the start until a step fails, then the gap is bisected.
# CPU per call: utime+stime from /proc/PID/stat before and after a step,
# divided by the calls of the step (stunnel and SIPp reported apart).
# Memory per held call (trunkbridge): VmRSS of a fresh process before and
# while N calls are held, divided by N.
#
# usage: bench/calls/run.sh [path/to/trunkbridge]     (default build/trunkbridge)
# env:   BENCH_QUICK=1       short steps, small ladder, 2,000 held calls (< 1 min)
#        BENCH_CALLS_ONLY=kamailio|trunkbridge   run one side only
#        BENCH_KAM_CHILDREN=4                    Kamailio's tcp_children
#        BENCH_TB_CDR=1       trunkbridge writes CDRs (SQLite) during the run
#        BENCH_KEEP=1         keep the work folder (logs, CSVs) and print it
#        BENCH_START_RATE=N, BENCH_STEP_S=S   first rate, seconds per step
#                             (for diagnosis; the figures use the defaults)
# Output: one line per figure (`name: value unit`), `step:` lines as it goes.
# Loopback only (127.0.0.0/8); every process started here is stopped by PID;
# every wait and every step is bounded in count and time.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tb=${1:-$repo/build/trunkbridge}
quick=${BENCH_QUICK:-0}
only=${BENCH_CALLS_ONLY:-}
kam_children=${BENCH_KAM_CHILDREN:-4}
t_start=$(date +%s)

work=$(mktemp -d /tmp/bench-calls.XXXXXX)
pids=()
kam_kids=() # Kamailio's workers: they end with their parent; killed here if not
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	reap_kam_kids
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "note: work folder kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# stop PID: TERM, then KILL after 5 s; forget it
stop_pid() {
	local p=$1
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	local keep=() q
	for q in "${pids[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
	pids=("${keep[@]}")
}

# reap_kam_kids: kill Kamailio workers that outlived their parent (by PID,
# only while the PID is still a kamailio process)
reap_kam_kids() {
	local p
	for _ in $(seq 1 20); do
		local left=0
		for p in "${kam_kids[@]}"; do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = kamailio ] && left=1; done
		[ $left = 0 ] && break
		sleep 0.1
	done
	for p in "${kam_kids[@]}"; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = kamailio ] && kill -9 "$p" 2>/dev/null
	done
	kam_kids=()
}

. "$repo/tests/integration/lib.sh" # free_port, wait_port
# wait_addr HOST PORT SECONDS: until something accepts on HOST:PORT
wait_addr() {
	for _ in $(seq 1 $(($3 * 10))); do
		(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- parameters -------------------------------------------------------
if [ "$quick" = 1 ]; then
	step_s=3         # seconds of calls per step
	start_rate=2000  # first step, calls/s
	max_steps=2      # steps of the ladder (200 OK only)
	steps_180=1      # steps of the 180 + 200 check
	mem_calls=2000   # calls held for the memory figure
	mem_rate=1000
	phase_budget=20  # seconds per system under test for the ladder,
	end180=6         # and then for the 180 + 200 check
else
	step_s=10
	start_rate=2000
	max_steps=7
	steps_180=3
	mem_calls=10000
	mem_rate=2000
	phase_budget=120
	end180=30
fi
# diagnosis only (figures come from the defaults): the first rate, the step length
start_rate=${BENCH_START_RATE:-$start_rate}
step_s=${BENCH_STEP_S:-$step_s}
max_rate=16000 # the generator's own ceiling here is about 16,000 calls/s (UDP)
min_rate=250
call_ms=500
tck=$(getconf CLK_TCK)

for t in sipp stunnel4; do
	command -v "$t" >/dev/null || { echo "bench/calls: $t is missing (bash scripts/deps.sh)" >&2; exit 1; }
done

bash "$repo/tests/certs/make-certs.sh" "$work/certs" >/dev/null || { echo "bench/calls: make-certs failed" >&2; exit 1; }
c=$work/certs

# ---- the callee side: two SIPp UAS behind one stunnel TLS server -------
uas_port=$(free_port); uas180_port=$(free_port)
g1=$(free_port); g2=$(free_port); carrier_port=$(free_port)
kam_port=$(free_port); tb_port=$(free_port)
a_kam=$(free_port); a_tb=$(free_port)

cat >"$work/stunnel-server.conf" <<CONF
foreground = yes
pid =
debug = 3
output = $work/stunnel-server.log
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
sslVersionMin = TLSv1.2
[cc]
accept = 127.0.0.4:$g1
connect = 127.0.0.1:$uas_port
cert = $c/genesys.pem
key = $c/genesys.key
[cc180]
accept = 127.0.0.5:$g2
connect = 127.0.0.1:$uas180_port
cert = $c/genesys.pem
key = $c/genesys.key
[carrier]
accept = 127.0.0.2:$carrier_port
connect = 127.0.0.1:$uas_port
cert = $c/acs1.pem
key = $c/acs1.key
CONF
# the caller side: one stunnel client, one service per system under test
cat >"$work/stunnel-client.conf" <<CONF
foreground = yes
pid =
debug = 3
output = $work/stunnel-client.log
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
sslVersionMin = TLSv1.2
[kamailio]
client = yes
accept = 127.0.0.1:$a_kam
connect = 127.0.0.1:$kam_port
local = 127.0.0.2
cert = $c/acs1.pem
key = $c/acs1.key
CAfile = $c/ca.pem
verifyChain = yes
checkHost = sbc1.lab.test
[trunkbridge]
client = yes
accept = 127.0.0.1:$a_tb
connect = 127.0.0.1:$tb_port
local = 127.0.0.2
cert = $c/acs1.pem
key = $c/acs1.key
CAfile = $c/ca.pem
verifyChain = yes
checkHost = sbc1.lab.test
CONF

uas_common=(-t t1 -i 127.0.0.1 -aa -buff_size 4194304 -max_recv_loops 10000
	-max_sched_loops 10000 -nostdin -trace_err -max_log_size 2000000)
(cd "$work" && exec sipp -sf "$here/uas.xml" "${uas_common[@]}" -p "$uas_port" \
	-key contact_host "127.0.0.4:$g1" -error_file "$work/uas.err" >/dev/null 2>&1) &
uas_pid=$!; pids+=("$!")
(cd "$work" && exec sipp -sf "$here/uas_180.xml" "${uas_common[@]}" -p "$uas180_port" \
	-key contact_host "127.0.0.5:$g2" -error_file "$work/uas180.err" >/dev/null 2>&1) &
uas180_pid=$!; pids+=("$!")
stunnel4 "$work/stunnel-server.conf" >/dev/null 2>&1 &
stun_srv_pid=$!; pids+=("$!")
stunnel4 "$work/stunnel-client.conf" >/dev/null 2>&1 &
stun_cli_pid=$!; pids+=("$!")
wait_addr 127.0.0.1 "$uas_port" 10 && wait_addr 127.0.0.1 "$uas180_port" 10 &&
	wait_addr 127.0.0.4 "$g1" 10 && wait_addr 127.0.0.5 "$g2" 10 &&
	wait_addr 127.0.0.1 "$a_kam" 10 ||
	{ echo "bench/calls: SIPp UAS or stunnel did not start (see $work)" >&2; BENCH_KEEP=1; exit 1; }

# ---- measuring ----------------------------------------------------------
# cpu_ticks PID...: utime+stime of these processes (all their threads)
cpu_ticks() {
	local p s=0 f
	for p in "$@"; do
		f=$(cut -d')' -f2- "/proc/$p/stat" 2>/dev/null) || continue
		set -- $f
		s=$((s + ${12} + ${13})) # fields 14 and 15 of stat
	done
	echo "$s"
}
# sut_pids: the system under test's processes (Kamailio forks its workers)
sut_pids() {
	local main=$1
	echo "$main"
	ps -o pid= --ppid "$main" 2>/dev/null | tr -d ' '
}
rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# csv_last FILE COLUMN: the value of COLUMN in the last row of a SIPp stat CSV
csv_col() {
	awk -F';' -v col="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==col) k=i; next} k{v=$k} END{print v}' "$1"
}
# achieved FILE M: calls created per second until the last row before all M
# were created (rows each second; times are the epoch seconds in the rows)
achieved() {
	awk -F';' -v m="$2" '
	NR==1{for(i=1;i<=NF;i++){if($i=="OutgoingCall(C)")o=i}; next}
	{ split($1,a,"\t"); split($3,b,"\t"); t=b[3]-a[3]; n=$o
	  if (n < m && t >= 1) r=n/t
	  if (n >= m && !done) { if (!r) r=n/(t>0?t:1); done=1 } }
	END{printf "%d\n", r+0.5}' "$1"
}
ms_of() { # SIPp's HH:MM:SS:usec -> milliseconds with one decimal
	awk -F: '{printf "%.1f\n", ($1*3600+$2*60+$3)*1000 + $4/1000}' <<<"${1:-0:0:0:0}"
}
# first_error FILE: "CODE Reason" of the first unexpected SIP response, if any
first_error() {
	grep -a -m1 -oE "SIP/2\.0 [0-9]{3} [^'[:cntrl:]]*" "$1" 2>/dev/null | cut -d' ' -f2-
}
# wait_idle PID...: until these use < 3 % of a core over 0.5 s (at most 15 s)
wait_idle() {
	local a b
	for _ in $(seq 1 30); do
		a=$(cpu_ticks "$@"); sleep 0.5; b=$(cpu_ticks "$@")
		[ $(((b - a) * 200)) -lt $((3 * tck)) ] && return 0
	done
}

# run_step NAME PORT RATE CALLS SERVICE HOLD_MS SUTPIDS...: one SIPp UAC run.
# Sets: st_pass st_ok st_fail st_rate st_setup_ms st_cpu_sut
# st_cpu_stun_cli st_cpu_stun_srv st_cpu_uac st_cpu_uas (us per call), st_err
step_n=0
run_step() {
	local name=$1 port=$2 rate=$3 m=$4 service=$5 hold=$6
	shift 6
	local sut=("$@") lim uac_port csv err rc t0 t1
	step_n=$((step_n + 1))
	csv=$work/step$step_n.csv; err=$work/step$step_n.err
	lim=$((rate * (hold + 200) / 1000 + rate / 5 + 50))
	[ "$lim" -gt "$m" ] && lim=$m
	uac_port=$(free_port)
	local uas=$uas_pid
	[ "$service" = "+14255550180" ] && uas=$uas180_pid
	local c0_sut c0_cli c0_srv c0_uas c1_sut c1_cli c1_srv c1_uas c_uac
	c0_sut=$(cpu_ticks "${sut[@]}"); c0_cli=$(cpu_ticks $stun_cli_pid)
	c0_srv=$(cpu_ticks $stun_srv_pid); c0_uas=$(cpu_ticks $uas)
	t0=$(date +%s.%N)
	(cd "$work" && exec sipp -sf "$here/uac.xml" -t t1 -i 127.0.0.1 -p "$uac_port" \
		"127.0.0.1:$port" -s "$service" -r "$rate" -rp 1000 -m "$m" -l "$lim" \
		-d "$hold" -buff_size 4194304 -max_recv_loops 10000 -max_sched_loops 10000 \
		-recv_timeout 10000 -timeout $((m / rate + hold / 1000 + 15)) -timeout_error \
		-trace_stat -stf "$csv" -fd 1 -trace_err -error_file "$err" -max_log_size 2000000 \
		-nostdin >"$work/step$step_n.out" 2>&1) &
	local uac=$!
	pids+=("$uac")
	# sample SIPp's own CPU just before it exits: poll until it is gone
	c_uac=0
	local x
	for _ in $(seq 1 $(((m / rate + hold / 1000 + 40) * 10))); do
		kill -0 $uac 2>/dev/null || break
		x=$(cpu_ticks $uac); [ -n "$x" ] && [ "$x" -gt 0 ] && c_uac=$x
		sleep 0.1
	done
	wait $uac; rc=$?
	stop_pid $uac
	t1=$(date +%s.%N)
	c1_sut=$(cpu_ticks "${sut[@]}"); c1_cli=$(cpu_ticks $stun_cli_pid)
	c1_srv=$(cpu_ticks $stun_srv_pid); c1_uas=$(cpu_ticks $uas)
	st_ok=$(csv_col "$csv" "SuccessfulCall(C)"); st_ok=${st_ok:-0}
	st_fail=$(csv_col "$csv" "FailedCall(C)"); st_fail=${st_fail:-0}
	local created; created=$(csv_col "$csv" "OutgoingCall(C)"); created=${created:-0}
	st_rate=$(achieved "$csv" "$m"); st_rate=${st_rate:-0}
	st_setup_ms=$(ms_of "$(csv_col "$csv" "ResponseTimesetup(C)")")
	st_retrans=$(csv_col "$csv" "Retransmissions(C)")
	st_dead=$(csv_col "$csv" "DeadCallMsgs(C)")
	st_err=$(first_error "$err")
	us() { echo $(((($2 - $1) * 1000000 / tck) / m)); }
	st_cpu_sut=$(us "$c0_sut" "$c1_sut"); st_cpu_stun_cli=$(us "$c0_cli" "$c1_cli")
	st_cpu_stun_srv=$(us "$c0_srv" "$c1_srv"); st_cpu_uas=$(us "$c0_uas" "$c1_uas")
	st_cpu_uac=$(((c_uac * 1000000 / tck) / m))
	local wall
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
	# share of one core while the step ran
	st_sut_core=$(awk -v t="$((c1_sut - c0_sut))" -v w="$wall" -v k="$tck" 'BEGIN{printf "%d", 100*t/k/w}')
	# what the SUT, both stunnels and both SIPps used together, in % of all CPUs
	local all=$((st_cpu_sut + st_cpu_stun_cli + st_cpu_stun_srv + st_cpu_uac + st_cpu_uas))
	st_all_busy=$(awk -v u="$all" -v m="$m" -v w="$wall" -v n="$(nproc)" 'BEGIN{printf "%d", 100*u*m/1e6/w/n}')
	st_pass=0
	if [ "$rc" -eq 0 ] && [ "$st_fail" -eq 0 ] && [ "$st_ok" -eq "$m" ] && [ "$created" -eq "$m" ] &&
		[ $((st_rate * 100)) -ge $((rate * 95)) ]; then
		st_pass=1
	fi
	local verdict=fail why=""
	[ $st_pass = 1 ] && verdict=pass
	if [ $st_pass != 1 ]; then
		[ "$st_fail" -gt 0 ] && why="$why, $st_fail calls failed"
		[ $((created + 0)) -lt "$m" ] && why="$why, $created of $m created"
		[ $((st_rate * 100)) -lt $((rate * 95)) ] && why="$why, achieved below 95 %"
		[ "$rc" -ne 0 ] && why="$why, sipp exit $rc"
		[ -n "$st_err" ] && why="$why, first error answer: $st_err"
		why=" (${why#, })"
	fi
	local clean=""
	if [ $st_pass = 1 ] && [ "${st_retrans:-0}" -eq 0 ] && [ "${st_dead:-0}" -eq 0 ] &&
		awk -v s="$st_setup_ms" 'BEGIN{exit !(s <= 10)}'; then clean=", clean"; fi
	echo "step: $name $rate calls/s x ${m} calls${service:+ to $service}: $verdict$clean$why;" \
		"ok $st_ok, failed $st_fail, achieved $st_rate/s, INVITE->200 mean ${st_setup_ms} ms;" \
		"CPU us/call: $name $st_cpu_sut (${st_sut_core}% of a core), stunnel client $st_cpu_stun_cli," \
		"stunnel server $st_cpu_stun_srv, sipp uac $st_cpu_uac, sipp uas $st_cpu_uas;" \
		"all together ${st_all_busy}% of the $(nproc) CPUs; ${wall}s"
	[ $st_pass = 1 ] && [ -n "$clean" ] && st_clean=1 || st_clean=0
	return 0
}

# ladder NAME PORT BUDGET_END SUTPIDS...: the RFC 7502 search on the 200-only
# UAS, then the 180 + 200 UAS at the rate found (halving toward the last pass).
# Sets: ld_best ld_best_clean ld_cpu (+ stunnel/sipp at ld_best) ld_best180 ld_note
ladder() {
	local name=$1 port=$2 end=$3
	shift 3
	local sut=("$@") r=$start_rate pass=0 fail=0 n=0 m next
	ld_best=0; ld_best_clean=0; ld_cpu=""; ld_cpu_cli=""; ld_cpu_srv=""; ld_cpu_uac=""; ld_cpu_uas=""
	ld_best180=0; ld_note=""; ld_fail180=0; ld_by_rate=""; ld_failed_any=0
	while [ $n -lt $max_steps ]; do
		if [ $(($(date +%s) + step_s + 6)) -gt "$end" ]; then ld_note="time budget reached"; break; fi
		n=$((n + 1))
		m=$((r * step_s))
		run_step "$name" "$port" "$r" "$m" "+14255550100" "$call_ms" "${sut[@]}"
		ld_by_rate="$ld_by_rate, $r: $st_cpu_sut$([ $st_pass = 1 ] || echo " (failed)")"
		if [ $st_pass = 1 ]; then
			pass=$r; ld_best=$r
			[ $st_clean = 1 ] && [ $r -gt $ld_best_clean ] && ld_best_clean=$r
			ld_cpu=$st_cpu_sut; ld_cpu_cli=$st_cpu_stun_cli; ld_cpu_srv=$st_cpu_stun_srv
			ld_cpu_uac=$st_cpu_uac; ld_cpu_uas=$st_cpu_uas; ld_core=$st_sut_core
			if [ $fail = 0 ]; then next=$((r * 2)); [ $r -ge $max_rate ] && break
				[ $next -gt $max_rate ] && next=$max_rate
			else next=$(((r + fail) / 2)); fi
		else
			fail=$r; ld_failed_any=1
			if [ $pass = 0 ]; then next=$((r / 2)); [ $next -lt $min_rate ] && break
			else next=$(((pass + r) / 2)); fi
			[ -n "$st_err" ] && [ $pass = 0 ] && [ "$st_ok" -eq 0 ] && { ld_note="every call failed: $st_err"; break; }
		fi
		# resolution: stop when the gap is within an eighth of the passing rate (>= 250)
		next=$(((next + 125) / 250 * 250)); [ $next -lt $min_rate ] && next=$min_rate
		if [ $pass -gt 0 ] && [ $fail -gt 0 ]; then
			local gap=$((fail - pass)) res=$((pass / 8))
			[ $res -lt 250 ] && res=250
			[ $gap -le $res ] && break
		fi
		[ "$next" = "$r" ] && break
		r=$next
		wait_idle "${sut[@]}"
	done
	[ "$ld_best" -gt 0 ] || return 0
	# the full flow (180 then 200) at the rate found, then 3/4 and 1/2 of it
	r=$ld_best; n=0
	while [ $n -lt $steps_180 ]; do
		if [ $(($(date +%s) + step_s + 6)) -gt "$((end + end180))" ]; then
			ld_note="${ld_note:+$ld_note; }time budget reached in the 180 check"; break
		fi
		n=$((n + 1))
		wait_idle "${sut[@]}"
		run_step "$name" "$port" "$r" "$((r * step_s))" "+14255550180" "$call_ms" "${sut[@]}"
		if [ $st_pass = 1 ]; then ld_best180=$r; break; fi
		ld_fail180=$r
		r=$(((ld_best * (4 - n) / 4 + 125) / 250 * 250)); [ $r -lt $min_rate ] && break
	done
	return 0
}

declare -A fig
order=()
figure() { fig[$1]=$2; order+=("$1"); }
phase_end() { echo $(($(date +%s) + phase_budget)); }
calls_figures() { # NAME: the figures of the last ladder
	local n=$1
	if [ "$ld_best" -gt 0 ]; then
		local lb=""
		[ "$ld_failed_any" = 0 ] && lb=" (a lower bound: no step failed)"
		figure "${n}_tls_calls" "$ld_best calls/s$lb"
		local v180="$ld_best180 calls/s"
		[ "$ld_best180" = 0 ] && v180="below $ld_fail180 calls/s"
		[ "$ld_best180" = 0 ] && [ "$ld_fail180" = 0 ] && v180="not measured (${ld_note:-?})"
		figure "${n}_tls_calls_180" "$v180"
		figure "${n}_cpu_per_call" "$ld_cpu us"
		figure "${n}_stunnel_cpu_per_call" "$((ld_cpu_cli + ld_cpu_srv)) us"
		echo "note: $n at $ld_best calls/s: $n $ld_cpu us/call (${ld_core}% of a core)," \
			"stunnel client $ld_cpu_cli + server $ld_cpu_srv us/call, sipp uac $ld_cpu_uac + uas $ld_cpu_uas us/call;" \
			"clean (also INVITE->200 <= 10 ms): $([ "$ld_best_clean" = 0 ] && echo "no step" || echo "$ld_best_clean calls/s")${ld_note:+; $ld_note}"
		echo "note: $n CPU us/call by rate (200 only)${ld_by_rate#,}"
	else
		figure "${n}_tls_calls" "failed (${ld_note:-no step passed})"
		figure "${n}_cpu_per_call" "failed (no step passed)"
	fi
}

# ---- Kamailio ------------------------------------------------------------
run_kamailio() {
	if ! command -v kamailio >/dev/null || ! ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1; then
		figure kamailio_tls_calls "skipped (kamailio or kamailio-tls-modules missing: bash scripts/deps.sh)"
		return
	fi
	# shared memory: about 250 MB per 1,000 calls/s + 512 MB (benchmarking.md)
	local shm=$((512 + 250 * max_rate / 1000))
	mkdir -p "$work/kamrun"
	sed -e "s|@KAM_PORT@|$kam_port|g" -e "s|@KAM_CHILDREN@|$kam_children|g" \
		-e "s|@CERTS@|$c|g" -e "s|@UAS_ADDR@|127.0.0.4:$g1|g" -e "s|@UAS180_ADDR@|127.0.0.5:$g2|g" \
		"$here/kamailio.cfg" >"$work/kamailio.cfg"
	local kargs=(-f "$work/kamailio.cfg" -Y "$work/kamrun" -w "$work" -m "$shm" -M 32 -x tlsf -X tlsf)
	if ! kamailio "${kargs[@]}" -c >"$work/kamailio-check.log" 2>&1; then
		figure kamailio_tls_calls "failed (kamailio -c refused the config: $(grep -m1 -i error "$work/kamailio-check.log"))"
		return
	fi
	kamailio "${kargs[@]}" -DD -E >"$work/kamailio.log" 2>&1 &
	local kpid=$!
	pids+=("$kpid")
	if ! wait_port "$kam_port" 15; then
		figure kamailio_tls_calls "failed (kamailio did not listen: $(tail -1 "$work/kamailio.log"))"
		stop_pid $kpid; return
	fi
	sleep 0.5
	local kp; mapfile -t kp < <(sut_pids $kpid)
	kam_kids=("${kp[@]:1}")
	echo "note: kamailio $(kamailio -v | awk 'NR==1{print $3}'), pid $kpid + ${#kp[@]} processes" \
		"($kam_children TLS workers), -x tlsf -X tlsf -m $shm"
	run_step kamailio "$a_kam" 20 20 "+14255550100" 100 "${kp[@]}"
	if [ $st_pass = 1 ]; then
		ladder kamailio "$a_kam" "$(phase_end)" "${kp[@]}"
	else
		ld_best=0; ld_note="the probe failed${st_err:+: $st_err}"
	fi
	calls_figures kamailio
	stop_pid $kpid
	reap_kam_kids
}

# ---- trunkbridge ---------------------------------------------------------
tb_yaml() {
	cat <<YAML
identity:
  fqdn: sbc1.lab.test
  certificate: $c/sbc1.pem
  private_key: $c/sbc1.key
listen:
  - { transport: tls, address: 127.0.0.1, port: $tb_port, tls: { verify_peer: optional, ca_file: $c/ca.pem } }
# sized for the ladder's top rates, as Kamailio's -m is: an INVITE
# transaction lives 32 s after its 2xx (RFC 6026), two per call
limits: { max_transactions: 2097152 }
trunks:
  carrier:
    profile: generic
    transport: tls
    servers: [ "127.0.0.2:$carrier_port" ]
    tls: { ca_file: $c/ca.pem, peer_names: [ sip.pstnhub.lab.test ] }
    options_interval: 5s
    allow: [ 127.0.0.2/32 ]
  cc:
    profile: generic
    transport: tls
    servers: [ "127.0.0.4:$g1" ]
    tls: { ca_file: $c/ca.pem, peer_names: [ voice.genesys.lab.test ] }
    options_interval: 5s
    allow: [ 127.0.0.4/32 ]
  cc180:
    profile: generic
    transport: tls
    servers: [ "127.0.0.5:$g2" ]
    tls: { ca_file: $c/ca.pem, peer_names: [ voice.genesys.lab.test ] }
    options_interval: 5s
    allow: [ 127.0.0.5/32 ]
routes:
  - { from: carrier, to: cc180, called: '^\+14255550180$' }
  - { from: carrier, to: cc, called: '^\+1425555\d{4}$' }
YAML
	[ "${BENCH_TB_CDR:-0}" = 1 ] && echo "cdr: { store: 'sqlite:$work/cdr.db' }"
	return 0
}
# start_tb LOG: starts trunkbridge, waits until it listens and cc, cc180 are
# Active. Sets tb_pid; returns 1 with tb_why on failure.
start_tb() {
	local log=$1
	"$tb" run -c "$work/tb.yaml" 2>"$log" &
	tb_pid=$!
	pids+=("$tb_pid")
	if ! wait_port "$tb_port" 10; then
		tb_why="did not listen: $(tail -1 "$log")"; return 1
	fi
	for _ in $(seq 1 150); do
		grep -q 'event=trunk_state trunk=cc .*trunk_status=Active' "$log" &&
			grep -q 'event=trunk_state trunk=cc180 .*trunk_status=Active' "$log" && return 0
		kill -0 $tb_pid 2>/dev/null || break
		sleep 0.1
	done
	tb_why="the cc trunks did not turn Active in 15 s: $(grep 'event=trunk_state' "$log" | tail -1)"
	return 1
}
tb_fail() { # WHY: every trunkbridge figure failed for the same reason
	figure trunkbridge_tls_calls "failed ($1)"
	figure trunkbridge_cpu_per_call "failed ($1)"
	figure trunkbridge_mem_per_call "failed ($1)"
}
run_trunkbridge() {
	if [ ! -x "$tb" ]; then tb_fail "no binary at $tb: make build"; return; fi
	tb_yaml >"$work/tb.yaml"
	if ! start_tb "$work/tb.log"; then
		tb_fail "trunkbridge $tb_why"; stop_pid "$tb_pid"; return
	fi
	echo "note: trunkbridge $("$tb" --version 2>/dev/null | head -1) pid $tb_pid, $tb"
	run_step trunkbridge "$a_tb" 20 20 "+14255550100" 100 $tb_pid
	if [ $st_pass != 1 ]; then
		local why="the probe failed"
		if [ -n "$st_err" ]; then
			why="$st_err"
			case "$st_err" in 501*) why="$st_err: build without the B2BUA?" ;; esac
		elif [ "$st_ok" = 0 ]; then
			why="no call answered: $(grep -m1 -E 'event=(call|source_refused)' "$work/tb.log" || echo "see the log")"
		fi
		tb_fail "$why"; stop_pid $tb_pid; return
	fi
	ladder trunkbridge "$a_tb" "$(phase_end)" $tb_pid
	calls_figures trunkbridge
	stop_pid $tb_pid
	[ "$ld_best" -gt 0 ] || { figure trunkbridge_mem_per_call "failed (no step passed)"; return; }

	# memory per held call: a fresh process, a few calls to warm it up, then
	# mem_calls calls held together (created at mem_rate, hold long enough)
	wait_idle $stun_srv_pid $uas_pid
	if ! start_tb "$work/tb-mem.log"; then
		figure trunkbridge_mem_per_call "failed (trunkbridge $tb_why)"; stop_pid "$tb_pid"; return
	fi
	local rate=$mem_rate
	[ $((ld_best / 2)) -lt $rate ] && rate=$((ld_best / 2))
	[ $rate -lt 500 ] && rate=500
	run_step trunkbridge-warmup "$a_tb" 50 100 "+14255550100" 100 $tb_pid
	sleep 1
	local before ramp_ms hold uac_port csv held=0 peak=0 cur x
	before=$(rss_kb $tb_pid)
	ramp_ms=$((mem_calls * 1000 / rate))
	hold=$((ramp_ms + 2000 + (quick == 1 ? 0 : 1000)))
	uac_port=$(free_port); csv=$work/mem.csv
	(cd "$work" && exec sipp -sf "$here/uac.xml" -t t1 -i 127.0.0.1 -p "$uac_port" \
		"127.0.0.1:$a_tb" -s +14255550100 -r "$rate" -rp 1000 -m "$mem_calls" -l "$mem_calls" \
		-d "$hold" -buff_size 4194304 -max_recv_loops 10000 -max_sched_loops 10000 \
		-recv_timeout 10000 -timeout $(((ramp_ms + hold) / 1000 + 25)) -timeout_error \
		-trace_stat -stf "$csv" -fd 1 -trace_err -error_file "$work/mem.err" -nostdin \
		>"$work/mem.out" 2>&1) &
	local uac=$!
	pids+=("$uac")
	# sample VmRSS while the stat rows say every call is up and none ended
	for _ in $(seq 1 $((((ramp_ms + hold) / 1000 + 30) * 4))); do
		kill -0 $uac 2>/dev/null || break
		sleep 0.25
		[ -s "$csv" ] || continue
		cur=$(csv_col "$csv" "CurrentCall")
		x=$(csv_col "$csv" "SuccessfulCall(C)")
		if [ "${cur:-0}" -ge "$mem_calls" ] && [ "${x:-0}" -eq 0 ]; then
			held=1
			x=$(rss_kb $tb_pid); [ "${x:-0}" -gt $peak ] && peak=$x
		fi
	done
	wait $uac; local rc=$?
	stop_pid $uac
	local ok; ok=$(csv_col "$csv" "SuccessfulCall(C)")
	if [ $held = 1 ] && [ "$peak" -gt 0 ]; then
		figure trunkbridge_mem_per_call "$(((peak - before) * 1024 / mem_calls)) bytes"
		echo "note: trunkbridge VmRSS $before kB before, $peak kB with $mem_calls calls held" \
			"(created at $rate/s, held $((hold / 1000)) s; ${ok:-0} completed, sipp rc $rc)"
	else
		figure trunkbridge_mem_per_call "failed ($mem_calls calls were never up together; ${ok:-0} completed, sipp rc $rc$(e=$(first_error "$work/mem.err"); [ -n "$e" ] && echo ", $e"))"
	fi
	stop_pid $tb_pid
}

mode="full"; [ "$quick" = 1 ] && mode="quick (BENCH_QUICK=1)"
echo "note: bench/calls $mode: steps of $step_s s, calls of $call_ms ms, rate doubling from $start_rate calls/s then bisected (at most $max_steps steps), 0 failed calls to pass; $(nproc) CPUs"
[ "$only" = trunkbridge ] || run_kamailio
wait_idle $stun_srv_pid $stun_cli_pid $uas_pid
[ "$only" = kamailio ] || run_trunkbridge

for k in "${order[@]}"; do echo "$k: ${fig[$k]}"; done
echo "note: bench/calls took $(($(date +%s) - t_start)) s"
