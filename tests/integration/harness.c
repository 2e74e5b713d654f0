/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The server loop thread of the tests (see harness.h): level-triggered
 * epoll over every server fd plus a control eventfd for stop and for
 * running a function on the loop thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "harness.h"

#define CTL_TAG UINT32_MAX

struct harness {
    struct vidxd_server *srvs[HARNESS_MAX_SERVERS];
    size_t n;
    int epfd;
    int ctl_fd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    void (*fn)(void *);
    void *arg;
    bool fn_done;
};

static void *
loop_main(void *opaque)
{
    struct harness *h = opaque;

    for (;;) {
        struct epoll_event ev[8];
        int i, n = epoll_wait(h->epfd, ev, 8, -1);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            break;
        }
        for (i = 0; i < n; i++) {
            uint64_t v;

            if (ev[i].data.u32 != CTL_TAG) {
                vidxd_server_dispatch(h->srvs[ev[i].data.u32]);
                continue;
            }
            if (read(h->ctl_fd, &v, sizeof(v)) < 0) {
                continue;
            }
            pthread_mutex_lock(&h->lock);
            if (h->fn != NULL) {
                h->fn(h->arg);
                h->fn = NULL;
                h->fn_done = true;
                pthread_cond_broadcast(&h->cond);
            }
            if (h->stop) {
                pthread_mutex_unlock(&h->lock);
                return NULL;
            }
            pthread_mutex_unlock(&h->lock);
        }
    }
    return NULL;
}

int
harness_start(struct vidxd_server *const *srvs, size_t n,
              struct harness **out)
{
    struct harness *h;
    struct epoll_event ev = {.events = EPOLLIN};
    size_t i;
    int rc;

    if (n > HARNESS_MAX_SERVERS) {
        return -EINVAL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return -ENOMEM;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->n = n;
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    h->ctl_fd = eventfd(0, EFD_CLOEXEC);
    if (h->epfd < 0 || h->ctl_fd < 0) {
        rc = -errno;
        goto fail;
    }
    ev.data.u32 = CTL_TAG;
    if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->ctl_fd, &ev) < 0) {
        rc = -errno;
        goto fail;
    }
    for (i = 0; i < n; i++) {
        h->srvs[i] = srvs[i];
        ev.data.u32 = (uint32_t)i;
        if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, vidxd_server_fd(srvs[i]), &ev) <
            0) {
            rc = -errno;
            goto fail;
        }
    }
    rc = -pthread_create(&h->thread, NULL, loop_main, h);
    if (rc < 0) {
        goto fail;
    }
    *out = h;
    return 0;
fail:
    if (h->epfd >= 0) {
        close(h->epfd);
    }
    if (h->ctl_fd >= 0) {
        close(h->ctl_fd);
    }
    free(h);
    return rc;
}

static void
kick(struct harness *h)
{
    uint64_t one = 1;

    if (write(h->ctl_fd, &one, sizeof(one)) < 0) {
        abort();
    }
}

void
harness_run_on_loop(struct harness *h, void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&h->lock);
    h->fn = fn;
    h->arg = arg;
    h->fn_done = false;
    kick(h);
    while (!h->fn_done) {
        pthread_cond_wait(&h->cond, &h->lock);
    }
    pthread_mutex_unlock(&h->lock);
}

void
harness_stop(struct harness *h)
{
    if (h == NULL) {
        return;
    }
    pthread_mutex_lock(&h->lock);
    h->stop = true;
    kick(h);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
    close(h->epfd);
    close(h->ctl_fd);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
}
