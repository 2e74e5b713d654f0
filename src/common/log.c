/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Log dispatch to an application-installed sink, and rate limiting for
 * messages a guest or client can trigger (design.md invariant 6).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <pthread.h>
#include <time.h>

#include "vidxd/log.h"

static vidxd_log_sink_fn *log_sink;
static void *log_opaque;
static int log_max_level = LOG_INFO;
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

void
vidxd_log_set_sink(vidxd_log_sink_fn *sink, void *opaque, int max_level)
{
    log_sink = sink;
    log_opaque = opaque;
    log_max_level = max_level;
}

void
vidxd_log_stderr_sink(int level, const char *component, const char *msg,
                      void *opaque)
{
    static const char *const names[] = {"emerg", "alert", "crit", "err",
                                        "warning", "notice", "info", "debug"};
    (void)opaque;
    fprintf(stderr, "vidxd[%s] %s: %s\n", component,
            names[level & 7], msg);
}

int
vidxd_log_enabled(int level)
{
    return log_sink != NULL && level <= log_max_level;
}

void
vidxd_log(int level, const char *component, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (!vidxd_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_sink(level, component, buf, log_opaque);
}

int
vidxd_ratelimit_ok(struct vidxd_ratelimit *rl)
{
    struct timespec ts;
    uint64_t now;
    int ok;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    pthread_mutex_lock(&rl_lock);
    if (now - rl->window_start_ns > (uint64_t)rl->interval_ms * 1000000ull) {
        if (rl->missed != 0) {
            pthread_mutex_unlock(&rl_lock);
            vidxd_log(LOG_WARNING, "log", "%u messages suppressed",
                      rl->missed);
            pthread_mutex_lock(&rl_lock);
        }
        rl->window_start_ns = now;
        rl->printed = 0;
        rl->missed = 0;
    }
    ok = rl->printed < rl->burst;
    if (ok) {
        rl->printed++;
    } else {
        rl->missed++;
    }
    pthread_mutex_unlock(&rl_lock);
    return ok;
}
