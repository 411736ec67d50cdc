/* divert.h: a call's forwarding history, read from and written as
 * RFC 7044 History-Info and RFC 5806 Diversion, mapped one to the other
 * per RFC 7544 (interop.md 1.8, failure mode F19: ACS sends History-Info
 * only, carriers want Diversion).
 *
 * Pure: no I/O, no allocation, no globals. A parsed chain holds slices
 * into the message it was read from (see sip_msg.h for who keeps those
 * bytes alive); the writers copy into the caller's buffer.
 *
 * The mapping (RFC 7544 sections 5 and 6, RFC 4458 section 3 for the
 * cause values, RFC 6044 erratum 3071 for "unavailable" = 503):
 *
 *   History-Info cause      Diversion reason
 *   302                 <-> unconditional
 *   486                 <-> user-busy
 *   408                 <-> no-answer
 *   480                 <-> deflection   (deflection immediate response)
 *   487                  -> deflection   (deflection during alerting)
 *   503                 <-> unavailable  (not reachable)
 *   404                 <-> unknown
 *   any other / none     -> unknown
 *   404                 <-  time-of-day, do-not-disturb, follow-me,
 *                           out-of-service, away, any other reason
 *
 *   History-Info privacy    Diversion privacy
 *   Privacy=history     <-> full  (name and uri read as history too)
 *   none / absent       <-> off   (written by leaving privacy out)
 */
#ifndef TB_B2B_DIVERT_H
#define TB_B2B_DIVERT_H

#include "base/pl.h"
#include "sip/msg/sip_msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hops in a chain. A header holding more is refused (-1), never cut. */
#define DIVERT_MAX 16
/* History-Info entries read from one message (hops, the target, and
 * entries that are not diversions, such as rc contacts and failed
 * forks). More is refused. */
#define DIVERT_HI_MAX (2 * DIVERT_MAX)
/* One History-Info or Diversion field value longer than this is
 * refused. */
#define DIVERT_FIELD_MAX 4096
/* Room for an index as written ("1.1.1"), with its NUL. */
#define DIVERT_INDEX_LEN 24

/* One diversion (retargeting) in the call's history, oldest first. */
struct divert_hop {
	struct pl uri;  /* the diverting party's URI (no <>, no ?headers;
	                   URI params kept, a `cause` param is left out when
	                   written) */
	struct pl user; /* its user part (usually a number), may be empty */
	uint16_t cause; /* SIP cause of the retargeting (302, 486, 408...);
	                   0: unknown */
	bool privacy;   /* History-Info privacy (Privacy: history in the
	                   entry or the request) / Diversion privacy=full
	                   (or name, uri) */
	char index[DIVERT_INDEX_LEN]; /* the History-Info index of the entry
	                                 ("1", "1.1"); "" when from Diversion
	                                 or divert_add */
	/* Diversion only (else PL_NULL / 1): the reason as received, written
	 * back as is when it is a token (so "time-of-day" survives a
	 * Diversion-to-Diversion pass); and the counter, recorded, not
	 * expanded (RFC 5806: how many diversions this entry stands for; a
	 * History-Info entry is written once whatever it is). */
	struct pl reason;
	uint8_t counter;
};

struct divert_chain {
	struct divert_hop hop[DIVERT_MAX];
	size_t n;         /* hops, oldest first */
	struct pl target; /* History-Info: the last entry's URI (the final
	                     target, no ?headers), may be unset; the caller
	                     may set it (e.g. to the outgoing Request-URI)
	                     before divert_write_history_info */
	char target_index[DIVERT_INDEX_LEN]; /* its index, "" when unknown */
};

void divert_init(struct divert_chain *ch);

/* Parse every History-Info header of m (ch is reset first). The hops are
 * the entries on the path from the first entry to the last one (the
 * target), each one's parent found by its mp or rc param or, without
 * them, by its index (1.1.2 -> 1.1); a step to an rc entry (a registered
 * contact of the same user) is not a diversion. A hop's cause is the
 * RFC 4458 `cause` URI param of the entry it was retargeted to, else
 * the SIP cause of the Reason escaped in its own URI (as ACS sends it).
 * A `Privacy: history` header makes every hop private.
 * Returns the number of hops (0: none), -1 when a header is malformed
 * (bad entry, missing/bad/duplicate/over-long index, more than
 * DIVERT_HI_MAX entries or DIVERT_MAX hops, a field over
 * DIVERT_FIELD_MAX): then ch->n is 0. */
int divert_from_history_info(const struct sip_msg *m, struct divert_chain *ch);

/* Parse every Diversion header of m (ch is reset first): newest first on
 * the wire, across fields in message order; stored oldest first. Each
 * entry is one hop whatever its counter (the counter is recorded in
 * hop.counter). cause from the reason (table above). Returns the number
 * of hops, -1 when malformed (bad entry, counter or limit over 2 digits,
 * more than DIVERT_MAX entries, a field over DIVERT_FIELD_MAX): then
 * ch->n is 0. */
int divert_from_diversion(const struct sip_msg *m, struct divert_chain *ch);

/* Append a hop (e.g. a transfer: user = the original called number,
 * cause 302). uri must be a valid URI (?headers are dropped); user
 * PL_NULL takes the URI's user part; cause 0 or 100..699. The slices
 * must stay alive while ch is used. ch->target is left as it was: after
 * a transfer set it to the new Request-URI (or PL_NULL), else the old
 * target, often the hop just added, is written again after it. -1 when
 * full or invalid. */
int divert_add(struct divert_chain *ch, struct pl uri, struct pl user,
               uint16_t cause);

/* Write the chain as ONE Diversion header value (entries newest first,
 * comma separated; each `<sip:USER@HOST;user=phone>;reason=R;counter=N`
 * plus `;privacy=full` when set; N is 1 but for a counter read from a
 * Diversion). When host is set and the hop has a user part, the URI is
 * rebuilt as sip:USER@HOST;user=phone (topology hiding); else the hop's
 * URI is written as is (less a `cause` param). Returns the length
 * written (no NUL counted, but NUL-terminated when room), 0 when the
 * chain is empty, host holds other than host characters, a URI, user or
 * index in the chain is not valid (nothing unchecked is written), or
 * the value does not fit in cap. */
size_t divert_write_diversion(const struct divert_chain *ch, struct pl host,
                              char *out, size_t cap);

/* The same as ONE History-Info header value (RFC 7044, RFC 7544 section
 * 5): one entry per hop, oldest first, with its original index or, for
 * hops without one, 1, 1.1, 1.1.1 (one level below the previous hop);
 * the hop's cause as an escaped Reason in its URI
 * (?Reason=SIP%3Bcause%3D302) and, when private, &Privacy=history (sip
 * and sips URIs only: a tel URI takes no headers); each entry after the
 * first has the RFC 4458 `cause` URI param of the previous hop's cause
 * and mp= the previous hop's index. Then ch->target, when set, as the
 * last entry the same way (its index: target_index when it sits below
 * the last hop's, else one level below it). Returns as
 * divert_write_diversion. */
size_t divert_write_history_info(const struct divert_chain *ch, struct pl host,
                                 char *out, size_t cap);

/* The tables above: RFC 7544 section 6 (cause -> reason, "unknown" for
 * any cause not in it) and section 5 (reason, case-insensitive -> cause,
 * 404 for any reason not in it). */
const char *divert_cause_reason(uint16_t cause);
uint16_t divert_reason_cause(struct pl reason);

#endif
