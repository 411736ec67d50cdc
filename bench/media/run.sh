#!/usr/bin/env bash
# bench/media: SRTP media relayed by trunkbridge and by rtpengine, side by
# side in one run, on the same calls:
#
#   phone A (127.0.0.2) -SRTP-> relay (127.0.0.1) -SRTP-> phone B (127.0.0.3)
#                       <-SRTP-                   <-SRTP-
#
# Each call: two phones (UDP sockets of build/media_bench), 50 packets/s each
# way (20 ms ptime, 160-byte payloads), AES_CM_128_HMAC_SHA1_80 toward A and
# AES_CM_128_HMAC_SHA1_32 toward B, so the relay decrypts and re-encrypts
# every packet (with one suite on both sides rtpengine would pass the SRTP
# through untouched). The relay is
#   trunkbridge: its media engine (src/media/relay.c, src/media/srtp.c) in a
#     child process of media_bench, one libevent loop, pinned to CPU 0;
#   rtpengine: /usr/bin/rtpengine in userspace (--table=-1: no kernel
#     module), one worker thread (--num-threads=1), all its threads pinned to
#     CPU 0 (taskset), the calls set up over its ng protocol (offer/answer,
#     RTP/SAVP both sides; its answers must carry keys of its own).
# The phones (media_bench itself) run on CPU 1. Steps of N calls (100, 200,
# 500, 1000, 1500, 2000, 3000, 4000, ...; 5 s each), a fresh set of calls per
# step, until a step loses a packet. Figures:
#   <system>_srtp_relay: N pkt/s        relayed packets per CPU-second of the
#                                       relay process (utime+stime, all its
#                                       threads, /proc/PID/stat), best step
#   <system>_media_calls_no_loss: N     most calls with no packet lost
#
# usage: bench/media/run.sh [build-dir]       (default build/; builds nothing)
# env:   BENCH_QUICK=1          2 s steps, 200, 500, 1000, 2000 calls (< 1 min)
#        BENCH_MEDIA_ONLY=trunkbridge|rtpengine   one side only
#        BENCH_MEDIA_CALLS=100,500   the ladder, BENCH_STEP_S=S  seconds per step
#                               (for diagnosis; the figures use the defaults)
#        BENCH_KEEP=1           keep the work folder (rtpengine's log, outputs)
# Output: `step:` and `note:` lines as it goes, then one line per figure.
# Loopback only; every process started here is stopped by PID; every step
# is bounded in time.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${1:-$repo/build}
quick=${BENCH_QUICK:-0}
only=${BENCH_MEDIA_ONLY:-}
mb=$build/media_bench
t_start=$(date +%s)

work=$(mktemp -d /tmp/bench-media.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
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

. "$repo/tests/integration/lib.sh" # free_port

if [ ! -x "$mb" ]; then
	echo "bench/media: no $mb (make build: CMake builds it once src/media/relay.c and srtp.c exist)" >&2
	exit 1
fi

# 4 sockets per call in the relay: the open file limit caps the ladder
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

args=()
[ "$quick" = 1 ] && args+=(--quick)
[ -n "${BENCH_MEDIA_CALLS:-}" ] && args+=(--calls "$BENCH_MEDIA_CALLS")
[ -n "${BENCH_STEP_S:-}" ] && args+=(--step-s "$BENCH_STEP_S")
cpus=$(nproc)
relay_cpu=0 load_cpu=1
[ "$cpus" -lt 2 ] && load_cpu=-1 # one CPU: nothing to pin apart

declare -A fig
order=()
# run_mb NAME ARGS...: media_bench in the background (stopped by PID on
# exit), its step and note lines shown as they come, its figures kept
run_mb() {
	local name=$1
	shift
	local out=$work/$name.out
	echo "note: command: $mb $* ${args[*]} --relay-cpu $relay_cpu --load-cpu $load_cpu"
	"$mb" "$@" "${args[@]}" --relay-cpu $relay_cpu --load-cpu $load_cpu >"$out" 2>&1 &
	local pid=$!
	pids+=("$pid")
	# bounded: the ladder's steps are; this is the backstop
	local limit=$(( quick == 1 ? 120 : 600 )) shown=0 n
	for _ in $(seq 1 $((limit * 5))); do
		n=$(wc -l <"$out")
		if [ "$n" -gt "$shown" ]; then
			sed -n "$((shown + 1)),${n}p" "$out" | grep -Ev '^[a-z]+_[a-z_]+: '
			shown=$n
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -0 "$pid" 2>/dev/null && echo "note: $name: media_bench still running after ${limit} s: stopped"
	stop_pid "$pid"
	n=$(wc -l <"$out")
	[ "$n" -gt "$shown" ] && sed -n "$((shown + 1)),${n}p" "$out" | grep -Ev '^[a-z]+_[a-z_]+: '
	local k v
	while IFS= read -r line; do
		k=${line%%: *}; v=${line#*: }
		fig[$k]=$v; order+=("$k")
	done < <(grep -E '^[a-z]+_(srtp_relay|media_calls_no_loss): ' "$out")
	if ! grep -qE "^${name}_srtp_relay: " "$out"; then
		fig[${name}_srtp_relay]="failed (media_bench: $(tail -1 "$out"))"; order+=("${name}_srtp_relay")
	fi
	return 0
}

mode="full"; [ "$quick" = 1 ] && mode="quick (BENCH_QUICK=1)"
echo "note: bench/media $mode: calls of 50 pkt/s each way (SRTP, 160-byte payloads), relay on CPU $relay_cpu, phones on CPU $load_cpu of $cpus; load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"

# ---- rtpengine -------------------------------------------------------------
run_rtpengine() {
	if ! command -v rtpengine >/dev/null; then
		fig[rtpengine_srtp_relay]="skipped (rtpengine-daemon missing: bash scripts/deps.sh)"
		order+=(rtpengine_srtp_relay)
		return
	fi
	local ng re_pid
	ng=$(free_port)
	local re_args=(--foreground --interface=127.0.0.1 --listen-ng=127.0.0.1:$ng
		--port-min=20000 --port-max=59999 --table=-1 --num-threads=1
		--delete-delay=0 --timeout=60 --log-stderr --log-level=5)
	local pin=(taskset -c $relay_cpu)
	[ "$load_cpu" = -1 ] && pin=()
	echo "note: rtpengine $(rtpengine --version 2>&1 | awk '{print $NF; exit}'); command: ${pin[*]} rtpengine ${re_args[*]}"
	"${pin[@]}" rtpengine "${re_args[@]}" >"$work/rtpengine.log" 2>&1 &
	re_pid=$!
	pids+=("$re_pid")
	sleep 0.5
	if ! kill -0 "$re_pid" 2>/dev/null; then
		fig[rtpengine_srtp_relay]="failed (rtpengine did not start: $(tail -1 "$work/rtpengine.log"))"
		order+=(rtpengine_srtp_relay)
		return
	fi
	run_mb rtpengine --system rtpengine --ng 127.0.0.1:$ng --pid "$re_pid"
	local errs
	errs=$(grep -c ' ERR: ' "$work/rtpengine.log")
	[ "$errs" -gt 0 ] && echo "note: rtpengine logged $errs errors, the first: $(grep -m1 ' ERR: ' "$work/rtpengine.log" | cut -c1-200)"
	stop_pid "$re_pid"
}

# ---- trunkbridge ---------------------------------------------------------------
run_trunkbridge() {
	run_mb trunkbridge --system trunkbridge --port-min 20000 --port-max 59999
}

[ "$only" = trunkbridge ] || run_rtpengine
[ "$only" = rtpengine ] || run_trunkbridge

for k in "${order[@]}"; do echo "$k: ${fig[$k]}"; done
echo "note: bench/media took $(($(date +%s) - t_start)) s"
