/* clock.h: the monotonic clock (CLOCK_MONOTONIC) in the units the
 * modules count in: timers, round-trip times, rates, idle timeouts. */
#ifndef TB_BASE_CLOCK_H
#define TB_BASE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tb_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline uint64_t tb_mono_ms(void)
{
	return tb_mono_us() / 1000u;
}

#endif
