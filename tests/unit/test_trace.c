/* test_trace.c: the SIP trace (src/trace): the pcap global header and
 * records byte for byte (IPv4 with its header and UDP checksums
 * hand-computed, IPv6, TCP cut into segments), the rolling writer
 * (rotation at max_file_size, the oldest deleted beyond max_files, a
 * folder that cannot be written: dropped and counted), HEPv3 chunks
 * against a hand-computed vector, the calls patterns, and the tracer's
 * calls filter (an INVITE that matches, its Call-ID, a linked leg; other
 * calls and OPTIONS left out) read back from the file it wrote. */
#include "trace/hep.h"
#include "trace/pcap.h"
#include "trace/trace.h"

#include "tests/bytes.h"
#include "tests/sockaddr.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t buf[3 * 65536 + 4096];

static uint32_t rd_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void test_global_header(void)
{
	static const uint8_t want[24] = {0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00,
	                                 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
	                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	                                 0x04, 0x00, 0x01, 0x00, 0x00, 0x00};
	uint8_t h[PCAP_GLOBAL_LEN];
	pcap_global_header(h);
	CHECK(memcmp(h, want, sizeof(want)) == 0);
}

/* "hello" from 127.0.0.2:5060 to 127.0.0.1:5062 over UDP, every byte:
 * IPv4 header checksum 0x3cc2 and UDP checksum 0x9674 worked out by
 * hand (RFC 1071 over the header; over the pseudo-header and the
 * datagram). */
static void test_udp4_record(void)
{
	struct sockaddr_in s = sa4("127.0.0.2", 5060),
	                   d = sa4("127.0.0.1", 5062);
	struct pcap_pkt p = {
	        .src = (struct sockaddr *)&s,
	        .dst = (struct sockaddr *)&d,
	        .ip_id = 7,
	        .ts_us = 1700000000ull * 1000000 + 123456,
	        .payload = "hello",
	        .len = 5,
	};
	static const uint8_t want[] = {
	        /* record header: ts 1700000000 (0x6553f100), 123456 us
	         * (0x1e240), 47 bytes captured and on the wire */
	        0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01, 0x00, 0x2f, 0x00,
	        0x00, 0x00, 0x2f, 0x00, 0x00, 0x00,
	        /* Ethernet: no MAC addresses, IPv4 */
	        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00,
	        /* IPv4: 33 bytes, id 7, DF, TTL 64, UDP, checksum */
	        0x45, 0x00, 0x00, 0x21, 0x00, 0x07, 0x40, 0x00, 0x40, 0x11,
	        0x3c, 0xc2, 127, 0, 0, 2, 127, 0, 0, 1,
	        /* UDP: 5060 -> 5062, 13 bytes, checksum */
	        0x13, 0xc4, 0x13, 0xc6, 0x00, 0x0d, 0x96, 0x74, 'h', 'e', 'l',
	        'l', 'o'};
	CHECK_EQ_INT(pcap_message_size(&p), sizeof(want));
	size_t n = pcap_message(buf, sizeof(buf), &p);
	CHECK_EQ_INT(n, sizeof(want));
	CHECK(memcmp(buf, want, sizeof(want)) == 0);
	for (size_t i = 0; i < n && i < sizeof(want); i++)
		if (buf[i] != want[i])
			fprintf(stderr, "  byte %zu: %02x, want %02x\n", i,
			        buf[i], want[i]);
	/* the header checksum verifies: the sum over the header is 0 */
	CHECK_EQ_INT(pcap_csum(buf + 16 + 14, 20, 0), 0);
	/* too small a buffer: nothing */
	CHECK_EQ_INT(pcap_message(buf, sizeof(want) - 1, &p), 0);
	/* a UDP message over 65507 bytes cannot be one datagram */
	p.len = PCAP_UDP_MAX + 1;
	CHECK_EQ_INT(pcap_message_size(&p), 0);
}

/* The UDP/TCP checksum of a record verifies (sum over pseudo-header and
 * segment is 0). */
static uint16_t l4_verify(const uint8_t *ip, bool v6, uint8_t proto)
{
	size_t iph = v6 ? 40 : 20, alen = v6 ? 16 : 4;
	size_t l4 = v6 ? get16(ip + 4) : (size_t)get16(ip + 2) - 20;
	const uint8_t *a = ip + (v6 ? 8 : 12);
	uint32_t sum = proto + (uint32_t)l4;
	for (size_t i = 0; i < 2 * alen; i += 2)
		sum += (uint32_t)a[i] << 8 | a[i + 1];
	return pcap_csum(ip + iph, l4, sum);
}

static void test_udp6_record(void)
{
	struct sockaddr_in6 s = sa6("2001:db8::1", 5061),
	                    d = sa6("2001:db8::2", 40000);
	const char *msg = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	size_t ml = strlen(msg);
	struct pcap_pkt p = {
	        .src = (struct sockaddr *)&s,
	        .dst = (struct sockaddr *)&d,
	        .ts_us = 5,
	        .payload = msg,
	        .len = ml,
	};
	size_t n = pcap_message(buf, sizeof(buf), &p);
	CHECK_EQ_INT(n, 16 + 14 + 40 + 8 + ml);
	CHECK_EQ_INT(rd_le32(buf), 0);
	CHECK_EQ_INT(rd_le32(buf + 4), 5);
	CHECK_EQ_INT(rd_le32(buf + 8), 14 + 40 + 8 + ml);
	CHECK_EQ_INT(rd_le32(buf + 12), 14 + 40 + 8 + ml);
	const uint8_t *e = buf + 16, *ip = e + 14, *u = ip + 40;
	CHECK_EQ_INT(get16(e + 12), 0x86dd);
	CHECK_EQ_INT(get32(ip), 0x60000000u);
	CHECK_EQ_INT(get16(ip + 4), 8 + ml); /* payload length */
	CHECK_EQ_INT(ip[6], 17);
	CHECK_EQ_INT(ip[7], 64);
	CHECK(memcmp(ip + 8, &s.sin6_addr, 16) == 0);
	CHECK(memcmp(ip + 24, &d.sin6_addr, 16) == 0);
	CHECK_EQ_INT(get16(u), 5061);
	CHECK_EQ_INT(get16(u + 2), 40000);
	CHECK_EQ_INT(get16(u + 4), 8 + ml);
	CHECK(get16(u + 6) != 0); /* mandatory over IPv6 */
	CHECK_EQ_INT(l4_verify(ip, true, 17), 0);
	CHECK(memcmp(u + 8, msg, ml) == 0);
}

/* A TLS message longer than one segment: two TCP records, the second's
 * sequence number 65495 further, each IPv4 total length <= 65535. */
static void test_tcp_segments(void)
{
	static char big[65535];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	struct sockaddr_in s = sa4("127.0.0.1", 37000),
	                   d = sa4("127.0.0.4", 5061);
	struct pcap_pkt p = {
	        .src = (struct sockaddr *)&s,
	        .dst = (struct sockaddr *)&d,
	        .tcp = true,
	        .seq = 0xfffffff0u, /* wraps */
	        .ack = 1234,
	        .ip_id = 0xffff,
	        .payload = big,
	        .len = sizeof(big),
	};
	size_t n = pcap_message(buf, sizeof(buf), &p);
	CHECK_EQ_INT(n, 2 * (16 + 14 + 20 + 20) + sizeof(big));
	const uint8_t *r = buf;
	size_t got = 0;
	for (int i = 0; i < 2; i++) {
		const uint8_t *ip = r + 16 + 14, *t = ip + 20;
		size_t frame = rd_le32(r + 8);
		size_t pay = frame - 14 - 40;
		CHECK_EQ_INT(pay, i == 0 ? PCAP_TCP_MSS : 65535 - PCAP_TCP_MSS);
		CHECK_EQ_INT(get16(ip + 2), 40 + pay); /* <= 65535 */
		CHECK_EQ_INT(get16(ip + 4), i == 0 ? 0xffff : 0);
		CHECK_EQ_INT(ip[9], 6);
		CHECK_EQ_INT(pcap_csum(ip, 20, 0), 0);
		CHECK_EQ_INT(get16(t), 37000);
		CHECK_EQ_INT(get16(t + 2), 5061);
		CHECK_EQ_INT(get32(t + 4),
		             (uint32_t)(0xfffffff0u + (i ? PCAP_TCP_MSS : 0)));
		CHECK_EQ_INT(get32(t + 8), 1234);
		CHECK_EQ_INT(t[12], 0x50);
		CHECK_EQ_INT(t[13], 0x18);
		CHECK_EQ_INT(l4_verify(ip, false, 6), 0);
		CHECK(memcmp(t + 20, big + got, pay) == 0);
		got += pay;
		r += 16 + frame;
	}
	CHECK_EQ_INT(got, sizeof(big));
}

/* ---- the rolling writer */

static char dir[256];

static size_t count_files(const char *d, char names[][64], size_t max)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	size_t n = 0;
	if (!dh)
		return 0;
	while ((de = readdir(dh)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n < max) {
			size_t l = strnlen(de->d_name, 63);
			memcpy(names[n], de->d_name, l);
			names[n][l] = '\0';
		}
		n++;
	}
	closedir(dh);
	return n;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every record of a file, walked: how many, and each within the file. */
static long file_records(const char *path, long *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t h[24], rh[16];
	long n = 0;
	if (!f)
		return -1;
	if (fread(h, 1, 24, f) != 24 || rd_le32(h) != PCAP_MAGIC_US) {
		fclose(f);
		return -1;
	}
	while (fread(rh, 1, 16, f) == 16) {
		uint32_t incl = rd_le32(rh + 8);
		if (incl != rd_le32(rh + 12) || incl > PCAP_SNAPLEN ||
		    fseek(f, incl, SEEK_CUR) != 0) {
			n = -1;
			break;
		}
		n++;
	}
	*size = ftell(f);
	fclose(f);
	return n;
}

static void rm_dir(const char *d)
{
	char names[64][64];
	size_t n = count_files(d, names, 64);
	for (size_t i = 0; i < n && i < 64; i++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", d, names[i]);
		unlink(p);
	}
	rmdir(d);
}

static void test_rotation(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_trace.%ld/sub", (long)getpid());
	struct pcap_roll_conf rc = {
	        .dir = dir, /* made by the writer (two levels) */
	        .max_file_size = 64 * 1024,
	        .max_files = 3,
	        .buffer_size = 128 * 1024,
	};
	struct pcap_roll *r = pcap_roll_new(&rc);
	CHECK(r != NULL);
	if (!r)
		return;
	static char msg[10000];
	memset(msg, 'x', sizeof(msg));
	struct sockaddr_in s = sa4("127.0.0.2", 5060),
	                   d = sa4("127.0.0.1", 5062);
	struct pcap_pkt p = {
	        .src = (struct sockaddr *)&s,
	        .dst = (struct sockaddr *)&d,
	        .payload = msg,
	        .len = sizeof(msg),
	};
	/* 6 messages of 10 KB fit in 64 KB: 40 messages make 7 files */
	for (int i = 0; i < 40; i++) {
		p.ts_us = (uint64_t)i;
		CHECK_EQ_INT(pcap_roll_write(r, &p), 0);
		if (i % 7 == 0)
			pcap_roll_flush(r);
	}
	pcap_roll_flush(r);
	const struct pcap_roll_stats *st = pcap_roll_stats(r);
	CHECK_EQ_INT(st->files, 7);
	CHECK_EQ_INT(st->rotated, 6);
	CHECK_EQ_INT(st->deleted, 4);
	CHECK_EQ_INT(st->written, 40);
	CHECK_EQ_INT(st->dropped, 0);
	char cur[600];
	snprintf(cur, sizeof(cur), "%s", pcap_roll_path(r));
	pcap_roll_free(r);

	char names[16][64];
	size_t n = count_files(dir, names, 16);
	CHECK_EQ_INT(n, 3); /* max_files: the oldest 4 deleted */
	if (n != 3)
		return;
	qsort(names, n, sizeof(names[0]), cmp_names);
	long recs = 0;
	for (size_t i = 0; i < n; i++) {
		char path[600];
		long size = 0;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		long k = file_records(path, &size);
		CHECK(k > 0);
		CHECK(size <= 64 * 1024);
		CHECK_EQ_INT(strlen(names[i]), 40);
		CHECK(strncmp(names[i], "trunkbridge-", 12) == 0);
		recs += k;
	}
	/* files 5 and 6 hold 6 each, the last (current) one 4 */
	CHECK_EQ_INT(recs, 16);
	char last[600];
	snprintf(last, sizeof(last), "%s/%s", dir, names[2]);
	CHECK(strcmp(last, cur) == 0); /* the newest sorts last */
	rm_dir(dir);
	char parent[256];
	snprintf(parent, sizeof(parent), "/tmp/test_trace.%ld", (long)getpid());
	rmdir(parent);
}

/* A folder that cannot be made: every message dropped and counted; the
 * retries on the flush timer do not crash. */
static void test_unwritable(void)
{
	struct pcap_roll_conf rc = {
	        .dir = "/dev/null/trace",
	        .max_file_size = 1024 * 1024,
	        .max_files = 2,
	        .buffer_size = 128 * 1024,
	};
	struct pcap_roll *r = pcap_roll_new(&rc);
	CHECK(r != NULL);
	if (!r)
		return;
	struct sockaddr_in s = sa4("127.0.0.2", 5060),
	                   d = sa4("127.0.0.1", 5062);
	struct pcap_pkt p = {
	        .src = (struct sockaddr *)&s,
	        .dst = (struct sockaddr *)&d,
	        .payload = "x",
	        .len = 1,
	};
	for (int i = 0; i < 20; i++) {
		CHECK_EQ_INT(pcap_roll_write(r, &p), -1);
		pcap_roll_flush(r);
	}
	CHECK_EQ_INT(pcap_roll_stats(r)->dropped, 20);
	CHECK_EQ_INT(pcap_roll_stats(r)->written, 0);
	CHECK_EQ_INT(pcap_roll_stats(r)->files, 0);
	pcap_roll_free(r);
}

/* ---- HEPv3 */

static void test_hep_vector(void)
{
	struct sockaddr_in s = sa4("127.0.0.2", 5060),
	                   d = sa4("127.0.0.1", 9999);
	struct hep_msg m = {
	        .src = (struct sockaddr *)&s,
	        .dst = (struct sockaddr *)&d,
	        .tcp = false,
	        .ts_sec = 1700000000,
	        .ts_usec = 123456,
	        .capture_id = 2001,
	        .password = "pw",
	        .correlation = PL("abc"),
	        .payload = "hello",
	        .len = 5,
	};
	static const uint8_t want[] = {
	        'H',  'E',  'P',  '3',  0x00, 0x79,     /* 121 bytes */
	        0,    0,    0x00, 0x01, 0x00, 0x07, 2,  /* IPv4 */
	        0,    0,    0x00, 0x02, 0x00, 0x07, 17, /* UDP */
	        0,    0,    0x00, 0x03, 0x00, 0x0a, 127,  0,    0,    2,
	        0,    0,    0x00, 0x04, 0x00, 0x0a, 127,  0,    0,    1,
	        0,    0,    0x00, 0x07, 0x00, 0x08, 0x13, 0xc4, /* 5060 */
	        0,    0,    0x00, 0x08, 0x00, 0x08, 0x27, 0x0f, /* 9999 */
	        0,    0,    0x00, 0x09, 0x00, 0x0a, 0x65, 0x53, 0xf1, 0x00,
	        0,    0,    0x00, 0x0a, 0x00, 0x0a, 0x00, 0x01, 0xe2, 0x40,
	        0,    0,    0x00, 0x0b, 0x00, 0x07, 1, /* SIP */
	        0,    0,    0x00, 0x0c, 0x00, 0x0a, 0x00, 0x00, 0x07, 0xd1,
	        0,    0,    0x00, 0x0e, 0x00, 0x08, 'p',  'w',  0,    0,
	        0x00, 0x0f, 0x00, 0x0b, 'h',  'e',  'l',  'l',  'o',  0,
	        0,    0x00, 0x11, 0x00, 0x09, 'a',  'b',  'c'};
	size_t n = hep_encode(buf, sizeof(buf), &m);
	CHECK_EQ_INT(n, sizeof(want));
	CHECK(memcmp(buf, want, sizeof(want)) == 0);
	CHECK_EQ_INT(hep_encode(buf, sizeof(want) - 1, &m), 0);

	/* IPv6, TCP, no password, no correlation */
	struct sockaddr_in6 s6 = sa6("::1", 5061), d6 = sa6("::2", 9060);
	struct hep_msg m6 = {
	        .src = (struct sockaddr *)&s6,
	        .dst = (struct sockaddr *)&d6,
	        .tcp = true,
	        .capture_id = 7,
	        .payload = "x",
	        .len = 1,
	};
	n = hep_encode(buf, sizeof(buf), &m6);
	/* 6 + 7 + 7 + 22 + 22 + 8 + 8 + 10 + 10 + 7 + 10 + 7 */
	CHECK_EQ_INT(n, 124);
	CHECK_EQ_INT(get16(buf + 4), 124);
	CHECK_EQ_INT(buf[6 + 6], 10);         /* AF_INET6 as HEP has it */
	CHECK_EQ_INT(buf[13 + 6], 6);         /* TCP */
	CHECK_EQ_INT(get16(buf + 20 + 2), 5); /* IPv6 source chunk */
	CHECK_EQ_INT(buf[20 + 6 + 15], 1);
	CHECK_EQ_INT(get16(buf + 42 + 2), 6);
	CHECK_EQ_INT(buf[42 + 6 + 15], 2);
	CHECK_EQ_INT(get16(buf + n - 7 + 2), 0x0f); /* the payload last */
	CHECK_EQ_INT(buf[n - 1], 'x');
}

/* ---- calls patterns */

static void test_number_match(void)
{
	CHECK(trace_number_match("+1555*", PL("+15551234")));
	CHECK(trace_number_match("+1555*", PL("15551234"))); /* omit + */
	CHECK(trace_number_match("1555*", PL("+1555")));
	CHECK(!trace_number_match("+1555*", PL("+1556")));
	CHECK(trace_number_match("+1555....", PL("+15551234")));
	CHECK(!trace_number_match("+1555....", PL("+155512345")));
	CHECK(!trace_number_match("+1555....", PL("+1555123")));
	CHECK(!trace_number_match("+1555....", PL("+1555abcd")));
	CHECK(trace_number_match("+14255550100",
	                         PL("+14255550100;phone-context=x")));
	CHECK(!trace_number_match("+1", PL("+12")));
	CHECK(trace_number_match("*", PL("alice")));
	CHECK(!trace_number_match("+1*", PL_NULL));
}

/* ---- the tracer: the calls filter, into a file read back */

static struct cfg_errors errs;

static struct tb_config *load_trace(const char *d)
{
	char yaml[1024];
	struct tb_config *c = NULL;
	snprintf(yaml, sizeof(yaml),
	         "identity: { fqdn: sbc1.contoso.com, certificate: a.pem, "
	         "private_key: a.key }\n"
	         "listen: [{ transport: tls, port: 5061 }]\n"
	         "trunks:\n"
	         "  acs:\n"
	         "    profile: acs-direct-routing\n"
	         "trace:\n"
	         "  pcap: { dir: %s, max_file_size: 1MB, max_files: 2 }\n"
	         "  calls: [ \"+1425555*\" ]\n",
	         d);
	if (cfg_load_string("t.yaml", yaml, strlen(yaml), &c, &errs) != 0)
		cfg_errors_print(&errs, stderr);
	return c;
}

static void tap(struct trace *t, bool sent, enum sip_transport tp,
                const char *text)
{
	struct sockaddr_in l = sa4("127.0.0.1", 5061),
	                   r = sa4("127.0.0.2", 40000);
	struct sip_hdr h[32];
	struct sip_msg m;
	sip_msg_init(&m, h, 32);
	bool ok = sip_msg_parse(&m, text, strlen(text), SIP_PARSE_STREAM, NULL,
	                        NULL) == SIP_PARSE_OK;
	CHECK(ok);
	struct tp_tap_msg tm = {
	        .sent = sent,
	        .transport = tp,
	        .local = (struct sockaddr *)&l,
	        .remote = (struct sockaddr *)&r,
	        .buf = text,
	        .len = strlen(text),
	        .msg = sent ? NULL : &m, /* sent: the tracer parses */
	};
	trace_tap(t, &tm);
}

#define REQ(method, ruri, cid, totag)                                          \
	method " " ruri " SIP/2.0\r\n"                                         \
	       "Via: SIP/2.0/TLS 127.0.0.2;branch=z9hG4bK1\r\n"                \
	       "From: <sip:+12065550123@x.test>;tag=f\r\n"                     \
	       "To: <" ruri ">" totag "\r\n"                                   \
	       "Call-ID: " cid "\r\n"                                          \
	       "CSeq: 1 " method "\r\n"                                        \
	       "Max-Forwards: 70\r\n"                                          \
	       "Content-Length: 0\r\n\r\n"

/* memmem without _GNU_SOURCE */
static const char *find(const char *h, size_t hl, const char *n, size_t nl)
{
	for (size_t i = 0; i + nl <= hl; i++)
		if (memcmp(h + i, n, nl) == 0)
			return h + i;
	return NULL;
}

static void test_filter(void)
{
	char d[128];
	snprintf(d, sizeof(d), "/tmp/test_trace_f.%ld", (long)getpid());
	struct tb_config *c = load_trace(d);
	CHECK(c != NULL);
	if (!c)
		return;
	struct event_base *base = event_base_new();
	char err[200] = "";
	struct trace *t = trace_new(base, c, err, sizeof(err));
	cfg_free(c); /* the tracer keeps its own reference */
	CHECK(t != NULL);
	if (!t) {
		fprintf(stderr, "trace_new: %s\n", err);
		event_base_free(base);
		return;
	}
	/* 1: an INVITE for +14255550100 (traced), its 100 (sent, TLS) */
	tap(t, false, SIP_TP_TLS,
	    REQ("INVITE", "sip:+14255550100@sbc1.contoso.com", "call-a", ""));
	tap(t, true, SIP_TP_TLS,
	    "SIP/2.0 100 Trying\r\n"
	    "Via: SIP/2.0/TLS 127.0.0.2;branch=z9hG4bK1\r\n"
	    "From: <sip:+12065550123@x.test>;tag=f\r\n"
	    "To: <sip:+14255550100@sbc1.contoso.com>\r\n"
	    "Call-ID: call-a\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
	/* 2: another call (not traced), an OPTIONS ping (not traced) */
	tap(t, false, SIP_TP_TLS,
	    REQ("INVITE", "sip:+13125550100@sbc1.contoso.com", "call-x", ""));
	tap(t, true, SIP_TP_TLS,
	    REQ("OPTIONS", "sip:sip.pstnhub.microsoft.com", "ping-1", ""));
	/* 3: the B2BUA makes leg B of call-a: its INVITE (sent over UDP
	 * here) is traced though its To is another number */
	trace_link(t, "call-a", "call-b");
	trace_link(t, "call-x", "call-y"); /* not traced: nothing */
	tap(t, true, SIP_TP_UDP,
	    REQ("INVITE", "sip:gc-queue@byoc.test", "call-b", ""));
	tap(t, true, SIP_TP_UDP,
	    REQ("INVITE", "sip:gc-queue@byoc.test", "call-y", ""));
	/* 4: in-dialog BYE of call-a: traced */
	tap(t, false, SIP_TP_TLS,
	    REQ("BYE", "sip:+14255550100@sbc1.contoso.com", "call-a",
	        ";tag=t"));
	trace_flush(t);
	struct trace_stats st = trace_stats(t);
	CHECK_EQ_INT(st.messages, 7);
	CHECK_EQ_INT(st.written, 4);
	CHECK_EQ_INT(st.filtered, 3);
	CHECK_EQ_INT(st.calls_matched, 1);
	CHECK_EQ_INT(st.dropped, 0);
	trace_free(t);
	event_base_free(base);

	char names[4][64];
	size_t n = count_files(d, names, 4);
	CHECK_EQ_INT(n, 1);
	if (n == 1) {
		char path[300];
		long size = 0;
		snprintf(path, sizeof(path), "%s/%s", d, names[0]);
		CHECK_EQ_INT(file_records(path, &size), 4);
		/* the file holds call-a's and call-b's messages, not the
		 * others */
		FILE *f = fopen(path, "rb");
		static char all[65536];
		size_t got = f ? fread(all, 1, sizeof(all), f) : 0;
		if (f)
			fclose(f);
		CHECK(got == (size_t)size);
		CHECK(find(all, got, "Call-ID: call-a", 15) != NULL);
		CHECK(find(all, got, "Call-ID: call-b", 15) != NULL);
		CHECK(find(all, got, "call-x", 6) == NULL);
		CHECK(find(all, got, "call-y", 6) == NULL);
		CHECK(find(all, got, "ping-1", 6) == NULL);
	}
	rm_dir(d);
}

int main(void)
{
	RUN(test_global_header);
	RUN(test_udp4_record);
	RUN(test_udp6_record);
	RUN(test_tcp_segments);
	RUN(test_rotation);
	RUN(test_unwritable);
	RUN(test_hep_vector);
	RUN(test_number_match);
	RUN(test_filter);
	return test_summary();
}
