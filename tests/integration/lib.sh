# Shared helpers of the integration tests (sourced after $work is set).

# free_port: a TCP port nobody listens on, in 12000-31999 (below the
# kernel's ephemeral range, 32768-60999 here, so no outgoing connection's
# local port is in the way of a listener), never the same twice in one test
# (remembered in $work/.ports, so it works in $(...)).
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((12000 + RANDOM % 20000))
		grep -qx "$p" "$work/.ports" 2>/dev/null && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p" >>"$work/.ports"
			echo "$p"
			return 0
		fi
	done
	return 1
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
	for _ in $(seq 1 $((${2:-10} * 10))); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# stop_clean PID LOG: SIGTERM trunkbridge; it must exit 0 within 10 s with
# no sanitizer report in its log (the ASan build of the tests leaks nothing
# and reads nothing freed on the way out).
stop_clean() {
	kill -TERM "$1" 2>/dev/null || return 1
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$1" 2>/dev/null; then echo "trunkbridge still running 10 s after SIGTERM"; return 1; fi
	local rc=0
	wait "$1" 2>/dev/null || rc=$?
	if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$2"; then
		grep -m1 'SUMMARY: \|runtime error:' "$2"
		return 1
	fi
	[ "$rc" -eq 0 ] || { echo "trunkbridge exited $rc on SIGTERM"; return 1; }
}
