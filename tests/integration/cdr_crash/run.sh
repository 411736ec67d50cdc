#!/usr/bin/env bash
# CDR crash safety: "a kill -9 under load loses no row of a call that had
# ended". cdrkill (tests/tools/cdrkill.c, built beside trunkbridge) writes
# CDR rows through src/cdr as fast as it can and prints each row's id once
# cdr_store_write() has returned. We SIGKILL it after about a second, then
# check with the sqlite3 CLI that every id it printed is in the file.
# Three rounds on the same file: one writer, two writers at once (lock
# contention), one writer again (after two crash recoveries). Processes are
# stopped by PID; every wait is bounded; the temp dir is removed.
#
# usage: run.sh <trunkbridge> [<testdata>]   (only the binary's folder is used)
set -euo pipefail
tb=$(readlink -f "$1")
tool=$(dirname "$tb")/cdrkill
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -5 "$f"; }; done
	exit 1
}

[ -x "$tool" ] || fail "cdrkill not built beside $tb"
command -v sqlite3 >/dev/null || fail "the sqlite3 CLI is not installed (Debian package sqlite3)"
db=$work/cdr.db

# round NAME...: start one writer per NAME, let them write ~1 s, SIGKILL.
round() {
	local names=("$@") rpids=() n p rc
	for n in "${names[@]}"; do
		"$tool" "$db" "$n" 30 >"$work/$n.out" 2>"$work/$n.err" &
		rpids+=($!); pids+=($!)
	done
	# wait (bounded) until each writer has committed a first row
	for n in "${names[@]}"; do
		for _ in $(seq 1 100); do
			[ -s "$work/$n.out" ] && break
			sleep 0.05
		done
		[ -s "$work/$n.out" ] || fail "writer $n wrote nothing in 5 s"
	done
	sleep 1
	for p in "${rpids[@]}"; do kill -KILL "$p"; done
	for p in "${rpids[@]}"; do
		rc=0; { wait "$p"; } 2>/dev/null || rc=$?
		# 137 = killed by SIGKILL; anything else: it stopped by itself
		[ "$rc" -eq 137 ] || fail "writer pid $p ended with $rc before the kill"
	done
	pids=() # all reaped: cleanup must not signal reused PIDs
	for n in "${names[@]}"; do check "$n"; done
}

# check NAME: every id NAME printed is in the database.
check() {
	local n=$1 printed stored missing
	# whole lines only: ids are fixed width, a cut line cannot match
	grep -E "^ok $n-[0-9]{8}\$" "$work/$n.out" | cut -d' ' -f2 | sort >"$work/$n.printed" || true
	sqlite3 "$db" "SELECT call_id FROM cdr WHERE call_id LIKE '$n-%';" | sort >"$work/$n.stored"
	printed=$(wc -l <"$work/$n.printed")
	stored=$(wc -l <"$work/$n.stored")
	[ "$printed" -gt 0 ] || fail "writer $n printed no id"
	missing=$(comm -23 "$work/$n.printed" "$work/$n.stored" | wc -l)
	if [ "$missing" -ne 0 ]; then
		comm -23 "$work/$n.printed" "$work/$n.stored" | head -5
		fail "writer $n: $missing of $printed rows reported written are missing"
	fi
	# at most the one row committed but not yet printed may be extra
	[ "$stored" -le $((printed + 1)) ] || fail "writer $n: $stored rows stored, $printed printed"
	echo "ok   writer $n: $printed rows reported written, all $stored in the file"
}

round k1
round k2a k2b
round k3

[ "$(sqlite3 "$db" 'PRAGMA integrity_check;')" = ok ] || fail "integrity_check failed"
[ "$(sqlite3 "$db" 'PRAGMA journal_mode;')" = wal ] || fail "not in WAL mode"
total=$(sqlite3 "$db" 'SELECT count(*) FROM cdr;')
# the view answers too (what an engineer would run)
sqlite3 "$db" "SELECT count(*) FROM cdr_view WHERE start IS NOT NULL AND duration_s = 55.0;" \
	| grep -qx "$total" || fail "cdr_view disagrees with cdr"
echo "PASS: cdr_crash ($total rows over 3 kill -9 rounds, none lost)"
