/* deadline: the per-thread deadline of one call; see deadline.h. */
#include "autoconf.h"

#include <time.h>

#include "deadline.h"

static _Thread_local int64_t deadline_ms; /* CLOCK_MONOTONIC milliseconds; 0: none open */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ccauth_deadline_begin(int timeout_s)
{
	int64_t prev = deadline_ms;

	if (prev == 0)
		deadline_ms = now_ms() + (int64_t)(timeout_s > 0 ? timeout_s : 1) * 10 * CCAUTH_DEADLINE_PERCENT;
	return prev;
}

void ccauth_deadline_end(int64_t token)
{
	deadline_ms = token;
}

long ccauth_deadline_left_ms(void)
{
	int64_t left;

	if (deadline_ms == 0)
		return -1;
	left = deadline_ms - now_ms();
	return left > 0 ? (long)left : 0;
}

long ccauth_deadline_clamp_ms(long ms)
{
	long left = ccauth_deadline_left_ms();

	if (ms < 0)
		ms = 0;
	return left >= 0 && left < ms ? left : ms;
}
