#!/usr/bin/env bash
# systemd (issue 7: "a systemd unit with sd_notify (READY, RELOADING,
# STOPPING) and the watchdog; make install"):
#  1. socat plays systemd's notification socket ($NOTIFY_SOCKET, a path):
#     trunkbridge sends READY=1, then WATCHDOG=1 every half of
#     $WATCHDOG_USEC (1 s here: at least 2 within 2 s; $WATCHDOG_PID is
#     trunkbridge's own PID), RELOADING=1 with MONOTONIC_USEC then READY=1
#     on SIGHUP (also when the reload is refused), STOPPING=1 on SIGTERM,
#     and exits 0.
#  2. an abstract socket (@name) works too; a $WATCHDOG_PID naming another
#     process means no watchdog messages.
#  3. `cmake --install` of the build (what `make install` runs) with DESTDIR
#     puts the binary, the unit and the example config where they belong;
#     the unit's ExecStart names the installed binary, which runs `check`;
#     `systemd-analyze verify` accepts the unit (installed under a prefix of
#     its own so that ExecStart exists; no running systemd is needed).
# Loopback only; every process stopped by PID; every wait bounded.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=$(dirname "$tb")
. "$here/../lib.sh"
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: systemd: $*"
	for f in notify.log notify2.log tb.log tb2.log; do
		[ -s "$work/$f" ] && { echo "--- $f"; tail -15 "$work/$f"; }
	done
	exit 1
}
command -v socat >/dev/null || fail "socat is not installed (scripts/deps.sh installs it)"

port=$(free_port)
cat >"$work/tb.yaml" <<YAML
identity: { fqdn: sbc1.lab.test }
listen: [ { transport: tcp, address: 127.0.0.1, port: $port } ]
trunks:
  carrier: { profile: generic, transport: tcp, servers: [ "127.0.0.3:5060" ], options_interval: 1h, allow: [ 127.0.0.2/32 ] }
YAML

# wait_for FILE ERE [SECONDS]: until a line of FILE matches ERE.
wait_for() {
	for _ in $(seq 1 $((${3:-10} * 10))); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- 1. a path socket, the watchdog for this PID
sock=$work/notify.sock
socat -u "UNIX-RECV:$sock" - >"$work/notify.log" 2>"$work/socat.err" &
pids+=($!)
for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || fail "socat did not make $sock"
NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 \
	bash -c 'export WATCHDOG_PID=$$; exec "$0" run -c "$1"' "$tb" "$work/tb.yaml" 2>"$work/tb.log" &
tb_pid=$!
pids+=($tb_pid)
wait_for "$work/notify.log" '^READY=1$' 10 || fail "no READY=1"
t0=$(date +%s%N)
grep -q '^STATUS=running$' "$work/notify.log" || fail "no STATUS=running with READY=1"
grep -q 'event=watchdog interval_ms=1000' "$work/tb.log" || fail "the watchdog interval was not taken from WATCHDOG_USEC"
before=$(grep -c '^WATCHDOG=1$' "$work/notify.log" || true)
sleep 2
after=$(grep -c '^WATCHDOG=1$' "$work/notify.log" || true)
n=$((after - before))
[ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "$n WATCHDOG=1 in 2 s with WATCHDOG_USEC=1000000 (want about 4: every 0.5 s)"
echo "ok: READY=1, then $n WATCHDOG=1 in 2 s (WATCHDOG_USEC 1 s, WATCHDOG_PID = trunkbridge)"

# SIGHUP: RELOADING=1 + MONOTONIC_USEC, then READY=1 again
mark=$(wc -l <"$work/notify.log")
kill -HUP "$tb_pid"
wait_for "$work/tb.log" 'event=reloaded' 10 || fail "no event=reloaded"
wait_for <(tail -n +"$((mark + 1))" "$work/notify.log") '^READY=1$' 2 || true
tail -n +"$((mark + 1))" "$work/notify.log" | grep -v '^WATCHDOG=1$' >"$work/reload.txt"
seq_got=$(grep -E '^(RELOADING|READY)=1$' "$work/reload.txt" | tr '\n' ' ')
[ "$seq_got" = "RELOADING=1 READY=1 " ] || fail "on SIGHUP got '$seq_got', want 'RELOADING=1 READY=1 '"
mono=$(grep -E '^MONOTONIC_USEC=[0-9]+$' "$work/reload.txt" | cut -d= -f2)
[ -n "$mono" ] || fail "RELOADING=1 without MONOTONIC_USEC=<digits>: $(tr '\n' '|' <"$work/reload.txt")"
# CLOCK_MONOTONIC, not wall time: close to the uptime (no suspend here)
up=$(awk '{ printf "%.0f", $1 * 1000000 }' /proc/uptime)
d=$((up > mono ? up - mono : mono - up))
[ "$d" -lt 60000000 ] || fail "MONOTONIC_USEC=$mono is not CLOCK_MONOTONIC (uptime ${up}us)"
grep -qx 'STATUS=running: config reloaded' "$work/reload.txt" || fail "no STATUS after the reload: $(tr '\n' '|' <"$work/reload.txt")"
echo "ok: SIGHUP: RELOADING=1 MONOTONIC_USEC=$mono, then READY=1"

# a refused reload: still READY=1 again (the old config runs)
cp "$work/tb.yaml" "$work/good.yaml"
echo "identity: [" >"$work/tb.yaml"
mark=$(wc -l <"$work/notify.log")
kill -HUP "$tb_pid"
wait_for "$work/tb.log" 'event=reload_refused' 10 || fail "a broken file was not refused"
for _ in $(seq 1 20); do
	tail -n +"$((mark + 1))" "$work/notify.log" | grep -q '^READY=1$' && break
	sleep 0.1
done
seq_got=$(tail -n +"$((mark + 1))" "$work/notify.log" | grep -E '^(RELOADING|READY)=1$|^STATUS=' | tr '\n' '|')
[ "$seq_got" = "RELOADING=1|READY=1|STATUS=running: reload refused, the config stays|" ] ||
	fail "on a refused reload got '$seq_got'"
cp "$work/good.yaml" "$work/tb.yaml"
echo "ok: a refused reload: RELOADING=1, READY=1 with its STATUS"

# SIGTERM: STOPPING=1, exit 0
mark=$(wc -l <"$work/notify.log")
stop_clean "$tb_pid" "$work/tb.log" || fail "trunkbridge did not stop cleanly"
sleep 0.2
tail -n +"$((mark + 1))" "$work/notify.log" | grep -qx 'STOPPING=1' || fail "no STOPPING=1 on SIGTERM"
grep -q 'event=draining signal=15 calls=0' "$work/tb.log" || fail "no event=draining calls=0"
echo "ok: SIGTERM: STOPPING=1, exit 0"

# ---- 2. an abstract socket; WATCHDOG_PID of another process
name=tb-notify-$$-$RANDOM
socat -u "ABSTRACT-RECV:$name" - >"$work/notify2.log" 2>"$work/socat2.err" &
pids+=($!)
sleep 0.3
NOTIFY_SOCKET=@$name WATCHDOG_USEC=200000 WATCHDOG_PID=1 "$tb" run -c "$work/tb.yaml" 2>"$work/tb2.log" &
tb2=$!
pids+=($tb2)
wait_for "$work/notify2.log" '^READY=1$' 10 || fail "no READY=1 over the abstract socket @$name"
sleep 1
grep -q '^WATCHDOG=1$' "$work/notify2.log" && fail "WATCHDOG=1 sent although WATCHDOG_PID names another process"
stop_clean "$tb2" "$work/tb2.log" || fail "trunkbridge (abstract socket) did not stop cleanly"
sleep 0.2
grep -qx 'STOPPING=1' "$work/notify2.log" || fail "no STOPPING=1 over the abstract socket"
echo "ok: abstract socket @name: READY=1, STOPPING=1; no watchdog for another PID"

# ---- 3. install
grep -q '^install:' "$repo/Makefile" || fail "the Makefile has no install target"
[ -f "$build/cmake_install.cmake" ] || fail "no cmake_install.cmake in $build"
DESTDIR=$work/dest cmake --install "$build" --prefix /usr >"$work/install.log" 2>&1 || fail "cmake --install failed: $(tail -3 "$work/install.log")"
for f in usr/bin/trunkbridge usr/lib/systemd/system/trunkbridge.service \
	usr/share/doc/trunkbridge/trunkbridge.example.yaml usr/share/doc/trunkbridge/operations.md; do
	[ -f "$work/dest/$f" ] || fail "make install did not write $f: $(find "$work/dest" -type f | tr '\n' ' ')"
done
[ -x "$work/dest/usr/bin/trunkbridge" ] || fail "the installed binary is not executable"
unit=$work/dest/usr/lib/systemd/system/trunkbridge.service
grep -qx 'ExecStart=/usr/bin/trunkbridge run -c /etc/trunkbridge/trunkbridge.yaml' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -qx 'Type=notify' "$unit" || fail "the unit is not Type=notify"
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "no ExecReload with SIGHUP"
grep -q '^WatchdogSec=' "$unit" || fail "no WatchdogSec"
! grep -n '@[A-Z_]*@' "$unit" || fail "a placeholder is left in the unit"
"$work/dest/usr/bin/trunkbridge" check -c "$work/tb.yaml" >"$work/check.out" 2>&1 || fail "the installed binary's check failed: $(tail -3 "$work/check.out")"
echo "ok: install (DESTDIR): bin/trunkbridge (runs check), lib/systemd/system/trunkbridge.service, share/doc/trunkbridge"

if command -v systemd-analyze >/dev/null; then
	cmake --install "$build" --prefix "$work/pfx" >/dev/null 2>&1 || fail "cmake --install --prefix failed"
	out=$(systemd-analyze verify "$work/pfx/lib/systemd/system/trunkbridge.service" 2>&1) || fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
	echo "ok: systemd-analyze verify accepts the unit"
else
	echo "skip: systemd-analyze is not installed: the unit was not verified"
fi
echo "PASS: systemd"
