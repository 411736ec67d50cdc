/* pcap.c: SIP messages as Ethernet/IP/UDP-or-TCP records, and the rolling
 * pcap file writer. */
#include "trace/pcap.h"

#include "base/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- encoding --------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void pcap_global_header(uint8_t out[PCAP_GLOBAL_LEN])
{
	le32(out, PCAP_MAGIC_US);
	le16(out + 4, 2); /* version 2.4 */
	le16(out + 6, 4);
	le32(out + 8, 0);  /* thiszone: UTC */
	le32(out + 12, 0); /* sigfigs */
	le32(out + 16, PCAP_SNAPLEN);
	le32(out + 20, PCAP_LINKTYPE_ETHERNET);
}

uint16_t pcap_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t s = sum;
	size_t i = 0;

	for (; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < len)
		s += (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The address bytes and port of sa in family fam (zero address when sa
 * is of another family); 4 or 16, or 0 for an unknown family. */
static size_t addr_of(const struct sockaddr *sa, int fam, uint8_t ip[16],
                      uint16_t *port)
{
	memset(ip, 0, 16);
	*port = 0;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		*port = ntohs(s4->sin_port);
		if (fam == AF_INET)
			memcpy(ip, &s4->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		*port = ntohs(s6->sin6_port);
		if (fam == AF_INET6)
			memcpy(ip, &s6->sin6_addr, 16);
	}
	return fam == AF_INET ? 4 : fam == AF_INET6 ? 16 : 0;
}

static int family_of(const struct pcap_pkt *p)
{
	if (!p->dst)
		return 0;
	int f = p->dst->sa_family;
	return f == AF_INET || f == AF_INET6 ? f : 0;
}

/* Bytes of one record carrying n payload bytes. */
static size_t record_len(int fam, bool tcp, size_t n)
{
	return PCAP_REC_HDR_LEN + PCAP_ETH_LEN + (fam == AF_INET ? 20u : 40u) +
	       (tcp ? 20u : 8u) + n;
}

size_t pcap_message_size(const struct pcap_pkt *p)
{
	int fam = family_of(p);

	if (!fam || (!p->tcp && p->len > PCAP_UDP_MAX))
		return 0;
	if (!p->tcp)
		return record_len(fam, false, p->len);
	size_t segs = p->len ? (p->len + PCAP_TCP_MSS - 1) / PCAP_TCP_MSS : 1;
	return segs * record_len(fam, true, 0) + p->len;
}

/* One record: n payload bytes from pl, sequence number seq. */
static size_t record(uint8_t *out, const struct pcap_pkt *p, int fam,
                     const char *pl, size_t n, uint32_t seq, uint16_t ip_id)
{
	uint8_t sip[16], dip[16];
	uint16_t sport, dport;
	size_t alen = addr_of(p->src, fam, sip, &sport);
	addr_of(p->dst, fam, dip, &dport);
	size_t l4 = (p->tcp ? 20u : 8u) + n;
	size_t iph = fam == AF_INET ? 20u : 40u;
	size_t frame = PCAP_ETH_LEN + iph + l4;
	uint8_t *e = out + PCAP_REC_HDR_LEN, *ip = e + PCAP_ETH_LEN;
	uint8_t *l = ip + iph;

	le32(out, (uint32_t)(p->ts_us / 1000000));
	le32(out + 4, (uint32_t)(p->ts_us % 1000000));
	le32(out + 8, (uint32_t)frame);
	le32(out + 12, (uint32_t)frame);
	memset(e, 0, 12); /* MAC addresses: none */
	put16(e + 12, fam == AF_INET ? 0x0800 : 0x86dd);
	uint8_t proto = p->tcp ? 6 : 17;
	if (fam == AF_INET) {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(iph + l4));
		put16(ip + 4, ip_id);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, sip, 4);
		memcpy(ip + 16, dip, 4);
		put16(ip + 10, pcap_csum(ip, 20, 0));
	} else {
		put32(ip, 0x60000000u);
		put16(ip + 4, (uint16_t)l4);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, sip, 16);
		memcpy(ip + 24, dip, 16);
	}
	put16(l, sport);
	put16(l + 2, dport);
	if (p->tcp) {
		put32(l + 4, seq);
		put32(l + 8, p->ack);
		l[12] = 0x50; /* 5 words, no options */
		l[13] = 0x18; /* PSH ACK */
		put16(l + 14, 65535);
		put16(l + 16, 0);
		put16(l + 18, 0);
		memcpy(l + 20, pl, n);
	} else {
		put16(l + 4, (uint16_t)l4);
		put16(l + 6, 0);
		memcpy(l + 8, pl, n);
	}
	/* the pseudo-header (RFC 768, RFC 793, RFC 8200 8.1) */
	uint8_t ph[40];
	size_t phl = 2 * alen;
	memcpy(ph, sip, alen);
	memcpy(ph + alen, dip, alen);
	uint32_t sum = proto + (uint32_t)l4;
	uint32_t s = 0;
	for (size_t i = 0; i < phl; i += 2)
		s += (uint32_t)ph[i] << 8 | ph[i + 1];
	uint16_t c = pcap_csum(l, l4, sum + s);
	if (!p->tcp && c == 0)
		c = 0xffff;
	put16(l + (p->tcp ? 16 : 6), c);
	return PCAP_REC_HDR_LEN + frame;
}

size_t pcap_message(uint8_t *out, size_t cap, const struct pcap_pkt *p)
{
	size_t need = pcap_message_size(p);
	int fam = family_of(p);

	if (!need || need > cap)
		return 0;
	if (!p->tcp)
		return record(out, p, fam, p->payload, p->len, 0, p->ip_id);
	size_t off = 0, w = 0;
	uint16_t id = p->ip_id;
	do {
		size_t n = p->len - off;
		if (n > PCAP_TCP_MSS)
			n = PCAP_TCP_MSS;
		w += record(out + w, p, fam, p->payload + off, n,
		            p->seq + (uint32_t)off, id++);
		off += n;
	} while (off < p->len);
	return w;
}

/* ---- the rolling writer ----------------------------------------------- */

#define NAME_PREFIX "trunkbridge-"
#define NAME_LEN    40 /* trunkbridge-YYYYMMDDTHHMMSS.uuuuuuZ.pcap */
#define PATH_CAP    (4096 + NAME_LEN + 2)
/* After a failed write or open, a new file is tried every 5 flushes
 * (seconds). */
#define PCAP_RETRY_FLUSHES 5

struct pcap_roll {
	char *dir;
	uint64_t max_file_size;
	uint32_t max_files;
	uint8_t *buf;
	size_t cap, used;
	uint64_t buf_msgs; /* messages in buf */
	int fd;
	uint64_t file_size; /* bytes written to fd */
	bool failed;        /* reported; cleared by a good write */
	unsigned retry;     /* flushes until the next new file is tried */
	uint64_t last_us;   /* the last file name's time */
	char path[PATH_CAP];
	struct pcap_roll_stats st;
};

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

struct pcap_roll *pcap_roll_new(const struct pcap_roll_conf *c)
{
	struct pcap_roll *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = -1;
	r->cap = c->buffer_size < 131072 ? 131072 : c->buffer_size;
	r->buf = malloc(r->cap);
	r->dir = dup_str(c->dir);
	if (!r->buf || !r->dir) {
		free(r->buf);
		free(r->dir);
		free(r);
		return NULL;
	}
	r->max_file_size = c->max_file_size;
	r->max_files = c->max_files ? c->max_files : 1;
	return r;
}

static void fail(struct pcap_roll *r, const char *what, int err)
{
	if (!r->failed)
		tb_log("error", "trace_pcap_failed",
		       "file=\"%s\" op=%s reason=\"%s\" (messages are dropped "
		       "and counted until a file can be written)",
		       r->path[0] ? r->path : r->dir, what, strerror(err));
	r->failed = true;
}

static void close_file(struct pcap_roll *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->file_size = 0;
}

/* Write the buffer to the file. false: the buffer's messages are lost
 * (counted) and the file is closed. */
static bool write_out(struct pcap_roll *r)
{
	size_t off = 0;

	if (r->used == 0)
		return true;
	while (r->fd >= 0 && off < r->used) {
		ssize_t n = write(r->fd, r->buf + off, r->used - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(r, "write", n < 0 ? errno : ENOSPC);
			close_file(r);
			break;
		}
		off += (size_t)n;
	}
	if (r->fd < 0) {
		r->st.dropped += r->buf_msgs;
		r->used = 0;
		r->buf_msgs = 0;
		return false;
	}
	if (r->failed)
		tb_log("info", "trace_pcap_recovered", "file=\"%s\"", r->path);
	r->failed = false;
	r->file_size += r->used;
	r->st.written += r->buf_msgs;
	r->used = 0;
	r->buf_msgs = 0;
	return true;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool is_ours(const char *n)
{
	static const char shape[] = NAME_PREFIX "DDDDDDDDTDDDDDD.DDDDDDZ.pcap";

	if (strlen(n) != NAME_LEN)
		return false;
	for (size_t i = 0; i < NAME_LEN; i++) {
		if (shape[i] == 'D' ? (n[i] < '0' || n[i] > '9')
		                    : n[i] != shape[i])
			return false;
	}
	return true;
}

/* Delete the oldest of our files in dir beyond max_files (the names sort
 * by time). */
static void prune(struct pcap_roll *r)
{
	DIR *d = opendir(r->dir);
	char(*names)[NAME_LEN + 1] = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!is_ours(de->d_name))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			void *nn = realloc(names, nc * sizeof(*names));
			if (!nn)
				break;
			names = nn;
			cap = nc;
		}
		memcpy(names[n++], de->d_name, NAME_LEN + 1);
	}
	closedir(d);
	if (n > r->max_files) {
		qsort(names, n, sizeof(*names), name_cmp);
		for (size_t i = 0; i < n - r->max_files; i++) {
			char p[PATH_CAP];
			snprintf(p, sizeof(p), "%s/%s", r->dir, names[i]);
			if (unlink(p) == 0) {
				r->st.deleted++;
				tb_log("info", "trace_pcap_deleted",
				       "file=\"%s\" max_files=%u", p,
				       (unsigned)r->max_files);
			}
		}
	}
	free(names);
}

/* mkdir -p dir (0750). */
static int make_dir(const char *dir)
{
	char p[PATH_CAP];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return -1;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char ch = p[i];
		p[i] = '\0';
		if (mkdir(p, 0750) != 0 && errno != EEXIST)
			return -1;
		p[i] = ch;
	}
	return 0;
}

static bool open_file(struct pcap_roll *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t us =
	        (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	bool made = false;

	if (strlen(r->dir) > 4096) {
		fail(r, "open", ENAMETOOLONG);
		return false;
	}
	for (int tries = 0; tries < 100; tries++) {
		if (us <= r->last_us)
			us = r->last_us + 1;
		time_t sec = (time_t)(us / 1000000);
		struct tm tm;
		char stamp[24];
		gmtime_r(&sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
		snprintf(r->path, sizeof(r->path),
		         "%s/" NAME_PREFIX "%s.%06uZ.pcap", r->dir, stamp,
		         (unsigned)(us % 1000000));
		r->last_us = us;
		r->fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		             0640);
		if (r->fd >= 0)
			break;
		if (errno == ENOENT && !made) {
			made = true;
			if (make_dir(r->dir) == 0)
				continue;
			errno = ENOENT;
		}
		if (errno != EEXIST) {
			fail(r, "open", errno);
			return false;
		}
	}
	if (r->fd < 0) {
		fail(r, "open", EEXIST);
		return false;
	}
	r->file_size = 0;
	r->st.files++;
	/* the global header leads the (empty) buffer */
	pcap_global_header(r->buf + r->used);
	r->used += PCAP_GLOBAL_LEN;
	prune(r);
	return true;
}

int pcap_roll_write(struct pcap_roll *r, const struct pcap_pkt *p)
{
	size_t n = pcap_message_size(p);

	if (n == 0 || n + PCAP_GLOBAL_LEN > r->cap) {
		r->st.dropped++;
		return -1;
	}
	if (r->fd >= 0 && r->file_size + r->used > PCAP_GLOBAL_LEN &&
	    r->file_size + r->used + n > r->max_file_size) {
		write_out(r);
		close_file(r);
		r->st.rotated++;
	}
	/* after a failure only the flush timer tries a new file */
	if (r->fd < 0 && (r->failed || !open_file(r))) {
		r->st.dropped++;
		return -1;
	}
	if (r->used + n > r->cap && !write_out(r)) {
		r->st.dropped++;
		return -1;
	}
	pcap_message(r->buf + r->used, r->cap - r->used, p);
	r->used += n;
	r->buf_msgs++;
	return 0;
}

void pcap_roll_flush(struct pcap_roll *r)
{
	if (!r)
		return;
	write_out(r);
	/* after a failure: a new file every PCAP_RETRY_FLUSHES flushes */
	if (r->fd < 0 && r->failed && ++r->retry >= PCAP_RETRY_FLUSHES) {
		r->retry = 0;
		open_file(r);
	}
}

int pcap_roll_set(struct pcap_roll *r, const struct pcap_roll_conf *c)
{
	r->max_file_size = c->max_file_size;
	r->max_files = c->max_files ? c->max_files : 1;
	if (strcmp(c->dir, r->dir) != 0) {
		char *d = dup_str(c->dir);
		if (!d)
			return -1;
		write_out(r);
		close_file(r);
		free(r->dir);
		r->dir = d;
		r->path[0] = '\0';
		r->failed = false;
	}
	return 0;
}

void pcap_roll_free(struct pcap_roll *r)
{
	if (!r)
		return;
	write_out(r);
	close_file(r);
	free(r->buf);
	free(r->dir);
	free(r);
}

const struct pcap_roll_stats *pcap_roll_stats(const struct pcap_roll *r)
{
	return &r->st;
}

const char *pcap_roll_path(const struct pcap_roll *r)
{
	return r->fd >= 0 ? r->path : "";
}
