/* test_tx.c: the RFC 3261 section 17 transaction layer (with RFC 6026's
 * Accepted state), driven by a fake clock and a fake transport that keeps
 * every message sent; each test is named after the states and timers it
 * drives. Sent messages are parsed back with sip_msg_parse to assert on. */
#include "sip/msg/sip_build.h"
#include "sip/tx/sip_tx.h"
#include "tests/test.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>

/* ---- fake environment ---- */

#define MAX_SENT 2048

static uint64_t now;
static int fail_sends; /* the next n sends fail */
static struct {
	char *buf;
	size_t len;
	uint64_t at;
	struct sip_tx_dest dst;
} sent[MAX_SENT];
static int nsent;

static int fake_send(void *arg, const struct sip_tx_dest *dst, const char *buf,
                     size_t len)
{
	(void)arg;
	if (fail_sends > 0) {
		fail_sends--;
		return -1;
	}
	if (nsent < MAX_SENT) {
		sent[nsent].buf = malloc(len);
		memcpy(sent[nsent].buf, buf, len);
		sent[nsent].len = len;
		sent[nsent].at = now;
		sent[nsent].dst = *dst;
	}
	nsent++;
	return 0;
}

static uint64_t fake_now(void *arg)
{
	(void)arg;
	return now;
}

static struct sip_tx_layer *layer_new(const struct sip_tx_config *cfg)
{
	struct sip_tx_env env = {.send = fake_send, .now_ms = fake_now};

	now = 0;
	nsent = 0;
	fail_sends = 0;
	return sip_tx_layer_alloc(cfg, &env);
}

static void layer_done(struct sip_tx_layer *l)
{
	sip_tx_layer_free(l);
	for (int i = 0; i < nsent && i < MAX_SENT; i++)
		free(sent[i].buf);
	nsent = 0;
}

/* The owner's event loop: fire every deadline up to t, in order. */
static void advance(struct sip_tx_layer *l, uint64_t t)
{
	for (;;) {
		uint64_t d = sip_tx_next_deadline(l);
		if (d == SIP_TX_NEVER || d > t)
			break;
		if (d > now)
			now = d;
		sip_tx_tick(l);
	}
	now = t;
}

static struct sip_tx_dest dest(const char *ip, uint16_t port, bool reliable)
{
	struct sip_tx_dest d;
	struct sockaddr_in sin;

	memset(&d, 0, sizeof(d));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin.sin_addr);
	memcpy(&d.addr, &sin, sizeof(sin));
	d.addrlen = sizeof(sin);
	d.reliable = reliable;
	return d;
}

/* ---- messages ---- */

struct pmsg {
	char buf[4096];
	size_t len;
	struct sip_msg m;
	struct sip_hdr hdr[64];
};

static bool pm_parse(struct pmsg *p)
{
	struct sip_parse_error err;

	sip_msg_init(&p->m, p->hdr, 64);
	if (sip_msg_parse(&p->m, p->buf, p->len, SIP_PARSE_DATAGRAM, NULL,
	                  &err) != SIP_PARSE_OK) {
		fprintf(stderr, "parse: %s in:\n%.*s\n", err.reason,
		        (int)p->len, p->buf);
		return false;
	}
	return true;
}

static bool sent_parse(int i, struct pmsg *p)
{
	if (i < 0 || i >= nsent || i >= MAX_SENT)
		return false;
	memcpy(p->buf, sent[i].buf, sent[i].len);
	p->len = sent[i].len;
	return pm_parse(p);
}

static bool sent_same(int i, int j)
{
	return i < nsent && j < nsent && sent[i].len == sent[j].len &&
	       memcmp(sent[i].buf, sent[j].buf, sent[i].len) == 0;
}

struct req_opt {
	const char *method; /* default INVITE */
	const char *branch; /* NULL: no branch param */
	const char *via;    /* sent-by, default 10.0.0.1:5060 */
	const char *call_id;
	const char *from_tag;
	const char *to_tag;
	const char *ruri;
	const char *extra; /* more header lines */
	uint32_t cseq;
	const char *cseq_method; /* default = method */
};

static void mk_req(struct pmsg *p, struct req_opt o)
{
	char br[96] = "";
	char tt[64] = "";
	int n;

	if (o.branch)
		snprintf(br, sizeof(br), ";branch=%s", o.branch);
	if (o.to_tag)
		snprintf(tt, sizeof(tt), ";tag=%s", o.to_tag);
	if (!o.method)
		o.method = "INVITE";
	n = snprintf(p->buf, sizeof(p->buf),
	             "%s %s SIP/2.0\r\n"
	             "Via: SIP/2.0/UDP %s%s;rport\r\n"
	             "Max-Forwards: 70\r\n"
	             "%s"
	             "From: \"Alice\" <sip:alice@example.com>;tag=%s\r\n"
	             "To: <sip:+14255550123@sbc1.contoso.com>%s\r\n"
	             "Call-ID: %s\r\n"
	             "CSeq: %" PRIu32 " %s\r\n"
	             "Contact: <sip:alice@10.0.0.1:5060>\r\n"
	             "Content-Length: 0\r\n\r\n",
	             o.method,
	             o.ruri ? o.ruri : "sip:+14255550123@sbc1.contoso.com",
	             o.via ? o.via : "10.0.0.1:5060", br,
	             o.extra ? o.extra : "", o.from_tag ? o.from_tag : "fa1",
	             tt, o.call_id ? o.call_id : "c1@test", o.cseq ? o.cseq : 1,
	             o.cseq_method ? o.cseq_method : o.method);
	p->len = (size_t)n;
	CHECK(pm_parse(p));
}

/* What a peer (or our TU) answers to req. */
static void mk_rsp(struct pmsg *p, const struct sip_msg *req,
                   const struct sip_tx_dest *src, uint16_t status,
                   const char *to_tag)
{
	struct sip_build b;

	sip_build_init(&b, p->buf, sizeof(p->buf));
	sip_tx_response_head(&b, req, src, status, PL_NULL,
	                     to_tag ? pl_make(to_tag, strlen(to_tag))
	                            : PL_NULL);
	p->len = sip_build_finish(&b, PL_NULL);
	CHECK(p->len > 0);
	CHECK(pm_parse(p));
}

/* ---- TU handler recorder ---- */

struct rec {
	int n;
	uint16_t st[64];
	bool msg[64];
	uint64_t at[64];
	enum sip_tx_state state[64];
};

static void rec_h(void *arg, struct sip_tx *tx, uint16_t status,
                  const struct sip_msg *resp)
{
	struct rec *r = arg;

	if (r->n < 64) {
		r->st[r->n] = status;
		r->msg[r->n] = resp != NULL;
		r->at[r->n] = now;
		r->state[r->n] = sip_tx_state(tx);
	}
	r->n++;
}

static struct sip_tx *start(struct sip_tx_layer *l, struct pmsg *req,
                            const struct sip_tx_dest *d, struct rec *r)
{
	return sip_tx_client_start(l, d, req->buf, req->len, &req->m, rec_h, r);
}

#define BR1 "z9hG4bK-ict-1"

/* ================= INVITE client transaction ================= */

static void ict_calling_timer_a_retransmits_doubling_without_t2_cap(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg inv;
	struct rec r = {0};
	static const uint64_t want[] = {0, 500, 1500, 3500, 7500, 15500, 31500};

	mk_req(&inv, (struct req_opt){.branch = BR1});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	CHECK(tx != NULL);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_CALLING);
	CHECK_EQ_INT(nsent, 1);
	CHECK_EQ_INT(sip_tx_next_deadline(l), 500);
	advance(l, 499);
	CHECK_EQ_INT(nsent, 1);
	advance(l, 31999);
	/* RFC 3261 17.1.1.2: A doubles each time (T2 caps E and G only) */
	CHECK_EQ_INT(nsent, 7);
	for (int i = 0; i < 7 && i < nsent; i++) {
		CHECK_EQ_INT(sent[i].at, want[i]);
		CHECK(sent_same(0, i));
	}
	CHECK_EQ_INT(sip_tx_next_deadline(l), 32000); /* B before A */
	CHECK_EQ_INT(sip_tx_layer_stats(l)->retransmissions, 6);
	CHECK_EQ_INT(r.n, 0);
	sip_tx_release(tx);
	layer_done(l);
}

static void ict_timer_b_reports_408(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg inv;
	struct rec r = {0};

	mk_req(&inv, (struct req_opt){.branch = BR1});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	advance(l, 31999);
	CHECK_EQ_INT(r.n, 0);
	advance(l, 32000); /* 64*T1 */
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.st[0], 408);
	CHECK(!r.msg[0]);
	CHECK_EQ_INT(r.at[0], 32000);
	CHECK_EQ_INT(r.state[0], SIP_TX_TERMINATED);
	advance(l, 200000);
	CHECK_EQ_INT(r.n, 1); /* exactly once */
	CHECK_EQ_INT(nsent, 7);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->timeouts, 1);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, 0);
	CHECK_EQ_INT(sip_tx_next_deadline(l), SIP_TX_NEVER);
	CHECK_EQ_INT(sip_tx_cancel(tx), SIP_TX_ESTATE);
	sip_tx_release(tx);
	layer_done(l);
}

static void ict_non2xx_final_generates_ack(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg inv, r100, r486, ack;
	struct rec r = {0};

	mk_req(&inv,
	       (struct req_opt){.branch = BR1,
	                        .extra = "Route: <sip:p1.example.com;lr>\r\n"
	                                 "Route: <sip:p2.example.com;lr>\r\n"});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	mk_rsp(&r100, &inv.m, NULL, 100, NULL);
	mk_rsp(&r486, &inv.m, NULL, 486, "bob7");
	now = 100;
	CHECK_EQ_INT(sip_tx_recv_response(l, &r100.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_PROCEEDING);
	advance(l, 1000); /* no Timer A in Proceeding */
	CHECK_EQ_INT(nsent, 1);
	CHECK_EQ_INT(sip_tx_recv_response(l, &r486.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(r.st[0], 100);
	CHECK_EQ_INT(r.st[1], 486);
	CHECK(r.msg[1]);
	CHECK_EQ_INT(r.state[1], SIP_TX_COMPLETED);

	/* 17.1.1.3: the ACK, by the layer, to the same destination */
	CHECK_EQ_INT(nsent, 2);
	CHECK(sent_parse(1, &ack));
	CHECK(ack.m.method_id == SIP_METHOD_ACK);
	CHECK_PL(ack.m.ruri_pl, "sip:+14255550123@sbc1.contoso.com");
	CHECK_EQ_INT(ack.m.via_count, 1);
	CHECK_PL(ack.m.via.branch, BR1);
	CHECK_PL(ack.m.via.host, "10.0.0.1");
	CHECK_PL(ack.m.call_id, "c1@test");
	CHECK_PL(ack.m.from.tag, "fa1");
	CHECK_PL(ack.m.to.tag, "bob7"); /* To from the response */
	CHECK_EQ_INT(ack.m.cseq, 1);
	CHECK(ack.m.cseq_method_id == SIP_METHOD_ACK);
	CHECK_EQ_INT(ack.m.max_forwards, 70);
	CHECK_EQ_INT(ack.m.content_length, 0);
	const struct sip_hdr *rt = sip_msg_hdr(&ack.m, SIP_HDR_ROUTE);
	CHECK(rt != NULL);
	if (rt) {
		CHECK_PL(rt->value, "<sip:p1.example.com;lr>");
		rt = sip_msg_hdr_next(&ack.m, rt);
		CHECK(rt != NULL);
		if (rt)
			CHECK_PL(rt->value, "<sip:p2.example.com;lr>");
	}
	CHECK(sip_msg_hdr(&ack.m, SIP_HDR_CONTACT) == NULL);
	CHECK(sent[1].dst.addrlen == d.addrlen &&
	      !memcmp(&sent[1].dst.addr, &d.addr, d.addrlen));

	/* a retransmitted 486: the same ACK again, the TU not bothered */
	now = 2000;
	CHECK_EQ_INT(sip_tx_recv_response(l, &r486.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(nsent, 3);
	CHECK(sent_same(1, 2));
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->absorbed, 1);

	/* Timer D: 32 s after entering Completed (at 1000) */
	advance(l, 32999);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	advance(l, 33000);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	CHECK_EQ_INT(sip_tx_recv_response(l, &r486.m), SIP_TX_RSP_NO_MATCH);
	CHECK_EQ_INT(r.n, 2);
	sip_tx_release(tx);
	layer_done(l);
}

static void ict_reliable_no_timer_a_timer_d_zero(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5061, true);
	struct pmsg inv, r603;
	struct rec r = {0};

	mk_req(&inv, (struct req_opt){.branch = BR1});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	CHECK_EQ_INT(sip_tx_next_deadline(l), 32000); /* only Timer B */
	advance(l, 10000);
	CHECK_EQ_INT(nsent, 1);
	mk_rsp(&r603, &inv.m, NULL, 603, "x");
	CHECK_EQ_INT(sip_tx_recv_response(l, &r603.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(nsent, 2); /* the ACK */
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.state[0], SIP_TX_COMPLETED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED); /* D = 0 */
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, 0);
	sip_tx_release(tx);
	layer_done(l);
}

static void ict_2xx_accepted_passes_2xx_retransmissions_timer_m(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg inv, r180, r200, r200b, r500;
	struct rec r = {0};

	mk_req(&inv, (struct req_opt){.branch = BR1});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	mk_rsp(&r180, &inv.m, NULL, 180, "bob7");
	mk_rsp(&r200, &inv.m, NULL, 200, "bob7");
	mk_rsp(&r200b, &inv.m, NULL, 200, "fork2");
	mk_rsp(&r500, &inv.m, NULL, 500, "bob7");
	now = 300;
	sip_tx_recv_response(l, &r180.m);
	now = 2000;
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_ACCEPTED);
	CHECK_EQ_INT(nsent, 1); /* no ACK for a 2xx: the TU's job */
	/* RFC 6026 7.2: retransmitted and forked 2xx go to the TU */
	now = 2500;
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200b.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_recv_response(l, &r500.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_recv_response(l, &r180.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(r.n, 4);
	CHECK_EQ_INT(r.st[0], 180);
	CHECK_EQ_INT(r.st[1], 200);
	CHECK_EQ_INT(r.st[2], 200);
	CHECK_EQ_INT(r.st[3], 200);
	CHECK_EQ_INT(r.state[3], SIP_TX_ACCEPTED);
	CHECK_EQ_INT(nsent, 1);
	/* Timer M = 64*T1 from entering Accepted */
	advance(l, 33999);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_ACCEPTED);
	advance(l, 34000);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	/* afterwards a 2xx is stray: the TU may take it (RFC 6026) */
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_NO_MATCH);
	CHECK_EQ_INT(r.n, 4);
	sip_tx_release(tx);
	layer_done(l);
}

/* ================= non-INVITE client transaction ================= */

static void nict_trying_timer_e_retransmits_then_timer_f_408(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg req;
	struct rec r = {0};
	static const uint64_t want[] = {0,     500,   1500,  3500,  7500, 11500,
	                                15500, 19500, 23500, 27500, 31500};

	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-nict"});
	struct sip_tx *tx = start(l, &req, &d, &r);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TRYING);
	advance(l, 31999);
	/* E: T1, 2T1, 4T1, then T2 (4 s) */
	CHECK_EQ_INT(nsent, 11);
	for (int i = 0; i < 11 && i < nsent; i++)
		CHECK_EQ_INT(sent[i].at, want[i]);
	CHECK_EQ_INT(r.n, 0);
	advance(l, 32000); /* F */
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.st[0], 408);
	CHECK(!r.msg[0]);
	advance(l, 100000);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(nsent, 11);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	sip_tx_release(tx);
	layer_done(l);
}

static void nict_proceeding_timer_e_at_t2(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg req, r100;
	struct rec r = {0};

	mk_req(&req, (struct req_opt){.method = "BYE",
	                              .branch = "z9hG4bK-bye",
	                              .to_tag = "t1"});
	struct sip_tx *tx = start(l, &req, &d, &r);
	mk_rsp(&r100, &req.m, NULL, 100, NULL);
	now = 200;
	CHECK_EQ_INT(sip_tx_recv_response(l, &r100.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_PROCEEDING);
	CHECK_EQ_INT(r.n, 1);
	advance(l, 8500);
	/* 500 (armed in Trying), then every T2 */
	CHECK_EQ_INT(nsent, 4);
	CHECK_EQ_INT(sent[1].at, 500);
	CHECK_EQ_INT(sent[2].at, 4500);
	CHECK_EQ_INT(sent[3].at, 8500);
	advance(l, 32000);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(r.st[1], 408);
	sip_tx_release(tx);
	layer_done(l);
}

static void nict_reliable_no_retransmissions(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5061, true);
	struct pmsg req, r200;
	struct rec r = {0};

	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-tcp"});
	struct sip_tx *tx = start(l, &req, &d, &r);
	CHECK_EQ_INT(sip_tx_next_deadline(l), 32000); /* F only, no E */
	advance(l, 20000);
	CHECK_EQ_INT(nsent, 1);
	mk_rsp(&r200, &req.m, NULL, 200, "o1");
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.st[0], 200);
	CHECK_EQ_INT(r.state[0], SIP_TX_COMPLETED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED); /* K = 0 */
	CHECK_EQ_INT(sip_tx_next_deadline(l), SIP_TX_NEVER);
	sip_tx_release(tx);

	/* Timer F still applies over TCP */
	struct rec r2 = {0};
	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-tcp2"});
	tx = start(l, &req, &d, &r2);
	advance(l, 20000 + 32000);
	CHECK_EQ_INT(r2.n, 1);
	CHECK_EQ_INT(r2.st[0], 408);
	CHECK_EQ_INT(nsent, 2);
	sip_tx_release(tx);
	layer_done(l);
}

static void nict_completed_timer_k(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg req, r200;
	struct rec r = {0};

	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-k"});
	struct sip_tx *tx = start(l, &req, &d, &r);
	mk_rsp(&r200, &req.m, NULL, 200, "o1");
	now = 100;
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	CHECK_EQ_INT(sip_tx_next_deadline(l), 5100); /* K = T4 */
	advance(l, 3000);
	CHECK_EQ_INT(nsent, 1); /* no E in Completed */
	/* final retransmissions absorbed in Completed */
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->absorbed, 1);
	advance(l, 5099);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	advance(l, 5100);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	CHECK_EQ_INT(r.n, 1);
	sip_tx_release(tx);
	layer_done(l);
}

/* ================= INVITE server transaction ================= */

static void ist_sends_100_trying_at_once(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("198.51.100.7", 5070, false);
	struct pmsg inv, t;
	struct sip_tx *tx = NULL;

	mk_req(&inv,
	       (struct req_opt){
	               .branch = "z9hG4bK-ist",
	               .via = "pbx.example.com",
	               .extra = "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKb, "
	                        "SIP/2.0/TCP 10.2.2.2;branch=z9hG4bKc\r\n"
	                        "Timestamp: 54.3\r\n"});
	now = 1234;
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, &tx), SIP_TX_REQ_NEW);
	CHECK(tx != NULL);
	CHECK(sip_tx_is_server(tx));
	CHECK(sip_tx_method(tx) == SIP_METHOD_INVITE);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_PROCEEDING);
	CHECK_EQ_INT(nsent, 1);
	CHECK_EQ_INT(sent[0].at, 1234);
	CHECK(!memcmp(&sent[0].dst.addr, &src.addr, src.addrlen));
	CHECK(sent_parse(0, &t));
	CHECK(!t.m.request);
	CHECK_EQ_INT(t.m.status, 100);
	CHECK_PL(t.m.reason, "Trying");
	CHECK_EQ_INT(t.m.via_count, 3);
	CHECK_PL(t.m.via.branch, "z9hG4bK-ist");
	CHECK_PL(t.m.via.received, "198.51.100.7"); /* 18.2.1 */
	CHECK(t.m.via.rport);
	CHECK_EQ_INT(t.m.via.rport_val, 5070); /* RFC 3581 */
	CHECK_PL(t.m.call_id, "c1@test");
	CHECK_PL(t.m.from.tag, "fa1");
	CHECK(!t.m.to.tag.p); /* To without tag */
	CHECK_EQ_INT(t.m.cseq, 1);
	CHECK(t.m.cseq_method_id == SIP_METHOD_INVITE);
	const struct sip_hdr *ts = sip_msg_hdr(&t.m, SIP_HDR_TIMESTAMP);
	CHECK(ts && pl_eq(ts->value, PL("54.3")));
	CHECK(sip_msg_hdr(&t.m, SIP_HDR_CONTACT) == NULL);
	CHECK_EQ_INT(t.m.content_length, 0);
	/* no timers in Proceeding: the TU answers */
	CHECK_EQ_INT(sip_tx_next_deadline(l), SIP_TX_NEVER);
	sip_tx_release(tx);
	layer_done(l);
}

static void ist_retransmitted_invite_resends_last_response(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg inv, r180;
	struct sip_tx *tx = NULL, *tx2 = NULL;

	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-rt"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, &tx), SIP_TX_REQ_NEW);
	now = 500;
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, &tx2),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK(tx2 == NULL);
	CHECK_EQ_INT(nsent, 2);
	CHECK(sent_same(0, 1)); /* the 100 again */
	mk_rsp(&r180, &inv.m, &src, 180, "uas1");
	CHECK_EQ_INT(sip_tx_respond(tx, 180, r180.buf, r180.len), SIP_TX_OK);
	CHECK_EQ_INT(nsent, 3);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_PROCEEDING);
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK_EQ_INT(nsent, 4);
	CHECK(sent_same(2, 3)); /* the 180 again */
	CHECK_EQ_INT(sip_tx_layer_stats(l)->absorbed, 2);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->retransmissions, 2);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->created, 1);
	/* same branch, other method: another transaction */
	struct pmsg opt;
	mk_req(&opt,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-rt"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &opt.m, &tx2),
	             SIP_TX_REQ_NEW);
	/* same branch, other sent-by: another transaction */
	struct pmsg other;
	struct sip_tx *tx3 = NULL;
	mk_req(&other, (struct req_opt){.branch = "z9hG4bK-rt",
	                                .via = "10.9.9.9:5060"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &other.m, &tx3),
	             SIP_TX_REQ_NEW);
	sip_tx_release(tx);
	sip_tx_release(tx2);
	sip_tx_release(tx3);
	layer_done(l);
}

static void ist_completed_timer_g_retransmits_final_until_ack(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg inv, r486, ack;
	struct sip_tx *tx = NULL;
	static const uint64_t want[] = {100, 600, 1600, 3600, 7600, 11600};

	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-g"});
	sip_tx_recv_request(l, &src, &inv.m, &tx);
	now = 100;
	mk_rsp(&r486, &inv.m, &src, 486, "uas1");
	CHECK_EQ_INT(sip_tx_respond(tx, 486, r486.buf, r486.len), SIP_TX_OK);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	advance(l, 12000);
	/* G: T1, 2T1, 4T1, then capped at T2 */
	CHECK_EQ_INT(nsent, 1 + 6);
	for (int i = 0; i < 6 && i + 1 < nsent; i++) {
		CHECK_EQ_INT(sent[i + 1].at, want[i]);
		CHECK(sent_same(1, i + 1));
	}
	/* a retransmitted INVITE in Completed gets the final again */
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK_EQ_INT(nsent, 8);
	CHECK(sent_same(1, 7));
	/* the ACK stops G */
	mk_req(&ack, (struct req_opt){.method = "ACK",
	                              .branch = "z9hG4bK-g",
	                              .to_tag = "uas1"});
	now = 12500;
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_ACK_ABSORBED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_CONFIRMED);
	advance(l, 16000);
	CHECK_EQ_INT(nsent, 8);
	sip_tx_release(tx);
	layer_done(l);
}

static void ist_ack_absorbed_confirmed_timer_i(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg inv, r404, ack;
	struct sip_tx *tx = NULL;

	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-i"});
	sip_tx_recv_request(l, &src, &inv.m, &tx);
	mk_rsp(&r404, &inv.m, &src, 404, "uas1");
	sip_tx_respond(tx, 404, r404.buf, r404.len);
	mk_req(&ack, (struct req_opt){.method = "ACK",
	                              .branch = "z9hG4bK-i",
	                              .to_tag = "uas1"});
	now = 300;
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_ACK_ABSORBED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_CONFIRMED);
	CHECK_EQ_INT(sip_tx_next_deadline(l), 5300); /* I = T4 */
	/* Confirmed absorbs ACKs and INVITEs, sending nothing */
	int before = nsent;
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_ACK_ABSORBED);
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK_EQ_INT(nsent, before);
	CHECK_EQ_INT(sip_tx_respond(tx, 500, r404.buf, r404.len),
	             SIP_TX_ESTATE);
	advance(l, 5299);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_CONFIRMED);
	advance(l, 5300);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_NO_MATCH_ACK);
	sip_tx_release(tx);

	/* reliable: I = 0, Terminated on the ACK */
	struct sip_tx_dest tcp = dest("10.0.0.1", 5060, true);
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-i2"});
	sip_tx_recv_request(l, &tcp, &inv.m, &tx);
	mk_rsp(&r404, &inv.m, &tcp, 404, "uas1");
	sip_tx_respond(tx, 404, r404.buf, r404.len);
	CHECK_EQ_INT(sip_tx_next_deadline(l), now + 32000); /* H, no G */
	mk_req(&ack, (struct req_opt){.method = "ACK",
	                              .branch = "z9hG4bK-i2",
	                              .to_tag = "uas1"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &tcp, &ack.m, NULL),
	             SIP_TX_REQ_ACK_ABSORBED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	sip_tx_release(tx);
	layer_done(l);
}

static void ist_timer_h_without_ack(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg inv, r500;
	struct sip_tx *tx = NULL;
	struct rec r = {0};

	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-h"});
	sip_tx_recv_request(l, &src, &inv.m, &tx);
	sip_tx_set_handler(tx, rec_h, &r);
	CHECK(sip_tx_arg(tx) == &r);
	mk_rsp(&r500, &inv.m, &src, 500, "uas1");
	sip_tx_respond(tx, 500, r500.buf, r500.len);
	advance(l, 31999);
	/* 100, 500, then G at .5 1.5 3.5 7.5 11.5 ... 31.5 s */
	CHECK_EQ_INT(nsent, 2 + 10);
	CHECK_EQ_INT(r.n, 0);
	advance(l, 32000);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.st[0], 408);
	CHECK(!r.msg[0]);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	advance(l, 100000);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(nsent, 12);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->timeouts, 1);
	sip_tx_release(tx);
	layer_done(l);
}

static void ist_2xx_accepted_timer_l(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg inv, r200, r486, ack;
	struct sip_tx *tx = NULL;

	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-l"});
	sip_tx_recv_request(l, &src, &inv.m, &tx);
	now = 1000;
	mk_rsp(&r200, &inv.m, &src, 200, "uas1");
	CHECK_EQ_INT(sip_tx_respond(tx, 200, r200.buf, r200.len), SIP_TX_OK);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_ACCEPTED);
	CHECK_EQ_INT(sip_tx_next_deadline(l), 33000); /* L = 64*T1 */
	CHECK_EQ_INT(nsent, 2);
	/* retransmitted INVITEs absorbed without an answer */
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK_EQ_INT(nsent, 2);
	/* the ACK of the 2xx (own branch) goes to the TU */
	mk_req(&ack, (struct req_opt){.method = "ACK",
	                              .branch = "z9hG4bK-ack2xx",
	                              .to_tag = "uas1"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_NO_MATCH_ACK);
	/* even one reusing the INVITE's branch (RFC 6026 7.1) */
	mk_req(&ack, (struct req_opt){.method = "ACK",
	                              .branch = "z9hG4bK-l",
	                              .to_tag = "uas1"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_NO_MATCH_ACK);
	/* the TU re-sends its 2xx through the transaction */
	now = 1500;
	CHECK_EQ_INT(sip_tx_respond(tx, 200, r200.buf, r200.len), SIP_TX_OK);
	CHECK_EQ_INT(nsent, 3);
	mk_rsp(&r486, &inv.m, &src, 486, "uas1");
	CHECK_EQ_INT(sip_tx_respond(tx, 486, r486.buf, r486.len),
	             SIP_TX_ESTATE);
	advance(l, 32999);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_ACCEPTED);
	CHECK_EQ_INT(nsent, 3); /* the layer never retransmits a 2xx */
	advance(l, 33000);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	CHECK_EQ_INT(sip_tx_respond(tx, 200, r200.buf, r200.len),
	             SIP_TX_ESTATE);
	sip_tx_release(tx);
	layer_done(l);
}

/* ================= non-INVITE server transaction ================= */

static void nist_trying_absorbs_then_completed_timer_j(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg req, r200;
	struct sip_tx *tx = NULL;

	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-j"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &req.m, &tx), SIP_TX_REQ_NEW);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TRYING);
	CHECK_EQ_INT(nsent, 0); /* no 100 for non-INVITE */
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &req.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK_EQ_INT(nsent, 0); /* Trying: nothing to re-send */
	now = 200;
	mk_rsp(&r200, &req.m, &src, 200, "o1");
	CHECK_EQ_INT(sip_tx_respond(tx, 200, r200.buf, r200.len), SIP_TX_OK);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &req.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK_EQ_INT(nsent, 2);
	CHECK(sent_same(0, 1));
	CHECK_EQ_INT(sip_tx_next_deadline(l), 32200); /* J = 64*T1 */
	advance(l, 32200);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	sip_tx_release(tx);

	/* reliable: J = 0 */
	struct sip_tx_dest tcp = dest("10.0.0.1", 5060, true);
	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-j2"});
	sip_tx_recv_request(l, &tcp, &req.m, &tx);
	mk_rsp(&r200, &req.m, &tcp, 200, "o1");
	CHECK_EQ_INT(sip_tx_respond(tx, 200, r200.buf, r200.len), SIP_TX_OK);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	sip_tx_release(tx);
	layer_done(l);
}

/* ================= CANCEL ================= */

static void cancel_of_pending_invite_gets_200_and_tu_sends_487(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg inv, r180, can, ok, r487, ack, nf;
	struct sip_tx *tx = NULL, *ctx = NULL;

	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-c"});
	sip_tx_recv_request(l, &src, &inv.m, &tx);
	sip_tx_set_handler(tx, NULL, &inv); /* the TU's context */
	mk_rsp(&r180, &inv.m, &src, 180, "uas1");
	sip_tx_respond(tx, 180, r180.buf, r180.len);
	CHECK_EQ_INT(nsent, 2);

	mk_req(&can,
	       (struct req_opt){.method = "CANCEL", .branch = "z9hG4bK-c"});
	now = 2000;
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &can.m, &ctx),
	             SIP_TX_REQ_CANCEL);
	CHECK(ctx == tx);
	CHECK(ctx && sip_tx_arg(ctx) == &inv);
	CHECK_EQ_INT(nsent, 3);
	CHECK(sent_parse(2, &ok));
	CHECK_EQ_INT(ok.m.status, 200);
	CHECK(ok.m.cseq_method_id == SIP_METHOD_CANCEL);
	CHECK_PL(ok.m.via.branch, "z9hG4bK-c");
	CHECK_PL(ok.m.to.tag, "uas1"); /* 9.2: as in the INVITE's responses */
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_PROCEEDING);

	/* the TU answers the INVITE 487 */
	mk_rsp(&r487, &inv.m, &src, 487, "uas1");
	CHECK_EQ_INT(sip_tx_respond(tx, 487, r487.buf, r487.len), SIP_TX_OK);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	mk_req(&ack, (struct req_opt){.method = "ACK",
	                              .branch = "z9hG4bK-c",
	                              .to_tag = "uas1"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_ACK_ABSORBED);

	/* a retransmitted CANCEL: its own transaction re-sends the 200 */
	int before = nsent;
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &can.m, &ctx),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK(ctx == NULL);
	CHECK_EQ_INT(nsent, before + 1);
	CHECK(sent_same(2, before));

	/* a CANCEL for an INVITE already answered: 200, no effect */
	struct pmsg inv3, r603, can3;
	struct sip_tx *tx3 = NULL;
	mk_req(&inv3, (struct req_opt){.branch = "z9hG4bK-c3"});
	sip_tx_recv_request(l, &src, &inv3.m, &tx3);
	mk_rsp(&r603, &inv3.m, &src, 603, "uas3");
	sip_tx_respond(tx3, 603, r603.buf, r603.len);
	mk_req(&can3,
	       (struct req_opt){.method = "CANCEL", .branch = "z9hG4bK-c3"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &can3.m, &ctx),
	             SIP_TX_REQ_CANCEL_ANSWERED);
	CHECK(ctx == NULL);
	CHECK(sent_parse(nsent - 1, &ok));
	CHECK_EQ_INT(ok.m.status, 200);
	CHECK_PL(ok.m.to.tag, "uas3");

	/* a CANCEL matching nothing: 481 */
	mk_req(&nf, (struct req_opt){.method = "CANCEL",
	                             .branch = "z9hG4bK-nothing"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &nf.m, &ctx),
	             SIP_TX_REQ_CANCEL_ANSWERED);
	CHECK(sent_parse(nsent - 1, &ok));
	CHECK_EQ_INT(ok.m.status, 481);
	CHECK(ok.m.to.tag.p != NULL);

	advance(l, 100000);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, 0);
	sip_tx_release(tx);
	sip_tx_release(tx3);
	layer_done(l);
}

static void client_cancel_waits_for_provisional(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg inv, r180, can, c200, r487, ack;
	struct rec r = {0};

	mk_req(&inv,
	       (struct req_opt){.branch = BR1,
	                        .extra = "Route: <sip:p1.example.com;lr>\r\n"});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	CHECK_EQ_INT(sip_tx_cancel_reason(
	                     tx, PL("SIP;cause=200;text=\"elsewhere\"")),
	             SIP_TX_OK);
	CHECK_EQ_INT(nsent, 1); /* no CANCEL before a 1xx (9.1) */
	CHECK_EQ_INT(sip_tx_cancel(tx), SIP_TX_OK); /* twice: no-op */
	advance(l, 600);
	CHECK_EQ_INT(nsent, 2); /* Timer A still retransmits the INVITE */
	CHECK(sent_same(0, 1));

	mk_rsp(&r180, &inv.m, NULL, 180, "bob7");
	CHECK_EQ_INT(sip_tx_recv_response(l, &r180.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(nsent, 3);
	CHECK(sent_parse(2, &can));
	CHECK(can.m.method_id == SIP_METHOD_CANCEL);
	CHECK_PL(can.m.ruri_pl, "sip:+14255550123@sbc1.contoso.com");
	CHECK_EQ_INT(can.m.via_count, 1);
	CHECK_PL(can.m.via.branch, BR1);
	CHECK_PL(can.m.call_id, "c1@test");
	CHECK_PL(can.m.from.tag, "fa1");
	CHECK(!can.m.to.tag.p); /* the INVITE's To */
	CHECK_EQ_INT(can.m.cseq, 1);
	CHECK(can.m.cseq_method_id == SIP_METHOD_CANCEL);
	CHECK(sip_msg_hdr(&can.m, SIP_HDR_ROUTE) != NULL);
	const struct sip_hdr *rs = sip_msg_hdr(&can.m, SIP_HDR_REASON);
	CHECK(rs && pl_eq(rs->value, PL("SIP;cause=200;text=\"elsewhere\"")));
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, 2);

	/* the CANCEL is its own NICT: Timer E retransmits it */
	advance(l, 1100);
	CHECK_EQ_INT(nsent, 4);
	CHECK(sent_same(2, 3));
	/* its 200 is taken by it, not given to the INVITE's TU */
	mk_rsp(&c200, &can.m, NULL, 200, "bob7");
	CHECK_EQ_INT(sip_tx_recv_response(l, &c200.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(r.n, 1);
	advance(l, 3000);
	CHECK_EQ_INT(nsent, 4);
	/* the 487 ends the INVITE, with an ACK */
	mk_rsp(&r487, &inv.m, NULL, 487, "bob7");
	CHECK_EQ_INT(sip_tx_recv_response(l, &r487.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(r.st[1], 487);
	CHECK(sent_parse(nsent - 1, &ack));
	CHECK(ack.m.method_id == SIP_METHOD_ACK);
	CHECK_EQ_INT(sip_tx_cancel(tx), SIP_TX_OK); /* already cancelled */
	advance(l, 3000 + 32000);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, 0);
	CHECK_EQ_INT(r.n, 2);
	sip_tx_release(tx);

	/* too late once a final came */
	struct rec r2 = {0};
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-late"});
	tx = start(l, &inv, &d, &r2);
	mk_rsp(&r487, &inv.m, NULL, 404, "x");
	sip_tx_recv_response(l, &r487.m);
	CHECK_EQ_INT(sip_tx_cancel(tx), SIP_TX_ESTATE);
	sip_tx_release(tx);
	layer_done(l);
}

static void client_cancel_without_final_gives_up_after_64t1(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg inv, r183;
	struct rec r = {0};

	mk_req(&inv, (struct req_opt){.branch = BR1});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	mk_rsp(&r183, &inv.m, NULL, 183, "bob7");
	now = 100;
	sip_tx_recv_response(l, &r183.m);
	advance(l, 60000); /* Proceeding has no timer of its own */
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_PROCEEDING);
	CHECK_EQ_INT(sip_tx_cancel(tx), SIP_TX_OK);
	CHECK_EQ_INT(nsent, 2);
	advance(l, 60000 + 31999);
	CHECK_EQ_INT(r.n, 1);
	advance(l, 60000 + 32000);
	CHECK_EQ_INT(r.n, 2);
	CHECK_EQ_INT(r.st[1], 408);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	sip_tx_release(tx);
	layer_done(l);
}

/* ================= matching ================= */

static void late_response_after_terminated_no_match(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg req, r200, other, wrong_by, wrong_m, x;
	struct rec r = {0};

	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-late"});
	struct sip_tx *tx = start(l, &req, &d, &r);
	/* not ours: other branch, other sent-by, other CSeq method */
	mk_req(&other, (struct req_opt){.method = "OPTIONS",
	                                .branch = "z9hG4bK-other"});
	mk_rsp(&x, &other.m, NULL, 200, "x");
	CHECK_EQ_INT(sip_tx_recv_response(l, &x.m), SIP_TX_RSP_NO_MATCH);
	mk_req(&wrong_by, (struct req_opt){.method = "OPTIONS",
	                                   .branch = "z9hG4bK-late",
	                                   .via = "10.0.0.2:5060"});
	mk_rsp(&x, &wrong_by.m, NULL, 200, "x");
	CHECK_EQ_INT(sip_tx_recv_response(l, &x.m), SIP_TX_RSP_NO_MATCH);
	mk_req(&wrong_m,
	       (struct req_opt){.method = "INFO", .branch = "z9hG4bK-late"});
	mk_rsp(&x, &wrong_m.m, NULL, 200, "x");
	CHECK_EQ_INT(sip_tx_recv_response(l, &x.m), SIP_TX_RSP_NO_MATCH);
	CHECK_EQ_INT(r.n, 0);

	mk_rsp(&r200, &req.m, NULL, 200, "x");
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_MATCHED);
	advance(l, 5000); /* Timer K */
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	CHECK_EQ_INT(sip_tx_recv_response(l, &r200.m), SIP_TX_RSP_NO_MATCH);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->stray_responses, 4);
	sip_tx_release(tx);
	layer_done(l);
}

static void rfc2543_fallback_matching(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct pmsg inv, inv_b, other, r486, ack, ack_bad, can, ok;
	struct sip_tx *tx = NULL, *t2 = NULL, *t3 = NULL;

	/* branch without the cookie, and no branch at all */
	mk_req(&inv, (struct req_opt){.branch = "old-1234"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, &tx), SIP_TX_REQ_NEW);
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	/* an equivalent Request-URI (19.1.4) still matches */
	mk_req(&inv_b,
	       (struct req_opt){.branch = "old-1234",
	                        .ruri = "sip:+14255550123@SBC1.contoso.com"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &inv_b.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	/* a different From tag, same Call-ID/CSeq: another transaction */
	mk_req(&other,
	       (struct req_opt){.branch = "old-1234", .from_tag = "fa2"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &other.m, &t2),
	             SIP_TX_REQ_NEW);
	/* another CSeq: another one */
	mk_req(&other, (struct req_opt){.cseq = 2});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &other.m, &t3),
	             SIP_TX_REQ_NEW);
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &other.m, NULL),
	             SIP_TX_REQ_RETRANSMISSION);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->created, 3);

	/* ACK: To tag of the response sent by the transaction */
	mk_rsp(&r486, &inv.m, &src, 486, "uas9");
	sip_tx_respond(tx, 486, r486.buf, r486.len);
	mk_req(&ack_bad, (struct req_opt){.method = "ACK",
	                                  .branch = "old-1234",
	                                  .to_tag = "other"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack_bad.m, NULL),
	             SIP_TX_REQ_NO_MATCH_ACK);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_COMPLETED);
	mk_req(&ack, (struct req_opt){.method = "ACK",
	                              .branch = "old-1234",
	                              .to_tag = "uas9"});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &ack.m, NULL),
	             SIP_TX_REQ_ACK_ABSORBED);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_CONFIRMED);

	/* CANCEL without a cookie matches the pending INVITE (9.2) */
	struct sip_tx *ct = NULL;
	mk_req(&can, (struct req_opt){.method = "CANCEL", .cseq = 2});
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &can.m, &ct),
	             SIP_TX_REQ_CANCEL);
	CHECK(ct == t3);
	CHECK(sent_parse(nsent - 1, &ok));
	CHECK_EQ_INT(ok.m.status, 200);
	CHECK_EQ_INT(sip_tx_recv_request(l, &src, &can.m, &ct),
	             SIP_TX_REQ_RETRANSMISSION);

	sip_tx_release(tx);
	sip_tx_release(t2);
	sip_tx_release(t3);
	layer_done(l);
}

/* ================= transport errors ================= */

static void transport_error_reports_503(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg req, inv, r500;
	struct rec r = {0}, r2 = {0}, r3 = {0};

	/* the first send fails: 503 from the next tick, not re-entrantly */
	mk_req(&req,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-e1"});
	fail_sends = 1;
	struct sip_tx *tx = start(l, &req, &d, &r);
	CHECK(tx != NULL);
	CHECK_EQ_INT(r.n, 0);
	CHECK_EQ_INT(sip_tx_next_deadline(l), 0);
	sip_tx_tick(l);
	CHECK_EQ_INT(r.n, 1);
	CHECK_EQ_INT(r.st[0], 503);
	CHECK(!r.msg[0]);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	sip_tx_release(tx);

	/* a retransmission fails (Timer A) */
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-e2"});
	tx = start(l, &inv, &d, &r2);
	fail_sends = 1;
	advance(l, 500);
	CHECK_EQ_INT(r2.n, 1);
	CHECK_EQ_INT(r2.st[0], 503);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	advance(l, 40000);
	CHECK_EQ_INT(r2.n, 1);
	sip_tx_release(tx);

	/* server: the TU's response fails synchronously */
	struct sip_tx_dest src = dest("10.0.0.1", 5060, false);
	struct sip_tx *st = NULL;
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-e3"});
	sip_tx_recv_request(l, &src, &inv.m, &st);
	mk_rsp(&r500, &inv.m, &src, 500, "u");
	fail_sends = 1;
	CHECK_EQ_INT(sip_tx_respond(st, 500, r500.buf, r500.len),
	             SIP_TX_ETRANSPORT);
	CHECK_EQ_INT(sip_tx_state(st), SIP_TX_TERMINATED);
	sip_tx_release(st);

	/* server: a Timer G re-send fails -> 503 to the handler */
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-e4"});
	sip_tx_recv_request(l, &src, &inv.m, &st);
	sip_tx_set_handler(st, rec_h, &r3);
	mk_rsp(&r500, &inv.m, &src, 500, "u");
	sip_tx_respond(st, 500, r500.buf, r500.len);
	fail_sends = 1;
	advance(l, now + 500);
	CHECK_EQ_INT(r3.n, 1);
	CHECK_EQ_INT(r3.st[0], 503);
	CHECK_EQ_INT(sip_tx_state(st), SIP_TX_TERMINATED);
	sip_tx_release(st);
	CHECK(sip_tx_layer_stats(l)->transport_errors >= 4);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, 0);
	layer_done(l);
}

/* ================= limits, many transactions, ownership ========== */

static void overload_over_max_transactions(void)
{
	struct sip_tx_config cfg = SIP_TX_CONFIG_DEFAULT;
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg a, b, c;
	struct rec r = {0};
	struct sip_tx *t1, *t2, *t3, *s = NULL;

	cfg.max_transactions = 2;
	struct sip_tx_layer *l = layer_new(&cfg);
	mk_req(&a, (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bKa"});
	mk_req(&b, (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bKb"});
	mk_req(&c, (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bKc"});
	t1 = start(l, &a, &d, &r);
	t2 = start(l, &b, &d, &r);
	t3 = start(l, &c, &d, &r);
	CHECK(t1 && t2 && !t3);
	CHECK_EQ_INT(sip_tx_recv_request(l, &d, &c.m, &s), SIP_TX_REQ_OVERLOAD);
	CHECK(s == NULL);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->refused, 2);
	/* retransmissions of known requests are still absorbed */
	sip_tx_release(t1);
	sip_tx_release(t2);
	layer_done(l);
}

struct many_ctx {
	int id;
	int n;
	uint16_t last;
};

static void many_h(void *arg, struct sip_tx *tx, uint16_t status,
                   const struct sip_msg *resp)
{
	struct many_ctx *c = arg;

	(void)tx;
	(void)resp;
	c->n++;
	c->last = status;
}

static void many_transactions_hash_and_timer_heap(void)
{
	enum { N = 1000 };
	static struct pmsg reqs[N];
	static struct many_ctx ctx[N];
	struct sip_tx_config cfg = SIP_TX_CONFIG_DEFAULT;
	struct sip_tx_dest d = dest("192.0.2.1", 5060, true);
	char br[32];

	cfg.max_transactions = N + 1; /* 256 buckets: chains of ~4 */
	struct sip_tx_layer *l = layer_new(&cfg);
	for (int i = 0; i < N; i++) {
		snprintf(br, sizeof(br), "z9hG4bK-m%d", i);
		mk_req(&reqs[i],
		       (struct req_opt){.method = "OPTIONS", .branch = br});
		ctx[i].id = i;
		now = (uint64_t)i; /* staggered Timer F deadlines */
		struct sip_tx *tx =
		        sip_tx_client_start(l, &d, reqs[i].buf, reqs[i].len,
		                            &reqs[i].m, many_h, &ctx[i]);
		CHECK(tx != NULL);
		sip_tx_release(tx); /* fire and forget: callbacks still come */
	}
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, N);
	/* answer every third one, out of order */
	for (int i = N - 1; i >= 0; i -= 3) {
		struct pmsg rsp;
		mk_rsp(&rsp, &reqs[i].m, NULL, 200, "t");
		CHECK_EQ_INT(sip_tx_recv_response(l, &rsp.m),
		             SIP_TX_RSP_MATCHED);
	}
	/* the rest time out in deadline order */
	uint64_t last = 0;
	int fired = 0;
	while (sip_tx_next_deadline(l) != SIP_TX_NEVER) {
		uint64_t dl = sip_tx_next_deadline(l);
		CHECK(dl >= last);
		last = dl;
		now = dl;
		sip_tx_tick(l);
		fired++;
	}
	int ok = 0, timeout = 0;
	for (int i = 0; i < N; i++) {
		CHECK_EQ_INT(ctx[i].n, 1);
		if (ctx[i].last == 200) {
			ok++;
			CHECK_EQ_INT((N - 1 - i) % 3, 0);
		} else if (ctx[i].last == 408) {
			timeout++;
		}
	}
	CHECK_EQ_INT(ok, 334);
	CHECK_EQ_INT(timeout, N - 334);
	CHECK_EQ_INT(last, 32000 + N - 2);
	CHECK_EQ_INT(sip_tx_layer_stats(l)->live, 0);
	(void)fired;
	layer_done(l);
}

static void release_h(void *arg, struct sip_tx *tx, uint16_t status,
                      const struct sip_msg *resp)
{
	int *n = arg;

	(void)resp;
	(*n)++;
	if (status >= 200)
		sip_tx_release(tx); /* the TU drops its handle right here */
}

static void release_in_callback_and_free_with_live_transactions(void)
{
	struct sip_tx_layer *l = layer_new(NULL);
	struct sip_tx_dest d = dest("192.0.2.1", 5060, false);
	struct pmsg inv, req, r200;
	struct rec r = {0};

	/* handles left with the TU outlive the layer */
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-live"});
	struct sip_tx *tx = start(l, &inv, &d, &r);
	struct sip_tx *st = NULL;
	mk_req(&req, (struct req_opt){.method = "OPTIONS",
	                              .branch = "z9hG4bK-live2"});
	sip_tx_recv_request(l, &d, &req.m, &st);
	mk_rsp(&r200, &req.m, &d, 200, "x");
	sip_tx_respond(st, 200, r200.buf, r200.len);
	/* and one only the layer holds */
	struct pmsg o;
	mk_req(&o, (struct req_opt){.method = "OPTIONS",
	                            .branch = "z9hG4bK-live3"});
	sip_tx_release(start(l, &o, &d, &r));
	/* a TU releasing its handle inside the final-response callback */
	struct pmsg rel, rel200;
	int nrel = 0;
	mk_req(&rel,
	       (struct req_opt){.method = "OPTIONS", .branch = "z9hG4bK-rel"});
	struct sip_tx_dest tcp = dest("192.0.2.1", 5061, true);
	CHECK(sip_tx_client_start(l, &tcp, rel.buf, rel.len, &rel.m, release_h,
	                          &nrel) != NULL);
	mk_rsp(&rel200, &rel.m, NULL, 200, "x");
	CHECK_EQ_INT(sip_tx_recv_response(l, &rel200.m), SIP_TX_RSP_MATCHED);
	CHECK_EQ_INT(nrel, 1);
	layer_done(l);
	CHECK_EQ_INT(sip_tx_state(tx), SIP_TX_TERMINATED);
	CHECK_EQ_INT(sip_tx_state(st), SIP_TX_TERMINATED);
	CHECK_EQ_INT(sip_tx_cancel(tx), SIP_TX_ESTATE);
	CHECK_EQ_INT(sip_tx_respond(st, 200, r200.buf, r200.len),
	             SIP_TX_ESTATE);
	CHECK_EQ_INT(r.n, 0); /* no callbacks from layer_free */
	sip_tx_release(tx);
	sip_tx_release(st);
}

/* ================= builders ================= */

static void response_head_received_rport_and_tag(void)
{
	struct pmsg inv, rsp;
	struct sip_tx_dest src;
	struct sockaddr_in6 sin6;

	memset(&src, 0, sizeof(src));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(5099);
	inet_pton(AF_INET6, "2001:db8::9", &sin6.sin6_addr);
	memcpy(&src.addr, &sin6, sizeof(sin6));
	src.addrlen = sizeof(sin6);

	/* the sent-by is the source itself: rport still forces received */
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-v6",
	                              .via = "[2001:db8::9]:5060"});
	mk_rsp(&rsp, &inv.m, &src, 180, "abc");
	CHECK_PL(rsp.m.via.received, "2001:db8::9");
	CHECK_EQ_INT(rsp.m.via.rport_val, 5099);
	CHECK_PL(rsp.m.via.branch, "z9hG4bK-v6");
	CHECK_PL(rsp.m.to.tag, "abc");
	CHECK_PL(rsp.m.reason, "Ringing");

	/* a To that has a tag keeps it; no src: Vias copied as they are */
	mk_req(&inv, (struct req_opt){.method = "BYE",
	                              .branch = "z9hG4bK-bye",
	                              .to_tag = "keep"});
	mk_rsp(&rsp, &inv.m, NULL, 200, "new");
	CHECK_PL(rsp.m.to.tag, "keep");
	CHECK(!rsp.m.via.received.p);
	CHECK_EQ_INT(rsp.m.via.rport_val, 0);

	/* a tag that is not a token is refused */
	struct sip_build b;
	char buf[2048];
	sip_build_init(&b, buf, sizeof(buf));
	mk_req(&inv, (struct req_opt){.branch = "z9hG4bK-x"});
	sip_tx_response_head(&b, &inv.m, NULL, 200, PL_NULL,
	                     PL("a\r\nX-Evil: 1"));
	CHECK_EQ_INT(sip_build_finish(&b, PL_NULL), 0);
}

int main(void)
{
	RUN(ict_calling_timer_a_retransmits_doubling_without_t2_cap);
	RUN(ict_timer_b_reports_408);
	RUN(ict_non2xx_final_generates_ack);
	RUN(ict_reliable_no_timer_a_timer_d_zero);
	RUN(ict_2xx_accepted_passes_2xx_retransmissions_timer_m);
	RUN(nict_trying_timer_e_retransmits_then_timer_f_408);
	RUN(nict_proceeding_timer_e_at_t2);
	RUN(nict_reliable_no_retransmissions);
	RUN(nict_completed_timer_k);
	RUN(ist_sends_100_trying_at_once);
	RUN(ist_retransmitted_invite_resends_last_response);
	RUN(ist_completed_timer_g_retransmits_final_until_ack);
	RUN(ist_ack_absorbed_confirmed_timer_i);
	RUN(ist_timer_h_without_ack);
	RUN(ist_2xx_accepted_timer_l);
	RUN(nist_trying_absorbs_then_completed_timer_j);
	RUN(cancel_of_pending_invite_gets_200_and_tu_sends_487);
	RUN(client_cancel_waits_for_provisional);
	RUN(client_cancel_without_final_gives_up_after_64t1);
	RUN(late_response_after_terminated_no_match);
	RUN(rfc2543_fallback_matching);
	RUN(transport_error_reports_503);
	RUN(overload_over_max_transactions);
	RUN(many_transactions_hash_and_timer_heap);
	RUN(release_in_callback_and_free_with_live_transactions);
	RUN(response_head_received_rport_and_tag);
	return test_summary();
}
