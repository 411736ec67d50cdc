/* tx_event.c: the transaction layer on a libevent loop (tx_event.h). */
#include "sip/transp/tx_event.h"
#include "base/clock.h"

#include <string.h>
#include <time.h>

int tx_event_send(struct tp_layer *tp, const struct sip_tx_dest *dst,
                  const char *buf, size_t len)
{
	struct tp_addr a;

	memset(&a, 0, sizeof(a));
	a.conn = dst->conn;
	a.udp_fd = -1;
	if (!a.conn) {
		memcpy(&a.addr, &dst->addr, sizeof(a.addr));
		a.addrlen = dst->addrlen;
		a.transport = SIP_TP_UDP;
	}
	return tp_send(tp, &a, buf, len);
}

void tx_event_rearm(struct sip_tx_layer *tx, struct event *timer)
{
	uint64_t next = sip_tx_next_deadline(tx);

	if (next == SIP_TX_NEVER) {
		event_del(timer);
		return;
	}
	uint64_t now = tx_event_now_ms(NULL);
	uint64_t in = next > now ? next - now : 0;
	struct timeval tv = {(time_t)(in / 1000), (long)(in % 1000) * 1000};
	event_add(timer, &tv);
}

uint64_t tx_event_now_ms(void *arg)
{
	(void)arg;
	return tb_mono_ms();
}
