/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logging.  The library never prints: the application installs a sink with
 * vidxd_log_set_sink(); without one, messages are dropped.  Levels are
 * syslog levels; formats carry no trailing newline.  Messages a guest or a
 * client can trigger go through VIDXD_LOG_RATELIMIT.
 *
 * Thread-safe: the sink may be called from any thread; install it before
 * starting devices.
 */
#ifndef VIDXD_LOG_H
#define VIDXD_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>

#include "vidxd/visibility.h"

typedef void vidxd_log_sink_fn(int level, const char *component,
                               const char *msg, void *opaque);

/* Install @sink (NULL drops everything) and the highest level passed on. */
VIDXD_API void vidxd_log_set_sink(vidxd_log_sink_fn *sink, void *opaque,
                                  int max_level);

/* A stderr sink: "vidxd[component] level: message". */
VIDXD_API void vidxd_log_stderr_sink(int level, const char *component,
                                     const char *msg, void *opaque);

VIDXD_API void vidxd_log(int level, const char *component, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

/*
 * Rate limit state: at most @burst messages per @interval_ms; the first
 * message after a suppressed run reports how many were dropped.
 */
struct vidxd_ratelimit {
    uint64_t window_start_ns;
    uint32_t interval_ms;
    uint32_t burst;
    uint32_t printed;
    uint32_t missed;
};
#define VIDXD_RATELIMIT_INIT(ms, n) {0, (ms), (n), 0, 0}

/* Returns 1 if a message may be printed now (and accounts for it). */
VIDXD_API int vidxd_ratelimit_ok(struct vidxd_ratelimit *rl);

/* Whether a message at @level reaches the sink (cheap: no lock). */
VIDXD_API int vidxd_log_enabled(int level);

#define VIDXD_ERR(comp, ...) vidxd_log(LOG_ERR, comp, __VA_ARGS__)
#define VIDXD_WARN(comp, ...) vidxd_log(LOG_WARNING, comp, __VA_ARGS__)
#define VIDXD_INFO(comp, ...) vidxd_log(LOG_INFO, comp, __VA_ARGS__)
#define VIDXD_DBG(comp, ...) vidxd_log(LOG_DEBUG, comp, __VA_ARGS__)

/* Log at @level unless the static per-site limiter (10 per 5 s) says no. */
#define VIDXD_LOG_RATELIMIT(level, comp, ...)                                  \
    do {                                                                       \
        static struct vidxd_ratelimit rl_ = VIDXD_RATELIMIT_INIT(5000, 10);    \
        if (vidxd_log_enabled(level) && vidxd_ratelimit_ok(&rl_)) {            \
            vidxd_log(level, comp, __VA_ARGS__);                               \
        }                                                                      \
    } while (0)

#endif /* VIDXD_LOG_H */
