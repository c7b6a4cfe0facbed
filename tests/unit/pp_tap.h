/*
 * TAP on stdout for the C unit tests: ok() numbers and prints each
 * test, pp_tap_done() prints the plan last.
 */

#ifndef _PP_TAP_H_INCLUDED_
#define _PP_TAP_H_INCLUDED_


/* "ok N - ..." or "not ok N - ..." */
void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "ok N # SKIP why": a test that could not run */
void pp_tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* prints "1..N"; the exit status: 1 if a test failed, else 0 */
int pp_tap_done(void);


#endif /* _PP_TAP_H_INCLUDED_ */
