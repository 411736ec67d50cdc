/* bench/srtp.c: SRTP protect/unprotect per second on one core, ours
 * (src/media/srtp.c) and libsrtp2's side by side, for a 172-byte RTP
 * packet (12-byte header + 160 bytes of payload: 20 ms of G.711), under
 * AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM.
 *
 * Output, one line per figure:
 *   trunkbridge_srtp_protect: N pkt/s        (AES_CM_128_HMAC_SHA1_80)
 *   trunkbridge_srtp_unprotect: N pkt/s
 *   libsrtp2_srtp_protect: N pkt/s
 *   libsrtp2_srtp_unprotect: N pkt/s
 *   ..._aead_aes_128_gcm: the same four under AEAD_AES_128_GCM
 *   openssl_floor_aes_cm_hmac_sha1_80 / openssl_floor_aead_aes_128_gcm:
 *     the bare OpenSSL calls one packet needs (AES-CTR over 160 bytes and
 *     HMAC-SHA1 over 176 on precomputed pad states; AES-GCM seal of 160
 *     with 12 of AAD), what our transform adds to is the rest
 *
 * Method: CPU time (CLOCK_PROCESS_CPUTIME_ID), about 2 s per figure after
 * a warm-up: the best of 5 periods of about 0.4 s, the figures' periods
 * taken in turn (round robin), so that a change in the machine's other
 * load falls on all of them alike. Protect: the packet is
 * copied from a template and its sequence number set (so each is new to
 * the sender, which refuses to reuse an index), then protected; the SEQ
 * wraps and the ROC counts up as in a long call. Unprotect: a pool of
 * 4096 packets protected beforehand, each copied and unprotected; a fresh
 * receiver for each pass over the pool (made outside the timed part).
 * BENCH_SECONDS in the environment changes the 2 s.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_* for the floor figure */

#include <srtp2/srtp.h> /* first: see media/srtp.h on srtp_protect */

#include "media/srtp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PKT    172
#define BUFSZ  (PKT + 64)
#define POOL   4096
#define PERIOD 5

static double seconds_per_figure = 2.0;
static volatile unsigned sink;

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_srtp: %s\n", what);
	exit(1);
}

static void make_rtp(uint8_t *p, uint16_t seq)
{
	p[0] = 0x80;
	p[1] = 0; /* PCMU */
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = p[5] = p[6] = 0;
	p[7] = 160;
	p[8] = 0xca;
	p[9] = 0xfe;
	p[10] = 0xba;
	p[11] = 0xbe;
	for (int i = 12; i < PKT; i++)
		p[i] = (uint8_t)(0xd5 ^ i);
}

/* ---- the sides ---- */

struct side {
	enum srtp_suite s;
	bool lib;
	uint8_t key[SRTP_MAX_KEY_SALT];
	struct srtp_ctx *ours;
	srtp_t theirs;
};

static void side_open(struct side *d, bool inbound)
{
	if (d->lib) {
		srtp_policy_t pol;
		memset(&pol, 0, sizeof(pol));
		if (d->s == SRTP_AEAD_AES128_GCM) {
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
			srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
		} else {
			srtp_crypto_policy_set_rtp_default(&pol.rtp);
			srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
		}
		pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
		pol.key = d->key;
		pol.window_size = 128;
		if (srtp_create(&d->theirs, &pol) != srtp_err_status_ok)
			die("srtp_create failed");
	} else {
		d->ours = srtp_ctx_new(d->s, d->key, NULL, 0);
		if (!d->ours)
			die("srtp_ctx_new failed");
	}
}

static void side_close(struct side *d)
{
	if (d->theirs)
		srtp_dealloc(d->theirs);
	srtp_ctx_free(d->ours);
	d->theirs = NULL;
	d->ours = NULL;
}

static size_t side_protect(struct side *d, uint8_t *p, size_t len)
{
	if (d->lib) {
		int n = (int)len;
		if (srtp_protect_mki(d->theirs, p, &n, 0, 0) !=
		    srtp_err_status_ok)
			die("libsrtp2 protect failed");
		return (size_t)n;
	}
	if (srtp_protect(d->ours, p, &len, BUFSZ) != SRTP_OK)
		die("protect failed");
	return len;
}

static void side_unprotect(struct side *d, uint8_t *p, size_t len)
{
	if (d->lib) {
		int n = (int)len;
		if (srtp_unprotect_mki(d->theirs, p, &n, 0) !=
		            srtp_err_status_ok ||
		    n != PKT)
			die("libsrtp2 unprotect failed");
		return;
	}
	if (srtp_unprotect(d->ours, p, &len) != SRTP_OK || len != PKT)
		die("unprotect failed");
}

/* ---- figures ---- */

/* A figure: batch() runs some packets and returns the CPU seconds its
 * timed part took. */
struct figure {
	char name[64];
	double (*batch)(void *, long *);
	void *arg;
	double best; /* packets per CPU second, the best period */
};

#define MAX_FIGURES 10
static struct figure figs[MAX_FIGURES];
static int nfigs;

static void add_figure(const char *name, const char *suffix,
                       double (*batch)(void *, long *), void *arg)
{
	if (nfigs == MAX_FIGURES)
		die("too many figures");
	struct figure *f = &figs[nfigs++];
	snprintf(f->name, sizeof(f->name), "%s%s", name, suffix);
	f->batch = batch;
	f->arg = arg;
}

/* One period of f: whole batches for about `period` CPU seconds. */
static void run_period(struct figure *f, double period)
{
	double spent = 0, t0 = cpu_now();
	long count = 0, n;
	while (spent < period && cpu_now() - t0 < 3 * period) {
		spent += f->batch(f->arg, &n);
		count += n;
	}
	if (spent > 0 && count / spent > f->best)
		f->best = count / spent;
}

/* Warm-up, then PERIOD rounds of one period of each figure in turn, so a
 * change in what else the machine does falls on all of them alike. */
static void measure_all(void)
{
	for (int i = 0; i < nfigs; i++)
		run_period(&figs[i], 0.05);
	for (int i = 0; i < nfigs; i++)
		figs[i].best = 0;
	for (int r = 0; r < PERIOD; r++)
		for (int i = 0; i < nfigs; i++)
			run_period(&figs[i], seconds_per_figure / PERIOD);
}

struct protect_run {
	struct side *d;
	uint16_t seq;
};

static double protect_batch(void *arg, long *n)
{
	struct protect_run *r = arg;
	uint8_t tmpl[PKT], buf[BUFSZ];
	make_rtp(tmpl, 0);
	unsigned acc = 0;
	double t0 = cpu_now();
	for (int i = 0; i < POOL; i++) {
		memcpy(buf, tmpl, PKT);
		uint16_t q = r->seq++;
		buf[2] = (uint8_t)(q >> 8);
		buf[3] = (uint8_t)q;
		acc += (unsigned)side_protect(r->d, buf, PKT) + buf[100];
	}
	double t = cpu_now() - t0;
	sink += acc;
	*n = POOL;
	return t;
}

struct unprotect_run {
	struct side *d;
	uint8_t (*pool)[BUFSZ];
	size_t len;
};

static double unprotect_batch(void *arg, long *n)
{
	struct unprotect_run *r = arg;
	uint8_t buf[BUFSZ];
	side_close(r->d);
	side_open(r->d, true);
	unsigned acc = 0;
	double t0 = cpu_now();
	for (int i = 0; i < POOL; i++) {
		memcpy(buf, r->pool[i], r->len);
		side_unprotect(r->d, buf, r->len);
		acc += buf[100];
	}
	double t = cpu_now() - t0;
	sink += acc;
	*n = POOL;
	return t;
}

/* ---- the OpenSSL floor ---- */

struct floor_run {
	bool gcm;
	EVP_CIPHER_CTX *c;
	SHA_CTX ih, oh;
};

static double floor_batch(void *arg, long *n)
{
	struct floor_run *r = arg;
	uint8_t buf[BUFSZ], iv[16] = {1, 2, 3}, h[20];
	int outl;
	make_rtp(buf, 0);
	unsigned acc = 0;
	double t0 = cpu_now();
	for (int i = 0; i < POOL; i++) {
		iv[11] = (uint8_t)i;
		if (r->gcm) {
			EVP_EncryptInit_ex(r->c, NULL, NULL, NULL, iv);
			EVP_EncryptUpdate(r->c, NULL, &outl, buf, 12);
			EVP_EncryptUpdate(r->c, buf + 12, &outl, buf + 12, 160);
			EVP_EncryptFinal_ex(r->c, buf + PKT, &outl);
			EVP_CIPHER_CTX_ctrl(r->c, EVP_CTRL_GCM_GET_TAG, 16,
			                    buf + PKT);
		} else {
			EVP_EncryptInit_ex(r->c, NULL, NULL, NULL, iv);
			EVP_EncryptUpdate(r->c, buf + 12, &outl, buf + 12, 160);
			SHA_CTX s = r->ih;
			SHA1_Update(&s, buf, PKT + 4);
			SHA1_Final(h, &s);
			s = r->oh;
			SHA1_Update(&s, h, 20);
			SHA1_Final(buf + PKT, &s);
		}
		acc += buf[PKT];
	}
	double t = cpu_now() - t0;
	sink += acc;
	*n = POOL;
	return t;
}

static struct floor_run floors[2];

static void openssl_floor(bool gcm)
{
	static const uint8_t key[16] = {9, 8, 7};
	struct floor_run *r = &floors[gcm];
	r->gcm = gcm;
	r->c = EVP_CIPHER_CTX_new();
	if (!r->c || EVP_EncryptInit_ex(
	                     r->c, gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(),
	                     NULL, key, NULL) != 1)
		die("EVP setup failed");
	uint8_t pad[64];
	memset(pad, 0x36, sizeof(pad));
	SHA1_Init(&r->ih);
	SHA1_Update(&r->ih, pad, 64);
	memset(pad, 0x5c, sizeof(pad));
	SHA1_Init(&r->oh);
	SHA1_Update(&r->oh, pad, 64);
	add_figure(gcm ? "openssl_floor_aead_aes_128_gcm"
	               : "openssl_floor_aes_cm_hmac_sha1_80",
	           "", floor_batch, r);
}

/* Per suite (0 CM, 1 GCM) and side (0 ours, 1 libsrtp2): a sender for
 * the protect figure, a receiver and the pool for the unprotect one. */
static struct side senders[2][2], receivers[2][2];
static struct protect_run pruns[2][2];
static struct unprotect_run uruns[2][2];
static uint8_t pools[2][POOL][BUFSZ];

static void figures(int k, enum srtp_suite s, const char *suffix)
{
	size_t len = 0;
	for (int lib = 0; lib <= 1; lib++) {
		struct side *tx = &senders[k][lib], *rx = &receivers[k][lib];
		tx->s = rx->s = s;
		tx->lib = rx->lib = lib;
		for (size_t i = 0; i < sizeof(tx->key); i++)
			tx->key[i] = rx->key[i] = (uint8_t)(i * 11 + 5);
		if (!lib) {
			/* the pool: SEQ 0..POOL-1 from a fresh sender of ours
			 * (libsrtp2's makes the same bytes: test_srtp_libsrtp)
			 */
			side_open(tx, false);
			for (int i = 0; i < POOL; i++) {
				make_rtp(pools[k][i], (uint16_t)i);
				len = side_protect(tx, pools[k][i], PKT);
			}
			side_close(tx);
		}
		side_open(tx, false);
		pruns[k][lib] = (struct protect_run){.d = tx, .seq = 1};
		add_figure(lib ? "libsrtp2_srtp_protect"
		               : "trunkbridge_srtp_protect",
		           suffix, protect_batch, &pruns[k][lib]);
		side_open(rx, true);
		uruns[k][lib] = (struct unprotect_run){
		        .d = rx, .pool = pools[k], .len = len};
		add_figure(lib ? "libsrtp2_srtp_unprotect"
		               : "trunkbridge_srtp_unprotect",
		           suffix, unprotect_batch, &uruns[k][lib]);
	}
}

int main(void)
{
	const char *env = getenv("BENCH_SECONDS");
	if (env && atof(env) > 0)
		seconds_per_figure = atof(env);
	const char *why = NULL;
	if (srtp_selftest(&why) != 0) {
		fprintf(stderr, "bench_srtp: selftest: %s\n", why);
		return 1;
	}
	if (srtp_init() != srtp_err_status_ok)
		die("srtp_init failed");
	figures(0, SRTP_AES_CM_128_HMAC_SHA1_80, "");
	figures(1, SRTP_AEAD_AES128_GCM, "_aead_aes_128_gcm");
	openssl_floor(false);
	openssl_floor(true);
	measure_all();
	for (int i = 0; i < nfigs; i++)
		printf("%s: %.0f pkt/s\n", figs[i].name, figs[i].best);
	printf("note: %d-byte RTP packets; CPU time, best of %d periods in "
	       "about %.1f s per figure; %s; OpenSSL %s\n",
	       PKT, PERIOD, seconds_per_figure, srtp_get_version_string(),
	       OpenSSL_version(OPENSSL_VERSION_STRING));
	for (int k = 0; k < 2; k++)
		for (int lib = 0; lib <= 1; lib++) {
			side_close(&senders[k][lib]);
			side_close(&receivers[k][lib]);
		}
	EVP_CIPHER_CTX_free(floors[0].c);
	EVP_CIPHER_CTX_free(floors[1].c);
	srtp_shutdown();
	return sink == 0xdeadbeef;
}
