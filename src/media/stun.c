/* stun.c: STUN binding requests read and checked, success responses
 * written (RFC 5389; ICE-lite per RFC 8445). See stun.h. */
#include "media/stun.h"

#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define MI_LEN 20 /* HMAC-SHA1 */
#define FP_LEN 4

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* CRC-32, reflected polynomial 0xedb88320, four bits at a time. */
static const uint32_t crc_nibble[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
};

uint32_t stun_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		c = (c >> 4) ^ crc_nibble[c & 0xf];
		c = (c >> 4) ^ crc_nibble[c & 0xf];
	}
	return c ^ 0xffffffffu;
}

bool stun_is_msg(const uint8_t *p, size_t len)
{
	if (!p || len < STUN_HEADER_LEN || p[0] > 3)
		return false;
	size_t ml = rd16(p + 2);
	return (ml & 3) == 0 && ml + STUN_HEADER_LEN == len &&
	       rd32(p + 4) == STUN_MAGIC_COOKIE;
}

/* Comprehension-required attributes we know (RFC 5389 18.2, RFC 8445). */
static bool known_required(uint16_t t)
{
	switch (t) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
		return true;
	default:
		return false;
	}
}

enum stun_err stun_parse(const uint8_t *p, size_t len, struct stun_msg *m)
{
	memset(m, 0, sizeof(*m));
	if (!stun_is_msg(p, len))
		return STUN_ERR_MALFORMED;
	m->type = rd16(p);
	m->len = rd16(p + 2);
	m->tid = p + 8;

	size_t off = STUN_HEADER_LEN;
	while (off < len) {
		if (len - off < 4)
			return STUN_ERR_MALFORMED;
		uint16_t t = rd16(p + off);
		size_t al = rd16(p + off + 2);
		size_t padded = (al + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return STUN_ERR_MALFORMED;
		const uint8_t *v = p + off + 4;

		if (m->fingerprint_off) /* FINGERPRINT must be last */
			return STUN_ERR_MALFORMED;
		if (t == STUN_ATTR_FINGERPRINT) {
			if (al != FP_LEN)
				return STUN_ERR_MALFORMED;
			m->fingerprint_off = off;
		} else if (m->integrity_off) {
			/* after MESSAGE-INTEGRITY: ignored (RFC 5389 15.4) */
		} else {
			switch (t) {
			case STUN_ATTR_MESSAGE_INTEGRITY:
				if (al != MI_LEN)
					return STUN_ERR_MALFORMED;
				m->integrity_off = off;
				break;
			case STUN_ATTR_USERNAME:
				if (!m->username) {
					m->username = v;
					m->username_len = (uint16_t)al;
				}
				break;
			case STUN_ATTR_PRIORITY:
				if (al != 4)
					return STUN_ERR_MALFORMED;
				m->has_priority = true;
				m->priority = rd32(v);
				break;
			case STUN_ATTR_USE_CANDIDATE:
				m->use_candidate = true;
				break;
			case STUN_ATTR_ICE_CONTROLLING:
			case STUN_ATTR_ICE_CONTROLLED:
				if (al != 8)
					return STUN_ERR_MALFORMED;
				if (t == STUN_ATTR_ICE_CONTROLLING)
					m->ice_controlling = true;
				else
					m->ice_controlled = true;
				m->tiebreaker =
				        (uint64_t)rd32(v) << 32 | rd32(v + 4);
				break;
			default:
				if (t < 0x8000 && !known_required(t) &&
				    !m->unknown)
					m->unknown = t;
				break;
			}
		}
		off += 4 + padded;
	}
	return STUN_OK;
}

bool stun_integrity_ok(const uint8_t *p, size_t len, const struct stun_msg *m,
                       const uint8_t *key, size_t key_len)
{
	uint8_t buf[STUN_MAX_MSG];
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t off = m->integrity_off;

	if (!off || off + 4 + MI_LEN > len || off > sizeof(buf) ||
	    key_len > 0x7fffffff)
		return false;
	/* the message up to the attribute, its length field counting the
	 * attribute as the last one (RFC 5389 15.4) */
	memcpy(buf, p, off);
	wr16(buf + 2, (uint16_t)(off - STUN_HEADER_LEN + 4 + MI_LEN));
	if (!HMAC(EVP_sha1(), key, (int)key_len, buf, off, mac, &mac_len) ||
	    mac_len != MI_LEN)
		return false;
	return CRYPTO_memcmp(mac, p + off + 4, MI_LEN) == 0;
}

bool stun_fingerprint_ok(const uint8_t *p, size_t len, const struct stun_msg *m)
{
	size_t off = m->fingerprint_off;
	if (!off)
		return true;
	if (off + 4 + FP_LEN != len) /* last, and the length field says so */
		return false;
	return (stun_crc32(p, off) ^ STUN_FINGERPRINT_XOR) == rd32(p + off + 4);
}

enum stun_err stun_check_request(const uint8_t *p, size_t len,
                                 const char *ufrag, const char *pwd,
                                 struct stun_msg *m)
{
	enum stun_err r = stun_parse(p, len, m);
	if (r != STUN_OK)
		return r;
	if (m->type != STUN_BINDING_REQUEST)
		return STUN_ERR_NOT_REQUEST;
	if (!stun_fingerprint_ok(p, len, m))
		return STUN_ERR_FINGERPRINT;
	if (m->unknown)
		return STUN_ERR_UNKNOWN_ATTR;
	size_t ul = ufrag ? strlen(ufrag) : 0;
	if (!ul || !m->username || m->username_len <= ul ||
	    memcmp(m->username, ufrag, ul) != 0 || m->username[ul] != ':')
		return STUN_ERR_USERNAME;
	if (!m->integrity_off)
		return STUN_ERR_NO_INTEGRITY;
	if (!pwd ||
	    !stun_integrity_ok(p, len, m, (const uint8_t *)pwd, strlen(pwd)))
		return STUN_ERR_INTEGRITY;
	return STUN_OK;
}

/* writer */

static uint8_t *wr_room(struct stun_wr *w, size_t n)
{
	if (w->err || w->cap - w->len < n) {
		w->err = true;
		return NULL;
	}
	uint8_t *at = w->p + w->len;
	w->len += n;
	/* the header's length field follows the message */
	if (w->len >= STUN_HEADER_LEN)
		wr16(w->p + 2, (uint16_t)(w->len - STUN_HEADER_LEN));
	return at;
}

void stun_wr_init(struct stun_wr *w, uint8_t *buf, size_t cap, uint16_t type,
                  const uint8_t tid[STUN_TID_LEN])
{
	w->p = buf;
	w->cap = cap;
	w->len = 0;
	w->err = !buf;
	uint8_t *h = wr_room(w, STUN_HEADER_LEN);
	if (!h)
		return;
	wr16(h, type);
	wr16(h + 2, 0);
	wr32(h + 4, STUN_MAGIC_COOKIE);
	memcpy(h + 8, tid, STUN_TID_LEN);
}

void stun_wr_attr(struct stun_wr *w, uint16_t type, const void *val, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	if (len > 0xffff) {
		w->err = true;
		return;
	}
	uint8_t *a = wr_room(w, 4 + padded);
	if (!a)
		return;
	wr16(a, type);
	wr16(a + 2, (uint16_t)len);
	if (len)
		memcpy(a + 4, val, len);
	memset(a + 4 + len, 0, padded - len);
}

void stun_wr_xor_addr(struct stun_wr *w, const struct sockaddr *sa)
{
	uint8_t v[20];
	size_t n;
	if (w->err || w->len < STUN_HEADER_LEN || !sa) {
		w->err = true;
		return;
	}
	const uint8_t *tid = w->p + 8;
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		        (const struct sockaddr_in6 *)(const void *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
		                                   0, 0, 0, 0, 0xff, 0xff};
		wr16(v + 2, (uint16_t)(ntohs(s6->sin6_port) ^
		                       (STUN_MAGIC_COOKIE >> 16)));
		if (!memcmp(a, mapped, sizeof(mapped))) {
			v[1] = 0x01;
			wr32(v + 4, rd32(a + 12) ^ STUN_MAGIC_COOKIE);
			n = 8;
		} else {
			uint8_t x[16];
			v[1] = 0x02;
			wr32(x, STUN_MAGIC_COOKIE);
			memcpy(x + 4, tid, STUN_TID_LEN);
			for (size_t i = 0; i < 16; i++)
				v[4 + i] = a[i] ^ x[i];
			n = 20;
		}
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 =
		        (const struct sockaddr_in *)(const void *)sa;
		v[1] = 0x01;
		wr16(v + 2, (uint16_t)(ntohs(s4->sin_port) ^
		                       (STUN_MAGIC_COOKIE >> 16)));
		wr32(v + 4, ntohl(s4->sin_addr.s_addr) ^ STUN_MAGIC_COOKIE);
		n = 8;
	} else {
		w->err = true;
		return;
	}
	v[0] = 0;
	stun_wr_attr(w, STUN_ATTR_XOR_MAPPED_ADDRESS, v, n);
}

void stun_wr_integrity(struct stun_wr *w, const uint8_t *key, size_t key_len)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t off = w->len;
	uint8_t *a = wr_room(w, 4 + MI_LEN); /* length now counts it */
	if (!a)
		return;
	if (key_len > 0x7fffffff ||
	    !HMAC(EVP_sha1(), key, (int)key_len, w->p, off, mac, &mac_len) ||
	    mac_len != MI_LEN) {
		w->err = true;
		return;
	}
	wr16(a, STUN_ATTR_MESSAGE_INTEGRITY);
	wr16(a + 2, MI_LEN);
	memcpy(a + 4, mac, MI_LEN);
}

void stun_wr_fingerprint(struct stun_wr *w)
{
	size_t off = w->len;
	uint8_t *a = wr_room(w, 4 + FP_LEN); /* length now counts it */
	if (!a)
		return;
	wr16(a, STUN_ATTR_FINGERPRINT);
	wr16(a + 2, FP_LEN);
	wr32(a + 4, stun_crc32(w->p, off) ^ STUN_FINGERPRINT_XOR);
}

size_t stun_wr_done(const struct stun_wr *w)
{
	return w->err ? 0 : w->len;
}

size_t stun_binding_success(uint8_t *out, size_t cap,
                            const uint8_t tid[STUN_TID_LEN],
                            const struct sockaddr *mapped, const uint8_t *key,
                            size_t key_len)
{
	struct stun_wr w;
	stun_wr_init(&w, out, cap, STUN_BINDING_SUCCESS, tid);
	stun_wr_xor_addr(&w, mapped);
	stun_wr_integrity(&w, key, key_len);
	stun_wr_fingerprint(&w);
	return stun_wr_done(&w);
}
