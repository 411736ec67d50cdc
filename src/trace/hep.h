/* hep.h: HEPv3 (the Homer encapsulation protocol) encoding, and the UDP
 * sender that gives each SIP message to a collector as one packet.
 *
 * A HEPv3 packet: "HEP3", its total length (16 bits), then chunks of
 * vendor 0 (generic), each vendor (16) | type (16) | length (16, with
 * these 6 bytes) | value, integers in network order:
 *
 *   0x0001 IP family (8: 2 IPv4, 10 IPv6)   0x0002 IP protocol (8: 17, 6)
 *   0x0003/0x0004 IPv4 source/destination   0x0005/0x0006 IPv6 ones
 *   0x0007/0x0008 source/destination port (16)
 *   0x0009 timestamp seconds (32)  0x000a microseconds (32)
 *   0x000b protocol type (8: 1 SIP)  0x000c capture agent id (32)
 *   0x000e password (when set)  0x000f the payload (the SIP message)
 *   0x0011 correlation id (the Call-ID, when known)
 *
 * Written in that order. Nothing is allocated per message: the caller
 * gives the buffer; the sender sends from it with one send() on a
 * connected non-blocking UDP socket (a full socket buffer drops the
 * packet: counted, never waited for).
 */
#ifndef TB_TRACE_HEP_H
#define TB_TRACE_HEP_H

#include "base/pl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HEP_PROTO_SIP 1
/* A HEP packet's total length is 16 bits; a UDP datagram over IPv4 holds
 * at most 65507 bytes. */
#define HEP_MAX_PACKET 65507

struct hep_msg {
	const struct sockaddr *src, *dst; /* AF_INET or AF_INET6 */
	bool tcp; /* IP protocol 6 (TCP, TLS), else 17 */
	uint32_t ts_sec, ts_usec;
	uint32_t capture_id;
	const char *password;  /* NULL: no chunk */
	struct pl correlation; /* the Call-ID; unset: no chunk */
	const char *payload;
	size_t len;
};

/* Encode m into out; returns the packet's length, 0 when it does not fit
 * in cap (or HEP_MAX_PACKET) or the addresses are of no known family. */
size_t hep_encode(uint8_t *out, size_t cap, const struct hep_msg *m);

struct hep_sender;
/* A UDP socket connected to the collector. NULL with the reason in err. */
struct hep_sender *hep_sender_new(const struct sockaddr *to, socklen_t tolen,
                                  char *err, size_t errlen);
void hep_sender_free(struct hep_sender *s);
/* One packet: 0, or -1 (errno set; nothing is retried). */
int hep_send(struct hep_sender *s, const uint8_t *pkt, size_t len);

#endif
