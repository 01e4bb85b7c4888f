/* One deadline per authentication, verify or token call (issue #12).
 *
 * `timeout` bounds one HTTP request; a whole call (discovery, a token request, a JWKS fetch, the
 * waits for another thread's or process's fetch) gets CCAUTH_DEADLINE_FACTOR x timeout in all.
 * The entry points (ccauth_validate, ccauth_token_get*, the PAM module) open it; every network
 * step and lock wait below draws from it, and a step that finds it spent fails as
 * CCAUTH_E_UNAVAILABLE.  Kept per thread: the core is called from many threads (slapd, Postfix),
 * and the call chain stays free of an extra argument.  Nested begins keep the outer deadline. */
#ifndef CCAUTH_DEADLINE_H
#define CCAUTH_DEADLINE_H

#include <stdint.h>

#define CCAUTH_DEADLINE_PERCENT 110 /* the deadline is timeout + 10% */

/* Open a deadline of timeout_s seconds (+10%) unless one is open; returns the token to close it. */
int64_t ccauth_deadline_begin(int timeout_s);
void ccauth_deadline_end(int64_t token);

/* Milliseconds left: -1 when no deadline is open, else >= 0. */
long ccauth_deadline_left_ms(void);

/* ms bounded by what is left (ms itself when no deadline is open); never negative. */
long ccauth_deadline_clamp_ms(long ms);

#endif
