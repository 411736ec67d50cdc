/* cfg_media.c: the media section (the relay's address, public address,
 * port pool, idle timeout) and the trunks' media keys (SRTP suites,
 * telephone-event payload type, ICE-lite, disconnect on idle RTP).
 *
 * Cloud rules (interop 1.7, 2.4, F11-F13): ACS wants SDES
 * AES_CM_128_HMAC_SHA1_80 and an ICE-lite SBC; Genesys lists its suites in
 * trunk_media_srtp_cipher_suites (AES-CM 128/192/256 with 80- or 32-bit
 * tags; the default AES_CM_128_HMAC_SHA1_80), telephone-event on payload
 * 96-127 (default 101) and "disconnect on idle RTP" (default true). Genesys
 * media arrives from UDP 16384-65535 of its media CIDRs: the port pool is
 * ours and any range is fine, but check warns about a pool narrower than
 * the concurrent calls need.
 */
#include "cfg/cfg_int.h"
#include "media/srtp.h"

#include <stdio.h>
#include <string.h>

/* Same order as enum srtp_suite (media/srtp.h); the Genesys spellings of
 * the 192/256 suites ("AES_CM_192_...") are accepted too. */
static const char *const suite_names[SRTP_SUITE_COUNT] = {
        "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
        "AES_192_CM_HMAC_SHA1_80", "AES_192_CM_HMAC_SHA1_32",
        "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32",
        "AEAD_AES_128_GCM",        "AEAD_AES_256_GCM"};
static const char *const suite_genesys[SRTP_SUITE_COUNT] = {
        "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
        "AES_CM_192_HMAC_SHA1_80", "AES_CM_192_HMAC_SHA1_32",
        "AES_CM_256_HMAC_SHA1_80", "AES_CM_256_HMAC_SHA1_32",
        "AEAD_AES_128_GCM",        "AEAD_AES_256_GCM"};

static const char *const ice_names[] = {"off", "lite"};

enum { M_ADDRESS, M_PUBLIC_ADDRESS, M_PORTS, M_IDLE_TIMEOUT, M_BATCH, M_COUNT };
static const char *const media_keys[M_COUNT] = {
        "address", "public_address", "ports", "idle_timeout", "batch"};

static bool addr_unspecified(const struct cfg_addr *a)
{
	size_t n = a->family == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		if (a->addr[i])
			return false;
	return true;
}

static bool get_addr(struct cfg_ctx *c, const struct cfg_val *v,
                     struct cfg_addr *out, bool public)
{
	char buf[80], canon[64];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return false;
	char *ip = buf;
	size_t n = strlen(buf);
	if (buf[0] == '[' && n > 2 && buf[n - 1] == ']') {
		buf[n - 1] = '\0';
		ip = buf + 1;
	}
	if (!cfg_parse_ip(ip, out, canon, sizeof(canon))) {
		cfg_err(c, v->pos, v->path,
		        public ? "write the public IP address peers send media "
		                 "to, e.g. 203.0.113.10"
		               : "write an IP address of this host, 0.0.0.0 or "
		                 ":: for all",
		        "%s; not an IPv4 or IPv6 address", buf);
		return false;
	}
	out->text = cfg_strndup(c, canon, strlen(canon));
	return out->text != NULL;
}

/* "40000-49999": two ports, the first even (RTP even, RTCP odd). */
static void get_ports(struct cfg_ctx *c, const struct cfg_val *v,
                      struct cfg_media *m)
{
	char buf[32];
	if (!cfg_text(c, v, buf, sizeof(buf)))
		return;
	unsigned lo = 0, hi = 0;
	char tail = 0;
	const char *fix = "write a range of UDP ports, e.g. 40000-49999 (the "
	                  "first even, at least 2 ports)";
	if (sscanf(buf, "%5u-%5u%c", &lo, &hi, &tail) != 2 || lo < 1024 ||
	    hi > 65535 || hi < lo + 1) {
		cfg_err(c, v->pos, v->path, fix,
		        "%s; not a range of UDP ports from 1024 to 65535", buf);
		return;
	}
	if (lo % 2) {
		cfg_err(c, v->pos, v->path, fix,
		        "%s; starts on an odd port (RTP takes even ports, RTCP "
		        "the next)",
		        buf);
		return;
	}
	m->port_min = (uint16_t)lo;
	m->port_max = (uint16_t)hi;
}

void cfg_parse_media(struct cfg_ctx *c, const struct cfg_val *v)
{
	struct cfg_media *m = &c->cfg->media;
	memset(m, 0, sizeof(*m));
	m->address.family = 4;
	m->address.text = "0.0.0.0";
	m->port_min = 40000;
	m->port_max = 49999;
	m->idle_timeout_ms = 60000;
	m->batch = 32;
	if (!v->node)
		return;
	struct cfg_val k[M_COUNT];
	if (!cfg_map(c, v, media_keys, M_COUNT, NULL, 0, k))
		return;
	m->enabled = true;
	if (k[M_ADDRESS].node)
		get_addr(c, &k[M_ADDRESS], &m->address, false);
	if (k[M_PUBLIC_ADDRESS].node) {
		if (get_addr(c, &k[M_PUBLIC_ADDRESS], &m->public_address,
		             true) &&
		    addr_unspecified(&m->public_address))
			cfg_err(c, k[M_PUBLIC_ADDRESS].pos,
			        k[M_PUBLIC_ADDRESS].path,
			        "write the public IP address peers send media "
			        "to",
			        "%s; peers cannot send media to an unspecified "
			        "address (c=0.0.0.0 is also hold to ACS, F12)",
			        m->public_address.text);
	} else if (addr_unspecified(&m->address)) {
		cfg_err(c, v->pos, k[M_PUBLIC_ADDRESS].path,
		        "add public_address: <the SBC's public IP>, e.g. "
		        "203.0.113.10",
		        "missing; media binds to %s, so the address to put in "
		        "SDP must be given (a private address in c= means no "
		        "audio, interop F11)",
		        m->address.text);
	} else {
		m->public_address = m->address;
	}
	if (k[M_PORTS].node)
		get_ports(c, &k[M_PORTS], m);
	if (k[M_IDLE_TIMEOUT].node)
		cfg_get_duration(c, &k[M_IDLE_TIMEOUT], 5000, 86400000,
		                 &m->idle_timeout_ms);
	if (k[M_BATCH].node)
		cfg_get_u32(c, &k[M_BATCH], 1, 64,
		            "use a whole number from 1 to 64", &m->batch);
	if (m->public_address.text &&
	    m->public_address.family != m->address.family &&
	    !addr_unspecified(&m->address))
		cfg_err(c, k[M_PUBLIC_ADDRESS].pos, k[M_PUBLIC_ADDRESS].path,
		        "use addresses of one family (IPv4 or IPv6)",
		        "%s is not of the family of address %s",
		        m->public_address.text, m->address.text);
}

void cfg_media_trunk_defaults(struct cfg_trunk *t)
{
	t->srtp_suites[0] = SRTP_AES_CM_128_HMAC_SHA1_80;
	t->n_srtp_suites = 1;
	t->dtmf_payload = 101;
	t->ice = t->profile == CFG_PROFILE_ACS ? CFG_ICE_LITE : CFG_ICE_OFF;
	t->disconnect_on_idle_rtp = true;
}

static int suite_index(const char *s)
{
	for (int i = 0; i < SRTP_SUITE_COUNT; i++)
		if (!strcmp(s, suite_names[i]) || !strcmp(s, suite_genesys[i]))
			return i;
	return -1;
}

static void parse_suites(struct cfg_ctx *c, const struct cfg_val *v,
                         struct cfg_trunk *t)
{
	size_t n;
	uint8_t *tmp =
	        cfg_list_alloc(c, v, CFG_MAX_SUITES, 1, "SRTP suites", "suites",
	                       "srtp_suites: [AES_CM_128_HMAC_SHA1_80]", &n);
	if (!tmp)
		return;
	if (n == 0) {
		cfg_err(c, v->pos, v->path,
		        "list at least one, e.g. [AES_CM_128_HMAC_SHA1_80]",
		        "empty; no SRTP suite to offer");
		return;
	}
	size_t k = 0;
	void *it = NULL;
	struct cfg_val item;
	char all[400];
	cfg_join(suite_names, SRTP_SUITE_COUNT, all, sizeof(all));
	for (size_t i = 0; cfg_seq_next(v, &it, i, &item); i++) {
		char buf[64];
		if (!cfg_text(c, &item, buf, sizeof(buf)))
			continue;
		int s = suite_index(buf);
		if (s < 0) {
			const char *near =
			        cfg_suggest(buf, suite_names, SRTP_SUITE_COUNT);
			char fix[480];
			if (near)
				snprintf(fix, sizeof(fix), "did you mean %s?",
				         near);
			else
				snprintf(fix, sizeof(fix), "use one of %s",
				         all);
			cfg_err(c, item.pos, item.path, fix,
			        "%s; not an SRTP suite", buf);
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < k; j++)
			dup |= tmp[j] == (uint8_t)s;
		if (dup) {
			cfg_warn(c, item.pos, item.path, "remove the repeat",
			         "%s listed twice", buf);
			continue;
		}
		if (t->profile == CFG_PROFILE_ACS &&
		    s != SRTP_AES_CM_128_HMAC_SHA1_80)
			cfg_warn(c, item.pos, item.path,
			         "list AES_CM_128_HMAC_SHA1_80 only",
			         "%s; ACS Direct Routing uses "
			         "AES_CM_128_HMAC_SHA1_80 (interop 1.7)",
			         buf);
		tmp[k++] = (uint8_t)s;
	}
	if (k == 0)
		return;
	memcpy(t->srtp_suites, tmp, k);
	t->n_srtp_suites = k;
	if (t->profile == CFG_PROFILE_GENESYS &&
	    t->srtp_suites[0] != SRTP_AES_CM_128_HMAC_SHA1_80)
		cfg_warn(
		        c, v->pos, v->path,
		        "keep AES_CM_128_HMAC_SHA1_80 first unless the Genesys "
		        "trunk's SRTP cipher suites say otherwise",
		        "%s first; a suite the Genesys trunk does not list "
		        "ends in 488 (interop F13)",
		        suite_names[t->srtp_suites[0]]);
}

void cfg_parse_media_trunk(struct cfg_ctx *c, const struct cfg_val *k,
                           struct cfg_trunk *t)
{
	int e;
	if (k[CK_SRTP_SUITES].node)
		parse_suites(c, &k[CK_SRTP_SUITES], t);
	if (k[CK_DTMF_PAYLOAD].node) {
		uint32_t pt = 101;
		if (cfg_get_u32(c, &k[CK_DTMF_PAYLOAD], 96, 127,
		                "use a dynamic payload type from 96 to 127 "
		                "(Genesys default 101)",
		                &pt))
			t->dtmf_payload = (uint8_t)pt;
	}
	if (k[CK_ICE].node &&
	    (e = cfg_get_enum(c, &k[CK_ICE], ice_names, 2)) >= 0) {
		t->ice = (enum cfg_ice)e;
		if (t->ice == CFG_ICE_OFF && t->profile == CFG_PROFILE_ACS)
			cfg_warn(
			        c, k[CK_ICE].pos, k[CK_ICE].path,
			        "set ice: lite",
			        "off; Microsoft's media processors run ICE "
			        "checks, and calls drop after about 25 s with "
			        "IceConnectivityChecksFailed when they are not "
			        "answered (interop F11)");
	}
	if (k[CK_DISCONNECT_ON_IDLE_RTP].node)
		cfg_get_bool(c, &k[CK_DISCONNECT_ON_IDLE_RTP],
		             &t->disconnect_on_idle_rtp);
}
