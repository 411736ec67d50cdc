/* stun.h: the STUN messages an ICE-lite agent needs (RFC 5389, RFC 8445
 * 2.5 and 7.3): binding requests read and checked (short-term
 * credentials: USERNAME "<ours>:<theirs>", MESSAGE-INTEGRITY keyed with
 * our ice-pwd, FINGERPRINT), success responses written
 * (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT).
 *
 * Pure functions over bytes: no I/O, no allocation, no globals written.
 * Every read is bounds-checked against the length given; a message is
 * taken only when the datagram is exactly one STUN message.
 */
#ifndef TB_MEDIA_STUN_H
#define TB_MEDIA_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_LEN   20
#define STUN_MAGIC_COOKIE 0x2112a442u
#define STUN_TID_LEN      12
/* Longest message the checker reads (a datagram the relay took). */
#define STUN_MAX_MSG 1536
/* Longest binding success stun_binding_success writes (IPv6: 20 header,
 * 24 XOR-MAPPED-ADDRESS, 24 MESSAGE-INTEGRITY, 8 FINGERPRINT). */
#define STUN_MAX_RESPONSE 76

/* Message types (method | class bits, RFC 5389 6). */
#define STUN_BINDING_REQUEST    0x0001
#define STUN_BINDING_INDICATION 0x0011
#define STUN_BINDING_SUCCESS    0x0101
#define STUN_BINDING_ERROR      0x0111

/* Attributes. */
#define STUN_ATTR_MAPPED_ADDRESS     0x0001
#define STUN_ATTR_USERNAME           0x0006
#define STUN_ATTR_MESSAGE_INTEGRITY  0x0008
#define STUN_ATTR_ERROR_CODE         0x0009
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000a
#define STUN_ATTR_REALM              0x0014
#define STUN_ATTR_NONCE              0x0015
#define STUN_ATTR_XOR_MAPPED_ADDRESS 0x0020
#define STUN_ATTR_PRIORITY           0x0024 /* RFC 8445 */
#define STUN_ATTR_USE_CANDIDATE      0x0025
#define STUN_ATTR_SOFTWARE           0x8022
#define STUN_ATTR_ALTERNATE_SERVER   0x8023
#define STUN_ATTR_FINGERPRINT        0x8028
#define STUN_ATTR_ICE_CONTROLLED     0x8029
#define STUN_ATTR_ICE_CONTROLLING    0x802a

/* XORed into the CRC-32 of FINGERPRINT (RFC 5389 15.5). */
#define STUN_FINGERPRINT_XOR 0x5354554eu

enum stun_err {
	STUN_OK = 0,
	STUN_ERR_MALFORMED,    /* not one well-formed STUN message */
	STUN_ERR_NOT_REQUEST,  /* not a binding request */
	STUN_ERR_UNKNOWN_ATTR, /* an unknown comprehension-required attr */
	STUN_ERR_USERNAME,     /* no USERNAME, or not "<ufrag>:..." */
	STUN_ERR_NO_INTEGRITY, /* no MESSAGE-INTEGRITY */
	STUN_ERR_INTEGRITY,    /* MESSAGE-INTEGRITY does not verify */
	STUN_ERR_FINGERPRINT,  /* FINGERPRINT present and wrong */
};

/* A parsed message: pointers into the caller's bytes. */
struct stun_msg {
	uint16_t type;
	uint16_t len;            /* message length (after the header) */
	const uint8_t *tid;      /* STUN_TID_LEN bytes */
	const uint8_t *username; /* NULL: none */
	uint16_t username_len;
	/* offsets of the attributes' headers in the message, 0: absent */
	size_t integrity_off;
	size_t fingerprint_off;
	bool has_priority;
	uint32_t priority;
	bool use_candidate;
	bool ice_controlling, ice_controlled;
	uint64_t tiebreaker;
	/* first unknown comprehension-required attribute (< 0x8000) before
	 * MESSAGE-INTEGRITY; 0: none */
	uint16_t unknown;
};

/* RFC 7983 and RFC 5389 6: first byte 0-3, the magic cookie, a length
 * that is a multiple of 4 and matches len. Cheap; no attribute read. */
bool stun_is_msg(const uint8_t *p, size_t len);

/* Reads the header and every attribute (4-byte aligned TLVs, each inside
 * the message; MESSAGE-INTEGRITY 20 bytes, FINGERPRINT 4 bytes and last;
 * attributes after MESSAGE-INTEGRITY other than FINGERPRINT ignored, RFC
 * 5389 15.4). STUN_OK or STUN_ERR_MALFORMED. */
enum stun_err stun_parse(const uint8_t *p, size_t len, struct stun_msg *m);

/* MESSAGE-INTEGRITY (HMAC-SHA1 with key over the message up to that
 * attribute, the length field counting it, RFC 5389 15.4) verifies.
 * false when absent. Constant-time compare. */
bool stun_integrity_ok(const uint8_t *p, size_t len, const struct stun_msg *m,
                       const uint8_t *key, size_t key_len);
/* FINGERPRINT verifies; true when absent. */
bool stun_fingerprint_ok(const uint8_t *p, size_t len,
                         const struct stun_msg *m);

/* The whole ICE-lite check of a binding request: parsed, a binding
 * request, no unknown comprehension-required attribute, USERNAME begins
 * with "<ufrag>:", MESSAGE-INTEGRITY verifies with pwd, FINGERPRINT
 * verifies when present. m is filled as far as parsing went. */
enum stun_err stun_check_request(const uint8_t *p, size_t len,
                                 const char *ufrag, const char *pwd,
                                 struct stun_msg *m);

/* CRC-32 (ISO-HDLC, as FINGERPRINT uses before the XOR). */
uint32_t stun_crc32(const uint8_t *p, size_t len);

/* A writer for one message into a caller's buffer. Any call that would
 * overflow sets err; later calls do nothing. */
struct stun_wr {
	uint8_t *p;
	size_t cap, len;
	bool err;
};
void stun_wr_init(struct stun_wr *w, uint8_t *buf, size_t cap, uint16_t type,
                  const uint8_t tid[STUN_TID_LEN]);
/* An attribute, value padded with zero bytes to 4. */
void stun_wr_attr(struct stun_wr *w, uint16_t type, const void *val,
                  size_t len);
/* XOR-MAPPED-ADDRESS of an AF_INET or AF_INET6 address (a v4-mapped IPv6
 * address is written as IPv4); err for another family. */
void stun_wr_xor_addr(struct stun_wr *w, const struct sockaddr *sa);
void stun_wr_integrity(struct stun_wr *w, const uint8_t *key, size_t key_len);
void stun_wr_fingerprint(struct stun_wr *w);
/* Total length written, 0 on error. */
size_t stun_wr_done(const struct stun_wr *w);

/* A binding success response to the request with transaction id tid:
 * XOR-MAPPED-ADDRESS of mapped (the request's source), MESSAGE-INTEGRITY
 * with key (our ice-pwd), FINGERPRINT. Length written (at most
 * STUN_MAX_RESPONSE), 0 when it does not fit or mapped's family is
 * neither IPv4 nor IPv6. */
size_t stun_binding_success(uint8_t *out, size_t cap,
                            const uint8_t tid[STUN_TID_LEN],
                            const struct sockaddr *mapped, const uint8_t *key,
                            size_t key_len);

#endif
