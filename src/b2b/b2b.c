/* b2b.c: the B2BUA's entry points: config generations, which trunk a
 * source belongs to (allow-lists), dispatch of requests to calls, the
 * table of legs by our tag. The call flows are in call.c, the messages of
 * a leg in leg.c. */
#include "b2b/b2b_int.h"
#include "b2b/route.h"
#include "base/log.h"
#include "trunk/options.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t b2b_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void b2b_unique(struct b2b *b, char *out, size_t cap)
{
	snprintf(out, cap, "%s%llx", b->seed, (unsigned long long)++b->seq);
}

void b2b_after(struct b2b *b)
{
	if (b->env.after && !b->closing)
		b->env.after(b->env.arg);
}

static uint32_t tag_hash(struct pl t)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < t.l; i++) {
		h ^= (unsigned char)t.p[i];
		h *= 16777619u;
	}
	return h & (B2B_BUCKETS - 1);
}

void b2b_hash_add(struct b2b *b, struct leg *l)
{
	uint32_t h = tag_hash(pl_make(l->ltag, strlen(l->ltag)));

	l->hnext = b->bucket[h];
	b->bucket[h] = l;
	l->hashed = true;
}

void b2b_hash_del(struct b2b *b, struct leg *l)
{
	if (!l->hashed)
		return;
	struct leg **pp =
	        &b->bucket[tag_hash(pl_make(l->ltag, strlen(l->ltag)))];
	while (*pp && *pp != l)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = l->hnext;
	l->hashed = false;
}

struct leg *b2b_hash_find(struct b2b *b, struct pl tag)
{
	if (!tag.p || tag.l == 0 || tag.l >= sizeof(((struct leg *)0)->ltag))
		return NULL;
	for (struct leg *l = b->bucket[tag_hash(tag)]; l; l = l->hnext) {
		if (strlen(l->ltag) == tag.l &&
		    memcmp(l->ltag, tag.p, tag.l) == 0)
			return l;
	}
	return NULL;
}

struct b2b *b2b_new(const struct b2b_env *env)
{
	struct b2b *b = calloc(1, sizeof(*b));
	unsigned char r[4];

	if (!b)
		return NULL;
	b->env = *env;
	b->open_trunk = -1;
	b->bucket = calloc(B2B_BUCKETS, sizeof(*b->bucket));
	if (!b->bucket || RAND_bytes(r, sizeof(r)) != 1) {
		free(b->bucket);
		free(b);
		return NULL;
	}
	snprintf(b->seed, sizeof(b->seed), "tb%02x%02x%02x%02x", r[0], r[1],
	         r[2], r[3]);
	return b;
}

void b2b_set_config(struct b2b *b, struct tb_config *cfg,
                    struct route_table *routes, struct tls_profile **tls)
{
	struct cidr_set *allow = cidr_set_new();
	int open = -1;
	for (size_t i = 0; allow && i < cfg->n_trunks; i++) {
		const struct cfg_trunk *t = &cfg->trunks[i];
		if (t->n_allow == 0 && open < 0)
			open = (int)i;
		for (size_t k = 0; k < t->n_allow; k++)
			cidr_set_add(allow, t->allow[k].family,
			             t->allow[k].addr, t->allow[k].prefix,
			             (int)i);
	}
	if (allow && cidr_set_build(allow) == 0) {
		cidr_set_free(b->allow);
		b->allow = allow;
		b->open_trunk = open;
	} else {
		cidr_set_free(allow); /* out of memory: the old lists stay */
	}
	cfg_ref(cfg);
	cfg_free(b->cfg);
	b->cfg = cfg;
	route_table_free(b->routes);
	b->routes = routes;
	for (size_t i = 0; i < B2B_MAX_TRUNK; i++) {
		struct tls_profile *n =
		        i < cfg->n_trunks && tls ? tls[i] : NULL;
		if (n)
			tls_profile_ref(n);
		if (b->tls[i])
			tls_profile_unref(b->tls[i]);
		b->tls[i] = n;
	}
}

void b2b_shutdown(struct b2b *b)
{
	if (!b)
		return;
	b2b_call_end_all(b, false);
	b->closing = true;
}

void b2b_free(struct b2b *b)
{
	if (!b)
		return;
	b->closing = true;
	b2b_call_end_all(b, true);
	for (size_t i = 0; i < B2B_MAX_TRUNK; i++) {
		if (b->tls[i])
			tls_profile_unref(b->tls[i]);
	}
	route_table_free(b->routes);
	cidr_set_free(b->allow);
	cfg_free(b->cfg);
	free(b->bucket);
	free(b);
}

const struct b2b_stats *b2b_stats(const struct b2b *b)
{
	return &b->st;
}

int b2b_trunk_of(const struct b2b *b, const struct sockaddr *sa)
{
	/* the most specific prefix of any trunk's list (equal prefixes: the
	 * trunk first in the file), else the first trunk without a list */
	int t = b->allow ? cidr_set_lookup_sa(b->allow, sa) : -1;

	return t >= 0 ? t : b->open_trunk;
}

void b2b_reply(struct b2b *b, struct sip_tx *tx, const struct sip_msg *m,
               uint16_t code, const char *hname, const char *hvalue)
{
	char out[B2B_MSG_MAX];
	char tag[32];
	struct sip_build bd;

	b2b_unique(b, tag, sizeof(tag));
	sip_build_init(&bd, out, sizeof(out));
	sip_tx_response_head(&bd, m, sip_tx_dest(tx), code, PL_NULL,
	                     code > 100 ? pl_make(tag, strlen(tag)) : PL_NULL);
	if (hname)
		sip_build_hdr_name(&bd, pl_make(hname, strlen(hname)),
		                   pl_make(hvalue, strlen(hvalue)));
	sip_build_hdr(&bd, SIP_HDR_ALLOW, PL(TB_ALLOW));
	sip_build_hdr(&bd, SIP_HDR_SERVER, PL(TB_SERVER));
	size_t n = sip_build_finish(&bd, PL_NULL);
	if (n)
		sip_tx_respond(tx, code, out, n);
}

bool b2b_request(struct b2b *b, const struct tp_addr *src, struct sip_msg *m)
{
	struct sip_tx_dest d;
	struct sip_tx *tx = NULL;
	char from[80];
	int trunk = b2b_trunk_of(b, (const struct sockaddr *)&src->addr);

	if (trunk < 0) {
		/* the guide's NSG: not one of the clouds' addresses */
		if (m->method_id != SIP_METHOD_ACK) {
			b->st.refused_source++;
			tp_addr_str((const struct sockaddr *)&src->addr, from,
			            sizeof(from));
			tb_log("warn", "source_refused",
			       "src=%s method=%.*s reason=\"source in no "
			       "trunk's allow list\"",
			       from, (int)m->method.l, m->method.p);
		}
		return true;
	}
	memset(&d, 0, sizeof(d));
	d.conn = src->conn;
	d.reliable = src->conn != NULL;
	memcpy(&d.addr, &src->addr, sizeof(d.addr));
	d.addrlen = src->addrlen;
	enum sip_tx_req_result r = sip_tx_recv_request(b->env.tx, &d, m, &tx);
	switch (r) {
	case SIP_TX_REQ_NEW:
		break;
	case SIP_TX_REQ_CANCEL:
		b2b_call_cancel(b, tx);
		b2b_after(b);
		return true;
	case SIP_TX_REQ_NO_MATCH_ACK:
		/* the ACK of a 2xx we sent (to the INVITE or a relayed
		 * re-INVITE): the far leg was ACKed when its 2xx came, so
		 * nothing crosses */
		return true;
	case SIP_TX_REQ_OVERLOAD: {
		/* over limits.max_transactions: 503 without a transaction */
		char out[4096];
		struct sip_build bd;
		b->st.overload++;
		sip_build_init(&bd, out, sizeof(out));
		sip_tx_response_head(&bd, m, &d, 503, PL_NULL, PL("tbov"));
		sip_build_hdr(&bd, SIP_HDR_RETRY_AFTER, PL("5"));
		size_t n = sip_build_finish(&bd, PL_NULL);
		if (n)
			tp_send(b->env.tp, src, out, n);
		if (b->st.overload % 1000 == 1)
			tb_log("warn", "overload",
			       "method=%.*s refused=%llu reason=\"over "
			       "limits.max_transactions: answered 503\"",
			       (int)m->method.l, m->method.p,
			       (unsigned long long)b->st.overload);
		return true;
	}
	default:
		b2b_after(b);
		return true;
	}
	/* a new server transaction: ours to answer */
	if (pl_isset(m->to.tag)) {
		struct leg *l = b2b_hash_find(b, m->to.tag);
		if (!l ||
		    !pl_eq(m->call_id, pl_make(l->call_id, strlen(l->call_id))))
			b2b_reply(b, tx, m, 481, NULL, NULL);
		else
			b2b_call_in_dialog(b, l, src, m, tx);
	} else if (m->method_id == SIP_METHOD_INVITE) {
		b2b_call_invite(b, src, m, tx, trunk);
	} else {
		switch (m->method_id) {
		case SIP_METHOD_BYE:
		case SIP_METHOD_PRACK:
		case SIP_METHOD_UPDATE:
		case SIP_METHOD_INFO:
		case SIP_METHOD_NOTIFY:
			b2b_reply(b, tx, m, 481, NULL, NULL);
			break;
		default:
			b2b_reply(b, tx, m, 405, NULL, NULL);
			break;
		}
	}
	sip_tx_release(tx);
	b2b_after(b);
	return true;
}
