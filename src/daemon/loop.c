/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event loop: one epoll set, handlers looked up by fd, SIGTERM/SIGINT taken
 * through a signalfd so that shutdown runs on the loop thread and every
 * device is torn down in order (vfio-user.md §1.1: honour SIGTERM).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vidxd/log.h"
#include "daemon/loop.h"

struct loop_entry {
    int fd;
    loop_handler_fn *fn;
    void *opaque;
    struct loop_entry *next;
};

struct loop {
    int epfd;
    int sigfd;
    bool stop;
    struct loop_entry *entries;
};

int
loop_create(struct loop **out)
{
    struct loop *l;
    struct epoll_event ev = {.events = EPOLLIN};
    sigset_t set;

    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return -ENOMEM;
    }
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    /* Block first so that no signal is lost before the signalfd exists;
     * worker threads created later inherit the mask. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    l->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (l->epfd < 0 || l->sigfd < 0) {
        int rc = -errno;
        loop_destroy(l);
        return rc;
    }
    ev.data.fd = l->sigfd;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->sigfd, &ev) < 0) {
        int rc = -errno;
        loop_destroy(l);
        return rc;
    }
    *out = l;
    return 0;
}

void
loop_destroy(struct loop *l)
{
    struct loop_entry *e, *n;

    if (l == NULL) {
        return;
    }
    for (e = l->entries; e != NULL; e = n) {
        n = e->next;
        free(e);
    }
    if (l->epfd >= 0) {
        close(l->epfd);
    }
    if (l->sigfd >= 0) {
        close(l->sigfd);
    }
    free(l);
}

int
loop_add(struct loop *l, int fd, loop_handler_fn *fn, void *opaque)
{
    struct epoll_event ev = {.events = EPOLLIN};
    struct loop_entry *e;

    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return -ENOMEM;
    }
    ev.data.fd = fd;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int rc = -errno;
        free(e);
        return rc;
    }
    e->fd = fd;
    e->fn = fn;
    e->opaque = opaque;
    e->next = l->entries;
    l->entries = e;
    return 0;
}

int
loop_del(struct loop *l, int fd)
{
    struct loop_entry **pp, *e;

    for (pp = &l->entries; (e = *pp) != NULL; pp = &e->next) {
        if (e->fd == fd) {
            *pp = e->next;
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
            free(e);
            return 0;
        }
    }
    return -ENOENT;
}

int
loop_set_events(struct loop *l, int fd, bool in, bool out)
{
    struct epoll_event ev = {.events = (in ? EPOLLIN : 0u) |
                                       (out ? EPOLLOUT : 0u)};

    ev.data.fd = fd;
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0) {
        return -errno;
    }
    return 0;
}

void
loop_stop(struct loop *l)
{
    l->stop = true;
}

static void
loop_signal(struct loop *l)
{
    struct signalfd_siginfo si;

    while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            continue;
        }
        VIDXD_INFO("daemon", "signal %u: shutting down", si.ssi_signo);
        l->stop = true;
    }
}

int
loop_poll(struct loop *l, int timeout_ms)
{
    struct epoll_event evs[32];
    int n = epoll_wait(l->epfd, evs, 32, timeout_ms);

    if (n < 0) {
        return errno == EINTR ? 0 : -errno;
    }
    for (int i = 0; i < n && !l->stop; i++) {
        struct loop_entry *e;

        if (evs[i].data.fd == l->sigfd) {
            loop_signal(l);
            continue;
        }
        /* Looked up per event: an earlier handler of this batch may have
         * removed this fd. */
        for (e = l->entries; e != NULL; e = e->next) {
            if (e->fd == evs[i].data.fd) {
                e->fn(e->opaque, evs[i].events);
                break;
            }
        }
    }
    return n;
}

int
loop_run(struct loop *l)
{
    while (!l->stop) {
        int rc = loop_poll(l, -1);

        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}
