#!/usr/bin/env bash
# A reload under load (issue 7: "a reload during 100 active calls drops
# none and applies the new routes to new calls"). The call lab (TLS
# everywhere, calllab.sh) plus a generic TCP trunk "overflow" (a SIPp callee
# at 127.0.0.5):
#   1. 100 concurrent calls ACS -> Genesys (SIPp -l 100 -m 100), each held
#      15 s by its caller;
#   2. while all 100 are up: SIGHUP with a broken file (a route to a trunk
#      that does not exist): event=reload_refused, its error with
#      file:line on stderr, the running config stays;
#   3. SIGHUP with the route ^\+1425555\d{4}$ moved from genesys to
#      overflow: event=reloaded;
#   4. 5 new calls to the same numbers go to overflow (its callee gets 5
#      INVITEs, Genesys none of them) while the 100 are still up;
#   5. the 100 calls end normally (caller BYE, 200): the caller's SIPp
#      counts 100 successful and 0 failed, the Genesys callee saw exactly
#      100 INVITEs and 100 BYEs;
#   6. the CDR has 105 rows: 100 acs->genesys and 5 acs->overflow, all
#      answered, status 200, hangup_by caller.
# trunkbridge exits 0 on SIGTERM (ASan build: no report).
set -euo pipefail
tb=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
LAB_NAME=reload_load
. "$repo/tests/integration/calllab.sh"

lab_init
lab_yaml
# 100 calls hold 200 relay endpoints of two ports each: 1000 ports
sed -i "s|^  ports: .*|  ports: $LAB_MEDIA_LO-$((LAB_MEDIA_LO + 999))|" "$work/lab.yaml"
LAB_OVER=$(free_port)
overflow_trunk="  overflow:
    profile: generic
    transport: tcp
    servers: [ \"127.0.0.5:$LAB_OVER\" ]
    options_interval: 1h
    allow: [ 127.0.0.5/32 ]
"
awk -v t="$overflow_trunk" '/^routes:/ { printf "%s\n", t } { print }' "$work/lab.yaml" >"$work/lab.tmp" &&
	mv "$work/lab.tmp" "$work/lab.yaml"
grep -q "^  - { from: acs, to: genesys, called: '^\\\\+1425555\\\\d{4}\$' }" "$work/lab.yaml" ||
	lab_fail "lab.yaml: the acs -> genesys route is not where this test expects it"
# the next generations: the route moved to overflow; and a broken one
sed "s|^  - { from: acs, to: genesys, called: |  - { from: acs, to: overflow, called: |" "$work/lab.yaml" >"$work/lab.new.yaml"
sed "s|^  - { from: acs, to: genesys, called: |  - { from: acs, to: nosuch, called: |" "$work/lab.yaml" >"$work/lab.bad.yaml"
cp "$work/lab.yaml" "$work/lab.first.yaml"

lab_stunnel
lab_uas genesys "$here/uas_genesys_hold.xml" 100
lab_uas sip "$repo/tests/integration/calls_genesys_to_acs/uas_acs.xml" 0
lab_uas sip2 "$repo/tests/integration/calls_genesys_to_acs/uas_acs.xml" 0
(cd "$work" && exec timeout 58 sipp -sf "$repo/tests/integration/drain/uas.xml" -t t1 -i 127.0.0.5 -p "$LAB_OVER" \
	-nostdin -timeout 55 -timeout_error -trace_err -error_file "$work/overflow.err" \
	-trace_msg -message_file "$work/overflow.msg" -set target 5) >"$work/overflow.out" 2>&1 &
lab_pid[overflow]=$!
lab_sipp+=(overflow)
lab_wait_addr 127.0.0.5 "$LAB_OVER" 10 || lab_fail "the overflow callee did not start"
lab_tb_start
LAB_STEP="trunks" lab_wait_active
echo "ok: trunks acs (sip, sip2) and genesys Active"

LAB_STEP="100 calls up"
lab_uac_bg held acs "$here/uac_acs_hold.xml" -s +14255550100 -m 100 -l 100 -r 50 -d 15000
for _ in $(seq 1 150); do
	[ "$(lab_log_count 'event=call_answered .*out_trunk=genesys')" -ge 100 ] && break
	kill -0 "${lab_pid[held]}" 2>/dev/null || break
	sleep 0.1
done
n=$(lab_log_count 'event=call_answered .*out_trunk=genesys')
lab_expect "calls answered by genesys" "$n" 100
lab_expect "calls ended before the reload" "$(lab_log_count 'event=call_end ')" 0
lab_ok "100 calls ACS -> Genesys answered and held"

LAB_STEP="reload with a broken file"
cp "$work/lab.bad.yaml" "$work/lab.yaml"
kill -HUP "$lab_tb_pid"
for _ in $(seq 1 50); do [ "$(lab_log_count 'event=reload_refused')" -ge 1 ] && break; sleep 0.1; done
lab_expect "reload_refused lines" "$(lab_log_count 'event=reload_refused config=.* errors=1 ')" 1
line=$(grep -n 'to: nosuch' "$work/lab.yaml" | cut -d: -f1)
grep -q "lab.yaml:$line:[0-9]*: .*nosuch" "$work/tb.log" || lab_fail "the refusal does not name lab.yaml:$line and the unknown trunk"
lab_expect "calls ended after the refused reload" "$(lab_log_count 'event=call_end ')" 0
lab_ok "refused: lab.yaml:$line names trunk 'nosuch'; the running config stays, no call dropped"

LAB_STEP="reload: the route moves to overflow"
cp "$work/lab.new.yaml" "$work/lab.yaml"
kill -HUP "$lab_tb_pid"
for _ in $(seq 1 50); do [ "$(lab_log_count 'event=reloaded ')" -ge 1 ] && break; sleep 0.1; done
lab_expect "reloaded lines" "$(lab_log_count 'event=reloaded ')" 1
lab_expect "calls ended after the reload" "$(lab_log_count 'event=call_end ')" 0
lab_ok "event=reloaded with 100 calls up, none ended"

LAB_STEP="5 new calls after the reload"
lab_uac new acs "$here/uac_acs_hold.xml" -s +14255550100 -m 5 -l 5 -r 20 -d 300 ||
	lab_fail "the new calls' SIPp exited $?"
lab_expect "new calls routed to overflow" "$(lab_log_count 'event=call_routed .*out_trunk=overflow')" 5
lab_expect "INVITEs the overflow callee got" "$(lab_recv_count overflow 'INVITE ')" 5
lab_expect "INVITEs the genesys callee got" "$(lab_recv_count genesys 'INVITE ')" 100
lab_expect "calls ended (the 5 new ones only)" "$(lab_log_count 'event=call_end ')" 5
lab_ok "5 new calls to the same numbers took the new route (overflow); the 100 are still up"

LAB_STEP="the 100 calls end"
lab_uac_wait held 40
stat() { awk -v k="$1" 'index($0, k) { v = $NF } END { print v + 0 }' "$work/held.out"; }
lab_expect "successful calls (SIPp)" "$(stat 'Successful call')" 100
lab_expect "failed calls (SIPp)" "$(stat 'Failed call')" 0
lab_uas_wait genesys 10
lab_expect "BYEs the genesys callee got" "$(lab_recv_count genesys 'BYE ')" 100
lab_uas_wait overflow 10
lab_ok "SIPp: 100 successful, 0 failed; Genesys saw 100 INVITEs and 100 BYEs"

LAB_STEP="CDR"
lab_cdr_wait 105
got=$(lab_sql "select in_trunk, out_trunk, final_status, hangup_by, count(*) from cdr_view
	where answer is not null and \"end\" >= answer group by 1, 2, 3, 4 order by 2")
lab_expect "CDR rows" "$(echo "$got" | tr '\n' ';')" "acs|genesys|200|caller|100;acs|overflow|200|caller|5;"
lab_ok "CDR: 100 acs->genesys and 5 acs->overflow rows, answered, ended by the caller"

lab_finish
