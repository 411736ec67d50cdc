/* tx_core.c: the transaction layer's skeleton: configuration, the hash
 * table of live transactions, the timer min-heap, references, ticking.
 * The state machines are in tx_client.c and tx_server.c. */
#include "sip/tx/tx_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- layer ---- */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 64;

	while (p < n && p < (1u << 20))
		p <<= 1;
	return p;
}

struct sip_tx_layer *sip_tx_layer_alloc(const struct sip_tx_config *cfg,
                                        const struct sip_tx_env *env)
{
	const struct sip_tx_config def = SIP_TX_CONFIG_DEFAULT;
	struct sip_tx_layer *l;
	uint32_t nb;

	if (!env || !env->send || !env->now_ms)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->cfg = cfg ? *cfg : def;
	if (!l->cfg.t1_ms)
		l->cfg.t1_ms = def.t1_ms;
	if (!l->cfg.t2_ms)
		l->cfg.t2_ms = def.t2_ms;
	if (!l->cfg.t4_ms)
		l->cfg.t4_ms = def.t4_ms;
	if (!l->cfg.max_transactions)
		l->cfg.max_transactions = def.max_transactions;
	l->env = *env;
	/* load factor at most 4 at the limit; the table never resizes */
	nb = pow2_at_least(l->cfg.max_transactions / 4);
	l->bucket = calloc(nb, sizeof(*l->bucket));
	if (!l->bucket) {
		free(l);
		return NULL;
	}
	l->mask = nb - 1;
	return l;
}

void sip_tx_layer_free(struct sip_tx_layer *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i <= l->mask; i++) {
		while (l->bucket[i])
			tx_terminate(l->bucket[i]);
	}
	free(l->bucket);
	free(l->heap);
	free(l);
}

const struct sip_tx_stats *sip_tx_layer_stats(const struct sip_tx_layer *l)
{
	return &l->stats;
}

uint64_t tx_now(const struct sip_tx_layer *l)
{
	return l->env.now_ms(l->env.arg);
}

/* FNV-1a: short keys (branch, Call-ID), no allocation. */
uint32_t tx_hash(struct pl s)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < s.l; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 16777619u;
	}
	return h;
}

/* ---- timer heap: (at, seq) ordered, each timer knows its position ---- */

static bool earlier(const struct tx_timer *a, const struct tx_timer *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_set(struct sip_tx_layer *l, uint32_t i, struct tx_timer *t)
{
	l->heap[i] = t;
	t->pos = i + 1;
}

static void heap_up(struct sip_tx_layer *l, uint32_t i)
{
	struct tx_timer *t = l->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!earlier(t, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void heap_down(struct sip_tx_layer *l, uint32_t i)
{
	struct tx_timer *t = l->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= l->heap_len)
			break;
		if (c + 1 < l->heap_len && earlier(l->heap[c + 1], l->heap[c]))
			c++;
		if (!earlier(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct sip_tx_layer *l, struct tx_timer *t)
{
	uint32_t i = t->pos - 1;
	struct tx_timer *last = l->heap[--l->heap_len];

	t->pos = 0;
	if (i == l->heap_len)
		return;
	heap_set(l, i, last);
	if (i > 0 && earlier(last, l->heap[(i - 1) / 2]))
		heap_up(l, i);
	else
		heap_down(l, i);
}

int tx_timer_start(struct sip_tx *tx, int slot, enum tx_timer_id id,
                   uint64_t ms)
{
	struct sip_tx_layer *l = tx->layer;
	struct tx_timer *t = &tx->tm[slot];

	if (!l)
		return -1;
	if (t->pos)
		heap_remove(l, t);
	if (l->heap_len == l->heap_cap)
		return -1; /* cannot happen: tx_alloc reserved two slots */
	t->at = tx_now(l) + ms;
	t->seq = l->seq++;
	t->id = (uint8_t)id;
	t->tx = tx;
	l->heap_len++;
	heap_set(l, l->heap_len - 1, t);
	heap_up(l, l->heap_len - 1);
	return 0;
}

void tx_timer_stop(struct sip_tx *tx, int slot)
{
	if (tx->layer && tx->tm[slot].pos)
		heap_remove(tx->layer, &tx->tm[slot]);
}

uint64_t sip_tx_next_deadline(const struct sip_tx_layer *l)
{
	return l->heap_len ? l->heap[0]->at : SIP_TX_NEVER;
}

void sip_tx_tick(struct sip_tx_layer *l)
{
	uint64_t now = tx_now(l);

	while (l->heap_len && l->heap[0]->at <= now) {
		struct tx_timer *t = l->heap[0];
		struct sip_tx *tx = t->tx;

		heap_remove(l, t);
		sip_tx_ref(tx);
		if (tx->kind == TX_ICT || tx->kind == TX_NICT)
			tx_client_timer(tx, (enum tx_timer_id)t->id);
		else
			tx_server_timer(tx, (enum tx_timer_id)t->id);
		sip_tx_release(tx);
	}
}

/* ---- transactions ---- */

static size_t key_size(const struct tx_key *k)
{
	return k->branch.l + k->host.l + k->method.l + k->ruri.l +
	       k->from_tag.l + k->to_tag.l + k->call_id.l + k->via.l;
}

static struct pl key_copy(char **p, struct pl s)
{
	struct pl out;

	if (!s.p)
		return PL_NULL;
	out = pl_make(*p, s.l);
	if (s.l)
		memcpy(*p, s.p, s.l);
	*p += s.l;
	return out;
}

/* Room in the heap for two timers per live transaction, taken when a
 * transaction is created, so arming a timer never allocates or fails. */
static int heap_reserve(struct sip_tx_layer *l, uint32_t need)
{
	uint32_t cap = l->heap_cap ? l->heap_cap : 64;
	struct tx_timer **h;

	if (need <= l->heap_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	h = realloc(l->heap, cap * sizeof(*h));
	if (!h)
		return -1;
	l->heap = h;
	l->heap_cap = cap;
	return 0;
}

struct sip_tx *tx_alloc(struct sip_tx_layer *l, enum tx_kind kind,
                        const struct sip_tx_dest *dst, const char *req,
                        size_t req_len, const struct tx_key *key, uint32_t hash)
{
	size_t extra = req_len + key_size(key);
	struct sip_tx **head;
	struct sip_tx *tx;
	char *p;

	if (l->stats.live >= UINT32_MAX / 2 - 1 ||
	    heap_reserve(l, 2 * (l->stats.live + 1)))
		return NULL;
	tx = calloc(1, sizeof(*tx) + extra);
	if (!tx)
		return NULL;
	tx->refs = 1; /* the layer's, until Terminated */
	tx->kind = kind;
	tx->layer = l;
	tx->dst = *dst;
	tx->req = tx->mem;
	tx->req_len = req_len;
	if (req_len)
		memcpy(tx->mem, req, req_len);
	p = tx->mem + req_len;
	tx->key = *key;
	tx->key.branch = key_copy(&p, key->branch);
	tx->key.host = key_copy(&p, key->host);
	tx->key.method = key_copy(&p, key->method);
	tx->key.ruri = key_copy(&p, key->ruri);
	tx->key.from_tag = key_copy(&p, key->from_tag);
	tx->key.to_tag = key_copy(&p, key->to_tag);
	tx->key.call_id = key_copy(&p, key->call_id);
	tx->key.via = key_copy(&p, key->via);

	tx->hash = hash;
	head = &l->bucket[hash & l->mask];
	tx->hnext = *head;
	if (*head)
		(*head)->hpprev = &tx->hnext;
	tx->hpprev = head;
	*head = tx;
	l->stats.created++;
	l->stats.live++;
	return tx;
}

struct sip_tx *tx_bucket(const struct sip_tx_layer *l, uint32_t hash)
{
	return l->bucket[hash & l->mask];
}

/* Terminated: out of the table and the heap, the layer's reference
 * dropped. The caller holds its own reference if it still uses tx. */
void tx_terminate(struct sip_tx *tx)
{
	struct sip_tx_layer *l = tx->layer;

	if (!l || tx->state == SIP_TX_TERMINATED)
		return;
	tx_timer_stop(tx, TX_SLOT_RETRANS);
	tx_timer_stop(tx, TX_SLOT_STATE);
	*tx->hpprev = tx->hnext;
	if (tx->hnext)
		tx->hnext->hpprev = tx->hpprev;
	tx->hnext = NULL;
	tx->hpprev = NULL;
	tx->state = SIP_TX_TERMINATED;
	tx->layer = NULL;
	l->stats.live--;
	sip_tx_release(tx);
}

/* Terminate, then tell the TU (status 408 or 503, no message). */
void tx_fail(struct sip_tx *tx, uint16_t status)
{
	sip_tx_ref(tx);
	tx_terminate(tx);
	tx_deliver(tx, status, NULL);
	sip_tx_release(tx);
}

int tx_send(struct sip_tx *tx, const char *buf, size_t len)
{
	struct sip_tx_layer *l = tx->layer;

	if (!l)
		return -1;
	if (l->env.send(l->env.arg, &tx->dst, buf, len) != 0) {
		l->stats.transport_errors++;
		return -1;
	}
	return 0;
}

int tx_aux_reserve(struct sip_tx *tx, size_t cap)
{
	if (cap > tx->aux_cap) {
		char *p = realloc(tx->aux, cap);
		if (!p)
			return -1;
		tx->aux = p;
		tx->aux_cap = cap;
	}
	return 0;
}

int tx_aux_set(struct sip_tx *tx, const char *buf, size_t len)
{
	if (tx_aux_reserve(tx, len))
		return -1;
	memcpy(tx->aux, buf, len);
	tx->aux_len = len;
	return 0;
}

/* The caller holds a reference across this (the TU may release its own
 * handle from inside the handler). */
void tx_deliver(struct sip_tx *tx, uint16_t status, const struct sip_msg *resp)
{
	if (tx->h)
		tx->h(tx->arg, tx, status, resp);
}

bool tx_sent_by_eq(const struct tx_key *k, const struct sip_via *v)
{
	return pl_casecmp_eq(k->host, v->host) && k->has_port == v->has_port &&
	       k->port == v->port;
}

bool tx_method_eq(const struct tx_key *k, enum sip_method id, struct pl name)
{
	if (k->method_id != id)
		return false;
	return id != SIP_METHOD_OTHER || pl_eq(k->method, name);
}

bool tx_has_cookie(struct pl branch)
{
	return branch.l > sizeof(TX_COOKIE) - 1 &&
	       memcmp(branch.p, TX_COOKIE, sizeof(TX_COOKIE) - 1) == 0;
}

/* Re-parse bytes the layer holds (our copy of a request or response). */
int tx_parse_own(const char *buf, size_t len, struct sip_msg *m,
                 struct sip_hdr *hdr)
{
	struct sip_limits lim = {.max_msg_size = UINT32_MAX,
	                         .max_headers = TX_HDR_SCRATCH,
	                         .max_header_len = UINT32_MAX,
	                         .max_vias = UINT32_MAX};

	if (!buf || !len)
		return -1;
	sip_msg_init(m, hdr, TX_HDR_SCRATCH);
	return sip_msg_parse(m, buf, len, SIP_PARSE_DATAGRAM, &lim, NULL) ==
	                       SIP_PARSE_OK
	               ? 0
	               : -1;
}

/* ---- handles ---- */

struct sip_tx *sip_tx_ref(struct sip_tx *tx)
{
	if (tx)
		tx->refs++;
	return tx;
}

void sip_tx_release(struct sip_tx *tx)
{
	if (!tx || --tx->refs)
		return;
	/* the layer's reference is gone, so tx is already Terminated */
	free(tx->aux);
	free(tx);
}

void sip_tx_set_handler(struct sip_tx *tx, sip_tx_resp_h *h, void *arg)
{
	tx->h = h;
	tx->arg = arg;
}

void *sip_tx_arg(const struct sip_tx *tx)
{
	return tx->arg;
}

enum sip_tx_state sip_tx_state(const struct sip_tx *tx)
{
	return tx->state;
}

bool sip_tx_is_server(const struct sip_tx *tx)
{
	return tx->kind == TX_IST || tx->kind == TX_NIST;
}

enum sip_method sip_tx_method(const struct sip_tx *tx)
{
	return tx->key.method_id;
}

const struct sip_tx_dest *sip_tx_dest(const struct sip_tx *tx)
{
	return &tx->dst;
}

const char *sip_tx_state_name(enum sip_tx_state s)
{
	static const char *const names[] = {
	        "Calling",   "Trying",    "Proceeding", "Accepted",
	        "Completed", "Confirmed", "Terminated",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
