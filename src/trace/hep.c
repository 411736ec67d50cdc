/* hep.c: HEPv3 chunks and the UDP sender. */
#include "trace/hep.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct hep_sender {
	int fd;
};

struct enc {
	uint8_t *p;
	size_t cap, n;
	bool ok;
};

static void chunk(struct enc *e, uint16_t type, const void *v, size_t len)
{
	if (!e->ok || len > 0xffff - 6 || e->n + 6 + len > e->cap) {
		e->ok = false;
		return;
	}
	uint8_t *c = e->p + e->n;
	size_t cl = 6 + len;
	c[0] = 0; /* vendor 0: generic chunks */
	c[1] = 0;
	c[2] = (uint8_t)(type >> 8);
	c[3] = (uint8_t)type;
	c[4] = (uint8_t)(cl >> 8);
	c[5] = (uint8_t)cl;
	if (len)
		memcpy(c + 6, v, len);
	e->n += cl;
}

static void chunk8(struct enc *e, uint16_t type, uint8_t v)
{
	chunk(e, type, &v, 1);
}

static void chunk16(struct enc *e, uint16_t type, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	chunk(e, type, b, 2);
}

static void chunk32(struct enc *e, uint16_t type, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
	                (uint8_t)(v >> 8), (uint8_t)v};
	chunk(e, type, b, 4);
}

/* Address bytes (in family fam; zero when sa is of another) and port. */
static void addr_of(const struct sockaddr *sa, int fam, uint8_t ip[16],
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
}

size_t hep_encode(uint8_t *out, size_t cap, const struct hep_msg *m)
{
	int fam = m->dst ? m->dst->sa_family : 0;
	uint8_t sip[16], dip[16];
	uint16_t sport, dport;

	if (fam != AF_INET && fam != AF_INET6)
		return 0;
	if (cap > HEP_MAX_PACKET)
		cap = HEP_MAX_PACKET;
	if (cap < 6)
		return 0;
	addr_of(m->src, fam, sip, &sport);
	addr_of(m->dst, fam, dip, &dport);
	struct enc e = {out, cap, 6, true};
	chunk8(&e, 0x0001, fam == AF_INET ? 2 : 10);
	chunk8(&e, 0x0002, m->tcp ? 6 : 17);
	if (fam == AF_INET) {
		chunk(&e, 0x0003, sip, 4);
		chunk(&e, 0x0004, dip, 4);
	} else {
		chunk(&e, 0x0005, sip, 16);
		chunk(&e, 0x0006, dip, 16);
	}
	chunk16(&e, 0x0007, sport);
	chunk16(&e, 0x0008, dport);
	chunk32(&e, 0x0009, m->ts_sec);
	chunk32(&e, 0x000a, m->ts_usec);
	chunk8(&e, 0x000b, HEP_PROTO_SIP);
	chunk32(&e, 0x000c, m->capture_id);
	if (m->password)
		chunk(&e, 0x000e, m->password, strlen(m->password));
	chunk(&e, 0x000f, m->payload, m->len);
	if (pl_isset(m->correlation) && m->correlation.l)
		chunk(&e, 0x0011, m->correlation.p, m->correlation.l);
	if (!e.ok || e.n > 0xffff)
		return 0;
	memcpy(out, "HEP3", 4);
	out[4] = (uint8_t)(e.n >> 8);
	out[5] = (uint8_t)e.n;
	return e.n;
}

struct hep_sender *hep_sender_new(const struct sockaddr *to, socklen_t tolen,
                                  char *err, size_t errlen)
{
	struct hep_sender *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = socket(to->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	               0);
	if (s->fd < 0 || connect(s->fd, to, tolen) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	return s;
}

void hep_sender_free(struct hep_sender *s)
{
	if (!s)
		return;
	close(s->fd);
	free(s);
}

int hep_send(struct hep_sender *s, const uint8_t *pkt, size_t len)
{
	ssize_t n;

	do
		n = send(s->fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}
