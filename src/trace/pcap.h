/* pcap.h: SIP messages as packets in classic pcap files, and the rolling
 * file writer.
 *
 * Each message becomes one Ethernet frame (LINKTYPE_ETHERNET, zero MAC
 * addresses) holding an IPv4 or IPv6 packet with the message's real
 * addresses and ports: UDP for SIP over UDP, TCP for SIP over TCP and TLS
 * (TLS written as the plaintext SIP it carried), with sequence numbers
 * the caller keeps per direction so that Wireshark, tshark and sngrep
 * follow the stream. A message longer than one TCP segment is cut into
 * several (PCAP_TCP_MSS bytes each); UDP messages always fit (a datagram
 * the kernel took). IPv4 header, UDP and TCP checksums are computed.
 * Records are little-endian with the microsecond magic 0xa1b2c3d4.
 *
 * The rolling writer appends records to a buffer (no allocation per
 * message) that is written out when full and by pcap_roll_flush (the
 * tracer's one-second timer, and at exit). A file that would grow past
 * max_file_size is closed and a new one opened, named
 * <dir>/trunkbridge-YYYYMMDDTHHMMSS.uuuuuuZ.pcap (UTC); beyond max_files
 * of those in dir, the oldest are deleted. A failing write or open is
 * reported once (event=trace_pcap_failed) and the records lost are
 * counted; the next flush tries a new file.
 *
 * Threading: one writer per thread (the event loop's).
 */
#ifndef TB_TRACE_PCAP_H
#define TB_TRACE_PCAP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PCAP_MAGIC_US          0xa1b2c3d4u
#define PCAP_LINKTYPE_ETHERNET 1
#define PCAP_SNAPLEN           262144
#define PCAP_GLOBAL_LEN        24
#define PCAP_REC_HDR_LEN       16
#define PCAP_ETH_LEN           14
/* The largest TCP payload in one record: an IPv4 total length of 65535
 * less 20 + 20 bytes of headers. */
#define PCAP_TCP_MSS 65495
/* The largest UDP payload (IPv4: 65535 - 20 - 8). */
#define PCAP_UDP_MAX 65507
/* Bytes of headers before the payload, at most (record, Ethernet, IPv6,
 * TCP). */
#define PCAP_HDRS_MAX (PCAP_REC_HDR_LEN + PCAP_ETH_LEN + 40 + 20)

/* One SIP message as packets. src and dst are AF_INET or AF_INET6 (when
 * their families differ, dst's family is used and src's address is
 * zero). */
struct pcap_pkt {
	const struct sockaddr *src, *dst;
	bool tcp;
	uint32_t seq, ack; /* TCP: the first byte's sequence number; ack */
	uint16_t ip_id;    /* IPv4 identification of the first packet */
	uint64_t ts_us;    /* wall clock, microseconds since 1970 */
	const char *payload;
	size_t len;
};

/* The 24-byte global header (LINKTYPE_ETHERNET). */
void pcap_global_header(uint8_t out[PCAP_GLOBAL_LEN]);

/* Bytes pcap_message writes for p (every record), 0 when p cannot be
 * written (an unknown address family, or UDP longer than PCAP_UDP_MAX). */
size_t pcap_message_size(const struct pcap_pkt *p);

/* Write p's records (one, or for TCP one per PCAP_TCP_MSS bytes, seq
 * advancing and ip_id + 1 each) into out; returns the bytes written, 0
 * when cap is too small or p cannot be written. */
size_t pcap_message(uint8_t *out, size_t cap, const struct pcap_pkt *p);

/* The Internet checksum (RFC 1071) of a buffer, folded from sum. */
uint16_t pcap_csum(const uint8_t *p, size_t len, uint32_t sum);

/* ---- the rolling writer */

struct pcap_roll_conf {
	const char *dir; /* copied */
	uint64_t max_file_size;
	uint32_t max_files;
	size_t buffer_size; /* at least 128KB (a whole message fits) */
};

struct pcap_roll_stats {
	uint64_t written; /* messages written to a file */
	uint64_t dropped; /* messages lost (write, open or size) */
	uint64_t rotated; /* files closed for a new one at max_file_size */
	uint64_t files;   /* files opened */
	uint64_t deleted; /* old files deleted beyond max_files */
};

struct pcap_roll;

/* NULL when out of memory. Opens nothing until the first message. */
struct pcap_roll *pcap_roll_new(const struct pcap_roll_conf *c);
/* Flush, close, free. NULL is fine. */
void pcap_roll_free(struct pcap_roll *r);
/* New settings (a reload): takes effect with the next file; a new dir
 * starts one now. */
int pcap_roll_set(struct pcap_roll *r, const struct pcap_roll_conf *c);

/* Append one message. 0, or -1 when it was dropped (counted). */
int pcap_roll_write(struct pcap_roll *r, const struct pcap_pkt *p);
/* Write the buffer out (and, after a failure, try a new file). */
void pcap_roll_flush(struct pcap_roll *r);

const struct pcap_roll_stats *pcap_roll_stats(const struct pcap_roll *r);
/* The path of the file being written ("" when none). */
const char *pcap_roll_path(const struct pcap_roll *r);

#endif
