#!/usr/bin/env bash
# Runs the libFuzzer targets, each for <seconds>, seeded from the corpora.
#
# usage: tests/fuzz/run.sh <build-dir> <seconds>
#   (make fuzz FUZZ_SECONDS=60 builds build-fuzz/ with clang, ASan+UBSan and
#   -fsanitize=fuzzer, then calls this)
#
# Seeds are assembled in a temporary directory (removed at exit) from:
#   - the shared public suites, read in place from <repo>/../shared/testdata
#     (RFC 4475, RFC 5118, a sample of the PROTOS c07-sip cases): never
#     copied into the repository;
#   - examples/messages/*.sip and tests/fuzz/seeds/ (msg-*, uri-*, hdr-*:
#     a hdr-* file starts with the selector letter of fuzz_hdr.c; sdp-*:
#     SDP bodies).
# fuzz_uri gets the Request-URIs and <...> URIs found in those messages,
# fuzz_hdr gets their header values prefixed with the matching selector,
# fuzz_sdp gets tests/fuzz/seeds/sdp-* and the SDP bodies (a body that
# starts with "v=") of examples/messages/*.sip and of the other messages
# above (needs perl; without it, the sdp-* seeds only).
#
# Targets run one after the other (fuzz_msg, fuzz_uri, fuzz_hdr, fuzz_sdp) with
# ASAN_OPTIONS=detect_leaks=1. One summary line per target; crash, leak and
# timeout inputs are kept in <build-dir>/artifacts/, full logs in
# <build-dir>/fuzz-logs/. Exits non-zero if any target failed.
set -euo pipefail

usage() {
	echo "usage: $0 <build-dir> <seconds>" >&2
	exit 2
}
[ $# -eq 2 ] || usage
case $2 in '' | *[!0-9]*) usage ;; esac
secs=$2

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$1
if [ ! -d "$build" ] && [ -d "$repo/$build" ]; then
	build=$repo/$build
fi
[ -d "$build" ] || { echo "run.sh: no build directory $1" >&2; exit 2; }
build=$(cd "$build" && pwd)

shared=$repo/../shared/testdata
for d in rfc4475 rfc4475/variants rfc5118 rfc5118/variants protos-c07-sip; do
	if [ ! -d "$shared/$d" ]; then
		echo "run.sh: shared test data missing: $shared/$d" >&2
		echo "run.sh: (CI keeps shared/ beside the checkout; cannot seed the fuzzers)" >&2
		exit 1
	fi
done
protos_tar=$shared/protos-c07-sip/c07-sip-cases.tar.xz
protos_groups=$shared/protos-c07-sip/GROUPS.tsv
[ -f "$protos_tar" ] && [ -f "$protos_groups" ] || {
	echo "run.sh: PROTOS archive or GROUPS.tsv missing in $shared/protos-c07-sip" >&2
	exit 1
}

targets=(fuzz_msg fuzz_uri fuzz_hdr fuzz_sdp fuzz_media)
for t in "${targets[@]}"; do
	[ -x "$build/$t" ] || { echo "run.sh: $build/$t not built (make fuzz)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tb-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/artifacts" "$build/fuzz-logs"
mkdir -p "$work/msg" "$work/uri" "$work/hdr" "$work/sdp" "$work/media" "$work/protos"

# --- fuzz_msg seeds ----------------------------------------------------------
n=0
for f in "$shared"/rfc4475/*.dat "$shared"/rfc4475/variants/*.dat \
	"$shared"/rfc5118/*.dat "$shared"/rfc5118/variants/*.dat \
	"$repo"/examples/messages/*.sip "$here"/seeds/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	cp "$f" "$work/msg/$(printf '%04d' "$n")-$(basename "$f")"
done

# PROTOS c07-sip: case 0 (the valid baseline), the first case of every group
# and every 50th case. A case file is "<length> <INVITE>" then
# "<length> <teardown>": keep the INVITE bytes, as they are (placeholders
# like <To> included) and, when perl is there, with the placeholders filled
# and Content-Length computed, which gets past the eager header checks.
mapfile -t picks < <(
	{
		echo 0
		awk -F'\t' 'NR > 1 && $2 ~ /^[0-9]+$/ { print $2 }' "$protos_groups"
		seq 0 50 4526
	} | sort -n -u | awk '{ printf "cases/%07d\n", $1 }'
)
tar -xJf "$protos_tar" -C "$work/protos" "${picks[@]}"
for f in "$work"/protos/cases/*; do
	len=$(head -c 16 "$f" | LC_ALL=C grep -ao '^[0-9][0-9]*' | head -n 1 || true)
	out=$work/msg/protos-$(basename "$f")
	if [ -n "$len" ]; then
		{ tail -c +$((${#len} + 2)) "$f" | head -c "$len" >"$out"; } || true
	else
		cp "$f" "$out"
	fi
done
if command -v perl >/dev/null 2>&1; then
	perl -e '
		my %v = ("To" => "bob\@sbc1.example.com", "From" => "alice\@client.example.com",
			"From-Address" => "client.example.com", "From-IP" => "192.0.2.1",
			"Local-Port" => "5060", "Branch-ID" => "1", "Call-ID" => "c07",
			"CSeq" => "1", "Teardown-Method" => "CANCEL");
		for my $f (@ARGV) {
			open(my $in, "<:raw", $f) or next;
			local $/; my $s = <$in>; close $in;
			$s =~ s/<(To|From|From-Address|From-IP|Local-Port|Branch-ID|Call-ID|CSeq|Teardown-Method)>/$v{$1}/g;
			my $i = index($s, "\r\n\r\n");
			my $cl = $i < 0 ? 0 : length($s) - $i - 4;
			$s =~ s/<Content-Length>/$cl/g;
			open(my $out, ">:raw", "$f-filled") or next;
			print $out $s; close $out;
		}' "$work"/msg/protos-*
fi
rm -rf "$work/protos"

# --- fuzz_uri seeds: Request-URIs and <...> URIs from those messages --------
cp "$here"/seeds/uri-* "$work/uri/" 2>/dev/null || true
n=0
while IFS= read -r u; do
	n=$((n + 1))
	printf '%s' "$u" >"$work/uri/x$n"
done < <(
	cat "$work"/msg/* | tr -d '\r' | LC_ALL=C awk '
		/^[A-Za-z!%*_+.~`'\''-]+ [^ ]+ SIP\/2\.0$/ { print $2 }
		{
			s = $0
			while (match(s, /<[A-Za-z][A-Za-z0-9+.-]*:[^<> ]*>/)) {
				print substr(s, RSTART + 1, RLENGTH - 2)
				s = substr(s, RSTART + RLENGTH)
			}
		}' | LC_ALL=C sort -u | head -n 800
)

# --- fuzz_hdr seeds: header values with the selector of their decoder -------
cp "$here"/seeds/hdr-* "$work/hdr/" 2>/dev/null || true
n=0
while IFS= read -r h; do
	n=$((n + 1))
	printf '%s' "$h" >"$work/hdr/x$n"
done < <(
	cat "$work"/msg/* | tr -d '\r' | LC_ALL=C awk '
		function out(sel, v) { print sel v }
		/^[A-Za-z0-9!%*_+.~`'\''-]+[ \t]*:/ {
			i = index($0, ":")
			name = tolower($0); name = substr(name, 1, i - 1)
			sub(/[ \t]+$/, "", name)
			v = substr($0, i + 1); sub(/^[ \t]+/, "", v)
			if (name ~ /^(from|f|to|t|reply-to|p-asserted-identity|p-preferred-identity)$/) out("@", v)
			if (name ~ /^(contact|m)$/) { out("A", v); out("M", v) }
			if (name ~ /^(route|record-route|path)$/) out("M", v)
			if (name ~ /^(via|v)$/) { out("B", v); out("O", v) }
			if (name == "diversion") out("C", v)
			if (name == "history-info") out("D", v)
			if (name ~ /^(refer-to|r|referred-by|b)$/) out("E", v)
			if (name == "replaces") out("F", v)
			if (name == "reason") out("G", v)
			if (name ~ /^(session-expires|x)$/) out("H", v)
			if (name == "rack") out("I", v)
			if (name == "retry-after") out("J", v)
			if (name ~ /^(supported|k|require|proxy-require|unsupported|allow)$/) out("K", v)
			if (name ~ /^(expires|min-se|rseq|min-expires|max-forwards|content-length|l)$/) out("L", v)
			j = index(v, ";")
			if (j > 0) out("N", substr(v, j))
		}' | LC_ALL=C sort -u | head -n 1500
)

# --- fuzz_sdp seeds: tests/fuzz/seeds/sdp-*, and the messages' SDP bodies ----
cp "$here"/seeds/sdp-* "$work/sdp/" 2>/dev/null || true
if command -v perl >/dev/null 2>&1; then
	perl -e '
		my ($dir, %seen) = shift;
		my $n = 0;
		for my $f (@ARGV) {
			open(my $in, "<:raw", $f) or next;
			local $/; my $s = <$in>; close $in;
			next unless defined $s && $s =~ /\r?\n\r?\n/;
			my $body = substr($s, $+[0]);
			next unless $body =~ /^v=/ && !$seen{$body}++;
			open(my $out, ">:raw", sprintf("%s/body-%04d", $dir, ++$n)) or next;
			print $out $body; close $out;
		}' "$work/sdp" "$repo"/examples/messages/*.sip "$work"/msg/*
fi

# --- fuzz_media seeds: a selector byte, then a packet ------------------------
# 0 + a binding request shaped like RFC 5769 2.1's sample (short-term credentials,
# ufrag evtj, password VOkJxbRl1RmTxUk/WvJxBt); 1..4 + an RTP/RTCP-shaped
# packet (the unprotects reject it, from the start of their checks); 5 + an
# RTP packet (the round trip runs).
printf '\x00\x00\x01\x00\x58\x21\x12\xa4\x42\xb7\xe7\xa7\x01\xbc\x34\xd6\x86\xfa\x87\xdf\xae\x80\x22\x00\x10\x53\x54\x55\x4e\x20\x74\x65\x73\x74\x20\x63\x6c\x69\x65\x6e\x74\x00\x24\x00\x04\x6e\x00\x01\xff\x80\x29\x00\x08\x93\x2f\xf9\xb1\x51\x26\x3b\x36\x00\x06\x00\x09\x65\x76\x74\x6a\x3a\x68\x36\x76\x59\x20\x20\x20\x00\x08\x00\x14\x9a\xea\xa7\x0c\xbf\xd8\xcb\x56\x78\x1e\xf2\xb5\xb2\xd3\xf2\x49\xc1\xb5\x71\xa2\x80\x28\x00\x04\xe5\x7a\x3b\xcf' >"$work/media/stun-rfc5769"
rtp='\x80\x00\x12\x34\xde\xad\xbe\xef\xca\xfe\xba\xbe\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab'
rtcp='\x80\xc8\x00\x06\xca\xfe\xba\xbe\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05\x80\x00\x00\x01\xab\xab\xab\xab\xab\xab\xab\xab\xab\xab'
for sel in 1 2 5; do printf "\\x0$sel$rtp" >"$work/media/rtp-$sel"; done
for sel in 3 4; do printf "\\x0$sel$rtcp" >"$work/media/rtcp-$sel"; done

# --- run ---------------------------------------------------------------------
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed=0
for t in "${targets[@]}"; do
	case $t in
	fuzz_msg) corpus=$work/msg ;;
	fuzz_uri) corpus=$work/uri ;;
	fuzz_hdr) corpus=$work/hdr ;;
	fuzz_sdp) corpus=$work/sdp ;;
	fuzz_media) corpus=$work/media ;;
	esac
	seeds=$(find "$corpus" -type f | wc -l)
	log=$build/fuzz-logs/$t.log
	rc=0
	"$build/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$t-" "$corpus" >"$log" 2>&1 || rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
	corp=$(grep -ao 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -n 1 | sed 's/corp: //' || true)
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		failed=1
		if grep -q 'ERROR: LeakSanitizer' "$log"; then
			result=LEAK
		elif grep -q 'ALARM: working on the last Unit' "$log"; then
			result=TIMEOUT
		elif grep -q 'out-of-memory' "$log"; then
			result=OOM
		else
			result=CRASH
		fi
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		result="$result (rc $rc${art:+, input $art}, log $log)"
	fi
	printf '%s: %s executions, corpus %s (inputs/bytes, from %s seeds), %s seconds: %s\n' \
		"$t" "${execs:-?}" "${corp:-?}" "$seeds" "$secs" "$result"
	if [ "$rc" -ne 0 ]; then
		grep -a -m 1 -A 12 -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error|ALARM|deadly signal' "$log" >&2 || tail -n 20 "$log" >&2
	fi
done
exit "$failed"
