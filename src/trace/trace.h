/* trace.h: the SIP trace: the transport layer's tap into rolling pcap
 * files (pcap.h) and/or a HEPv3 collector (hep.h), every message or only
 * chosen calls' (docs/trace.md).
 *
 * What is traced: every SIP message trunkbridge receives (after framing;
 * TLS as the plaintext it carried) and sends, as it parsed or built it,
 * with the real addresses and ports. With `trace.calls` set, only the
 * messages of traced calls: an initial INVITE (in or out) whose
 * Request-URI, From or To user matches a pattern makes its Call-ID
 * traced, and trace_link (the B2BUA, when a call makes a leg) adds the
 * other legs' Call-IDs; every message with a traced Call-ID is written
 * (OPTIONS pings and other calls are not). The Call-IDs are kept in a
 * table of trace.max_call_ids entries, the least recently seen replaced
 * when it is full.
 *
 * Costs: nothing when no trace section is set (the tap is not set).
 * Per message: a copy into the pcap buffer, and with a calls filter or
 * HEP, a parse of messages we send (into a header array of the tracer);
 * nothing allocated. Files are written from the buffer when it is full
 * and every second (an event-loop timer), never synced.
 *
 * Threading: one tracer per event loop.
 */
#ifndef TB_TRACE_TRACE_H
#define TB_TRACE_TRACE_H

#include "base/pl.h"
#include "cfg/cfg.h"
#include "sip/transp/transport.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

struct trace;

struct trace_stats {
	uint64_t messages;      /* tapped */
	uint64_t filtered;      /* not of a traced call (trace.calls) */
	uint64_t written;       /* into pcap files */
	uint64_t dropped;       /* lost on the pcap side: write or open
	                           failures, a message too large */
	uint64_t rotated;       /* pcap files closed at max_file_size */
	uint64_t files_deleted; /* old pcap files deleted (max_files) */
	uint64_t hep_sent;      /* HEP packets sent */
	uint64_t hep_dropped;   /* HEP packets not sent (socket, size) */
	uint64_t calls_matched; /* Call-IDs an INVITE made traced */
};

/* A tracer for cfg->trace (enabled); holds a reference on cfg. NULL
 * with the reason in err (out of memory, the HEP socket). */
struct trace *trace_new(struct event_base *base, struct tb_config *cfg,
                        char *err, size_t errlen);
/* A reload: cfg's trace section replaces the old (patterns, HEP, pcap
 * settings; a new pcap dir starts a new file). Traced Call-IDs stay.
 * 0, or -1 with err (the old settings stay). */
int trace_reload(struct trace *t, struct tb_config *cfg, char *err,
                 size_t errlen);
/* Flush and close. NULL is fine. */
void trace_free(struct trace *t);

/* The transport layer's tap (tp_layer_set_tap(tp, trace_tap, t)). */
void trace_tap(void *arg, const struct tp_tap_msg *m);

/* The B2BUA made a leg with Call-ID `made` for the call of Call-ID `of`:
 * when either is traced, both are. NULL t is fine. */
void trace_link(struct trace *t, const char *of, const char *made);

/* Counters since start (zeros for NULL). */
struct trace_stats trace_stats(const struct trace *t);

/* Does user (a URI's user part) match pattern (trace.calls syntax:
 * digits, '.' any one digit, a trailing '*' any rest; a leading '+' on
 * either side is ignored; user's ";params" are not compared)? */
bool trace_number_match(const char *pattern, struct pl user);

/* Write out the pcap buffer now (the timer does it every second). */
void trace_flush(struct trace *t);

#endif
