#!/usr/bin/env bash
# The admin endpoint (docs/admin.md) on the call lab, with a bearer token:
#   1. /health answers "ok" without the token; /status, /calls, /metrics
#      answer 401 (with WWW-Authenticate) without it, 200 with it; an
#      unknown path 404, a POST 405;
#   2. /status lists both trunks Active with their servers; /metrics is
#      Prometheus text (a strict awk parser: every sample
#      `name{labels} value`, a valid name, a # TYPE before it, counters
#      end in _total, numbers) with trunk_up 1 for both trunks;
#   3. a call ACS -> Genesys held 3 s: /calls shows it (trunks, numbers,
#      answered); after it, calls_total{outcome="answered"} is 1, the
#      per-trunk outcomes (acs inbound, genesys outbound) 1, the call
#      rate 1/60; a TLS 1.1 client is counted by reason;
#   4. `trunkbridge status --url ... --token ...` (and `-c lab.yaml`)
#      prints both trunks Active and exits 0; once the Genesys UAS is gone
#      the trunk turns Inactive and it exits 1; a wrong port exits 2;
#   5. SIGHUP with a new admin.listen moves the endpoint (the token still
#      required); SIGHUP without the admin section stops it.
# trunkbridge exits 0 on SIGTERM. Loopback only; processes stopped by PID.
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=admin
. "$repo/tests/integration/calllab.sh"
media="$here/../calls_media"

lab_init
command -v curl >/dev/null || lab_fail "curl is not installed (scripts/deps.sh installs it)"
lab_yaml
# the Genesys side of calls_media's scenarios wants telephone-event 96
sed -i 's|^\(    termination_uri: trunkbridge-lab.byoc.lab.test.*\)$|\1\n    dtmf_payload: 96|' "$work/lab.yaml"
grep -q 'dtmf_payload: 96' "$work/lab.yaml" || lab_fail "lab.yaml: no place for dtmf_payload"
ADMIN_PORT=$(free_port)
TOKEN=lab-admin-token-0123456789abcdef
cat >>"$work/lab.yaml" <<YAML

admin:
  listen: "127.0.0.1:$ADMIN_PORT"
  token: $TOKEN
log:
  level: info
  modules: { trunk: debug, media: warn }
YAML
URL=http://127.0.0.1:$ADMIN_PORT
lab_stunnel
KA=pSd++oBu5GJV5o8PBqkvMHsl7b/arJIdSl6AmJQD
KG=d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj
A_PORT=$(free_port) G_PORT=$(free_port)
lab_uas genesys "$media/uas_genesys_media.xml" 1 -key g_port "$G_PORT" -key g_key "$KG" \
	-key media_file "$work/gc_media"
lab_uas sip "$here/../calls_genesys_to_acs/uas_acs.xml" 0 # OPTIONS only
lab_uas sip2 "$here/../calls_genesys_to_acs/uas_acs.xml" 0
lab_tb_start
LAB_STEP="trunks" lab_wait_active
grep -q "event=admin_listening listen=127.0.0.1:$ADMIN_PORT token=yes" "$work/tb.log" ||
	lab_fail "no event=admin_listening in the log"
echo "ok: trunks acs (sip, sip2) and genesys Active; admin on 127.0.0.1:$ADMIN_PORT"
# log.modules: trunk at debug (every OPTIONS ping), the others at info
grep -q 'level=debug module=trunk event=options_ping trunk=genesys server=127.0.0.4:[0-9]* status=200 ' "$work/tb.log" ||
	lab_fail "log.modules trunk: debug: no debug options_ping line"
grep -q 'level=info module=app event=started ' "$work/tb.log" ||
	lab_fail "no info line with its module: $(head -3 "$work/tb.log")"
! grep -q 'level=debug module=[^t]' "$work/tb.log" || lab_fail "a debug line from a module at info: $(grep -m1 'level=debug module=[^t]' "$work/tb.log")"
echo "ok: log.modules: trunk debug lines (options_ping), module= on every line"

# get PATH [curl args]: the body (stdout), the status code in $work/code
get() {
	local p=$1
	shift
	curl -sS --max-time 5 -o "$work/body" -w '%{http_code}' "$@" "$URL$p" >"$work/code" ||
		lab_fail "curl $URL$p failed"
	cat "$work/body"
}
code() { cat "$work/code"; }
auth=(-H "Authorization: Bearer $TOKEN")

LAB_STEP="1: health, the token"
lab_expect "/health" "$(get /health)" ok
lab_expect "/health status" "$(code)" 200
for p in /status /calls /metrics; do
	get "$p" >/dev/null
	lab_expect "$p without the token" "$(code)" 401
	get "$p" -H "Authorization: Bearer wrong-token-0123456789" >/dev/null
	lab_expect "$p with a wrong token" "$(code)" 401
	get "$p" "${auth[@]}" >/dev/null
	lab_expect "$p with the token" "$(code)" 200
done
curl -sS --max-time 5 -D - -o /dev/null "$URL/status" | tr -d '\r' |
	grep -q '^WWW-Authenticate: Bearer' || lab_fail "401 without WWW-Authenticate"
get /nothing "${auth[@]}" >/dev/null
lab_expect "unknown path" "$(code)" 404
get /status "${auth[@]}" -X POST >/dev/null
lab_expect "POST" "$(code)" 405
big=$(head -c 12000 /dev/zero | tr '\0' a)
c=$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$URL/health" 2>/dev/null || true)
[ "$c" != 200 ] || lab_fail "a 12 kB header was taken"
lab_expect "/health after the big header" "$(get /health)" ok
lab_ok "/health ok without the token; /status /calls /metrics 401 without (WWW-Authenticate), 401 with a wrong one, 200 with it; 404, 405; 12 kB of headers refused ($c)"

LAB_STEP="2: /status and /metrics"
get /status "${auth[@]}" >"$work/status.json"
# each trunk's name then its status (JSON_INDENT: one key a line)
trunks=$(awk -F'"' '/"name":/ { n = $4 } /"profile":/ { p = 1 } p && /"status":/ { print n "=" $4; p = 0 }' "$work/status.json" | tr '\n' ' ')
lab_expect "trunks in /status" "$trunks" "acs=Active genesys=Active "
for s in "127.0.0.2:$LAB_S1" "127.0.0.3:$LAB_S2" "127.0.0.4:$LAB_G"; do
	grep -q "\"server\": \"$s\"" "$work/status.json" || lab_fail "/status does not list server $s"
done
[ "$(grep -c '"status": "Active"' "$work/status.json")" -eq 5 ] ||
	lab_fail "/status: want 5 Active (2 trunks, 3 servers): $(cat "$work/status.json")"
grep -q '"free_port_pairs": 50' "$work/status.json" || lab_fail "/status: free_port_pairs is not 50"

# promcheck FILE: Prometheus text format 0.0.4, strictly
promcheck() {
	awk '
	function bad(why) { printf "line %d: %s: %s\n", NR, why, $0; err = 1 }
	/^# HELP / { next }
	/^# TYPE / {
		if (NF != 4 || $3 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/ ||
		    $4 !~ /^(counter|gauge|histogram|summary|untyped)$/) { bad("bad TYPE line"); next }
		if ($3 in type) bad("TYPE twice")
		type[$3] = $4; next }
	/^#/ { bad("a comment that is neither HELP nor TYPE"); next }
	/^$/ { bad("empty line"); next }
	{
		line = $0
		if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { bad("bad metric name"); next }
		name = substr(line, 1, RLENGTH); rest = substr(line, RLENGTH + 1)
		if (substr(rest, 1, 1) == "{") {
			if (!match(rest, /^\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\}/)) { bad("bad labels"); next }
			rest = substr(rest, RLENGTH + 1)
		}
		if (!match(rest, /^ [^ ]+( -?[0-9]+)?$/)) { bad("no single value after the name"); next }
		split(substr(rest, 2), v, " ")
		if (v[1] !~ /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/ && v[1] !~ /^(NaN|[+-]Inf)$/) bad("value is not a number")
		if (!(name in type)) bad("no # TYPE before " name)
		else if (type[name] == "counter" && name !~ /_total$/) bad("counter " name " does not end in _total")
		samples++
	}
	END { if (!samples) { print "no samples"; err = 1 } exit err }' "$1"
}
# metric SERIES: the value of one series (name{labels} exactly as written)
metric() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$work/metrics.txt"; }

get /metrics "${auth[@]}" >"$work/metrics.txt"
promcheck "$work/metrics.txt" >"$work/promcheck.out" || lab_fail "/metrics is not Prometheus text: $(head -5 "$work/promcheck.out")"
# the parser itself refuses what it should
printf '# TYPE x_total counter\nx_total{a="1"} 1\ny 2\n' >"$work/bad1.txt"
printf '# TYPE x counter\nx 1\n' >"$work/bad2.txt"
printf '# TYPE x gauge\nx{a=1} 1\n' >"$work/bad3.txt"
printf '# TYPE x gauge\nx one\n' >"$work/bad4.txt"
for f in bad1 bad2 bad3 bad4; do
	! promcheck "$work/$f.txt" >/dev/null || lab_fail "promcheck accepts $f"
done
lab_expect "trunk_up acs" "$(metric 'trunkbridge_trunk_up{trunk="acs"}')" 1
lab_expect "trunk_up genesys" "$(metric 'trunkbridge_trunk_up{trunk="genesys"}')" 1
lab_expect "server_up genesys" "$(metric "trunkbridge_server_up{trunk=\"genesys\",server=\"127.0.0.4:$LAB_G\"}")" 1
lab_expect "calls answered before a call" "$(metric 'trunkbridge_calls_total{outcome="answered"}')" 0
lab_expect "media drops (foreign)" "$(metric 'trunkbridge_media_dropped_packets_total{reason="foreign"}')" 0
lab_expect "media endpoints" "$(metric 'trunkbridge_media_endpoints')" 0
rtt=$(metric "trunkbridge_options_rtt_seconds{trunk=\"acs\",server=\"127.0.0.2:$LAB_S1\"}")
[ "$rtt" != absent ] || lab_fail "no options_rtt_seconds for sip"
lab_ok "both trunks Active with their 3 servers; /metrics: $(grep -vc '^#' "$work/metrics.txt") samples, strict parse ok, trunk_up 1 and 1, OPTIONS RTT $rtt s"

LAB_STEP="2: trunkbridge status, both Active"
rc=0
"$tb" status --url "$URL" --token "$TOKEN" >"$work/st.out" 2>&1 || rc=$?
lab_expect "status --url: exit ($(tr '\n' '|' <"$work/st.out"))" "$rc" 0
grep -Eq '^acs +Active +127\.0\.0\.2:[0-9]+ +Active ' "$work/st.out" || lab_fail "status: acs: $(cat "$work/st.out")"
grep -Eq '^genesys +Active +127\.0\.0\.4:[0-9]+ +Active ' "$work/st.out" || lab_fail "status: genesys: $(cat "$work/st.out")"
sed 's/^/  /' "$work/st.out"
rc=0
"$tb" status -c "$work/lab.yaml" >"$work/st_c.out" 2>&1 || rc=$?
lab_expect "status -c lab.yaml: exit" "$rc" 0
lab_ok "trunkbridge status: both trunks Active, exit 0 (--url --token, and -c lab.yaml)"

LAB_STEP="3: a call: /calls, calls_total"
lab_uac_bg call1 acs "$media/uac_acs_media.xml" -s +14255550101 -key a_port "$A_PORT" \
	-key a_key "$KA" -key media_file "$work/acs_media" -set hold_ms 3000 \
	-set reinvite 0 -set wait_bye 0
lab_wait_file "$work/acs_media" call1 10 || lab_fail "the ACS caller got no usable 200 (its errors below)"
get /calls "${auth[@]}" >"$work/calls.json"
for want in '"count": 1' '"truncated": false' '"in_trunk": "acs"' '"out_trunk": "genesys"' \
	'"called": "+14255550101"' '"state": "answered"'; do
	grep -qF "$want" "$work/calls.json" || lab_fail "/calls during the call has no $want: $(cat "$work/calls.json")"
done
grep -q '"answered": "20' "$work/calls.json" || lab_fail "/calls: no answered time"
get /metrics "${auth[@]}" >"$work/metrics.txt"
lab_expect "active calls during the call" "$(metric 'trunkbridge_calls_active')" 1
lab_expect "media endpoints during the call" "$(metric 'trunkbridge_media_endpoints')" 2
lab_uac_wait call1 15
lab_uas_wait genesys 10 # its one call: it stops, and the trunk will go down
get /metrics "${auth[@]}" >"$work/metrics.txt"
promcheck "$work/metrics.txt" >"$work/promcheck.out" || lab_fail "/metrics after the call: $(head -5 "$work/promcheck.out")"
lab_expect "calls answered" "$(metric 'trunkbridge_calls_total{outcome="answered"}')" 1
lab_expect "calls failed" "$(metric 'trunkbridge_calls_total{outcome="failed"}')" 0
lab_expect "active calls after" "$(metric 'trunkbridge_calls_active')" 0
lab_expect "acs inbound answered" "$(metric 'trunkbridge_trunk_calls_total{trunk="acs",direction="inbound",outcome="answered"}')" 1
lab_expect "genesys outbound answered" "$(metric 'trunkbridge_trunk_calls_total{trunk="genesys",direction="outbound",outcome="answered"}')" 1
lab_expect "acs outbound answered" "$(metric 'trunkbridge_trunk_calls_total{trunk="acs",direction="outbound",outcome="answered"}')" 0
lab_expect "genesys inbound failed" "$(metric 'trunkbridge_trunk_calls_total{trunk="genesys",direction="inbound",outcome="failed"}')" 0
# one call in the last minute: 1/60 per second
lab_expect "call rate" "$(metric 'trunkbridge_call_rate{window="60s"}')" 0.017
# a TLS 1.1-only client: refused by the listener, counted by reason
timeout 10 openssl s_client -connect "127.0.0.1:$LAB_TB" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
	</dev/null >"$work/s_client11.log" 2>&1 || true
for _ in $(seq 1 50); do
	get /metrics "${auth[@]}" >"$work/metrics.txt"
	[ "$(metric 'trunkbridge_tls_handshake_failures_total{direction="inbound",reason="protocol_version"}')" = 1 ] && break
	sleep 0.1
done
lab_expect "TLS failures inbound protocol_version" "$(metric 'trunkbridge_tls_handshake_failures_total{direction="inbound",reason="protocol_version"}')" 1
lab_expect "TLS failures inbound name_mismatch" "$(metric 'trunkbridge_tls_handshake_failures_total{direction="inbound",reason="name_mismatch"}')" 0
promcheck "$work/metrics.txt" >"$work/promcheck.out" || lab_fail "/metrics with TLS failures: $(head -5 "$work/promcheck.out")"
get /calls "${auth[@]}" | grep -qF '"count": 0' || lab_fail "/calls after the call is not empty"
lab_ok "/calls showed the call (acs -> genesys, +14255550101, answered); calls_total{outcome=\"answered\"} 1 after it; trunk_calls_total acs inbound and genesys outbound answered 1; call_rate 0.017/s; a TLS 1.1 client counted as tls_handshake_failures_total{inbound,protocol_version} 1"

LAB_STEP="4: trunkbridge status"
rc=0
"$tb" status --url "$URL" >"$work/st_noauth.out" 2>&1 || rc=$?
lab_expect "status without the token: exit" "$rc" 2
rc=0
"$tb" status --url "http://127.0.0.1:$(free_port)" --token "$TOKEN" >/dev/null 2>&1 || rc=$?
lab_expect "status toward nothing: exit" "$rc" 2
# until the Genesys trunk is Inactive (options_interval 5s, down_after 2)
rc=0
for _ in $(seq 1 40); do
	rc=0
	"$tb" status --url "$URL" --token "$TOKEN" >"$work/st.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] && break
	sleep 0.5
done
lab_expect "status once Genesys is gone: exit" "$rc" 1
grep -Eq '^acs +Active ' "$work/st.out" || lab_fail "status: acs: $(cat "$work/st.out")"
grep -Eq '^genesys +Inactive +127\.0\.0\.4:[0-9]+ +Inactive ' "$work/st.out" ||
	lab_fail "status: genesys not Inactive: $(cat "$work/st.out")"
sed 's/^/  /' "$work/st.out"
get /metrics "${auth[@]}" >"$work/metrics.txt"
lab_expect "trunk_up genesys after" "$(metric 'trunkbridge_trunk_up{trunk="genesys"}')" 0
lab_ok "exit 2 without the token or the endpoint, 1 once genesys is Inactive (trunk_up 0)"

LAB_STEP="5: reload: the endpoint moves, then stops with its section"
n=$(grep -c 'event=reloaded' "$work/tb.log" || true)
ADMIN_PORT2=$(free_port)
sed -i "s|listen: \"127.0.0.1:$ADMIN_PORT\"|listen: \"127.0.0.1:$ADMIN_PORT2\"|" "$work/lab.yaml"
grep -q "127.0.0.1:$ADMIN_PORT2" "$work/lab.yaml" || lab_fail "lab.yaml: admin.listen not changed"
kill -HUP "$lab_tb_pid"
for _ in $(seq 1 50); do [ "$(grep -c 'event=reloaded' "$work/tb.log" || true)" -gt "$n" ] && break; sleep 0.1; done
URL=http://127.0.0.1:$ADMIN_PORT2
lab_expect "/health on the new listen" "$(get /health)" ok
get /metrics >/dev/null
lab_expect "/metrics on the new listen without the token" "$(code)" 401
rc=0
curl -sS --max-time 3 -o /dev/null "http://127.0.0.1:$ADMIN_PORT/health" 2>/dev/null || rc=$?
lab_expect "curl to the old listen (7: nothing listens)" "$rc" 7
# the section removed: the endpoint stops (not left without its token)
n=$(grep -c 'event=reloaded' "$work/tb.log" || true)
awk '/^admin:/ { skip = 1; next } skip && /^  / { next } { skip = 0; print }' "$work/lab.yaml" >"$work/lab2.yaml"
grep -q '^admin:\|token:' "$work/lab2.yaml" && lab_fail "lab2.yaml still has the admin section"
cp "$work/lab2.yaml" "$work/lab.yaml"
kill -HUP "$lab_tb_pid"
for _ in $(seq 1 50); do [ "$(grep -c 'event=reloaded' "$work/tb.log" || true)" -gt "$n" ] && break; sleep 0.1; done
lab_expect "event=admin_stopped (no admin section)" \
	"$(lab_log_count 'event=admin_stopped listen=127.0.0.1:[0-9]+ reason="no admin section any more"')" 1
rc=0
curl -sS --max-time 3 -o /dev/null "$URL/calls" 2>/dev/null || rc=$?
lab_expect "curl /calls once the section is gone (7: nothing listens)" "$rc" 7
lab_ok "SIGHUP: admin.listen moved to :$ADMIN_PORT2 (token still required, old port closed); section removed: the endpoint stopped"

lab_finish
