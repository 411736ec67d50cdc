/* tx_event.h: the transaction layer (sip/tx: pure, no I/O) run on a
 * libevent loop over a transport layer: its send, its clock, and the one
 * timer that follows its next deadline. Used by `run` and `check --probe`
 * alike. */
#ifndef TB_SIP_TX_EVENT_H
#define TB_SIP_TX_EVENT_H

#include "sip/transp/transport.h"
#include "sip/tx/sip_tx.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>

/* Send for sip_tx_env: over dst's connection when it names one, else UDP
 * to its address. 0 or -1. */
int tx_event_send(struct tp_layer *tp, const struct sip_tx_dest *dst,
                  const char *buf, size_t len);
/* Put timer (an event_new(base, -1, 0, ...) timer) at tx's next deadline;
 * delete it when there is none. */
void tx_event_rearm(struct sip_tx_layer *tx, struct event *timer);
/* CLOCK_MONOTONIC in ms: the clock for sip_tx_env.now_ms (arg unused). */
uint64_t tx_event_now_ms(void *arg);

#endif
