/* repscope - MIT licence, see COPYING.
 *
 * thread.h: starting the run layer's background threads (the session
 * worker, the attach feeder) with every asynchronous signal blocked, so
 * SIGINT, SIGTERM and SIGHUP reach the owner thread (headless loop or UI),
 * which turns them into commands. Synchronous faults (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT) stay deliverable so a crash still restores the
 * terminal. Any thread.
 */
#ifndef RS_RUN_THREAD_H
#define RS_RUN_THREAD_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg) with the signal mask above; returns its
 * error number (0 on success). The caller's own mask is left unchanged. */
int rs_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif /* RS_RUN_THREAD_H */
