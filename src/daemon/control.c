/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket: framing (one JSON request per line), per-client bounded
 * buffers, non-blocking output with back-pressure through EPOLLOUT, and
 * the request dispatcher that validates each command's keys and types
 * before calling the device manager.  Everything runs on the loop thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vidxd/log.h"
#include "daemon/control.h"
#include "daemon/loop.h"
#include "daemon/manager.h"

#define CTL_MAX_DEPTH 16
#define CTL_READ_CHUNK 65536u
#define CTL_LINES_PER_EVENT 16u
/* Input discarded after an oversized request before giving up. */
#define CTL_MAX_DRAIN (16u * 1024u * 1024u)

/* ---- requests ---- */

struct req {
    json_object *obj;
    const char *cmd;
    struct mgr_err err;
};

typedef int ctl_cmd_fn(struct mgr *m, struct req *r, json_object *reply);

/* Keys each command accepts besides "cmd" (NULL-terminated). */
struct ctl_cmd {
    const char *name;
    ctl_cmd_fn *fn;
    const char *keys[5];
};

static int bad(struct req *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct req *r, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err.msg, sizeof(r->err.msg), fmt, ap);
    va_end(ap);
    return rc;
}

/* Optional string @key; required if @need. */
static int
get_str(struct req *r, const char *key, bool need, const char **out)
{
    json_object *v;

    *out = NULL;
    if (!json_object_object_get_ex(r->obj, key, &v)) {
        return need ? bad(r, -EINVAL, "%s: missing \"%s\"", r->cmd, key) : 0;
    }
    if (!json_object_is_type(v, json_type_string)) {
        return bad(r, -EINVAL, "%s: \"%s\" must be a string", r->cmd, key);
    }
    if (strlen(json_object_get_string(v)) !=
        (size_t)json_object_get_string_len(v)) {
        return bad(r, -EINVAL, "%s: \"%s\" contains a NUL byte", r->cmd,
                   key);
    }
    *out = json_object_get_string(v);
    return 0;
}

static int
get_bool(struct req *r, const char *key, bool *out)
{
    json_object *v;

    *out = false;
    if (!json_object_object_get_ex(r->obj, key, &v)) {
        return 0;
    }
    if (!json_object_is_type(v, json_type_boolean)) {
        return bad(r, -EINVAL, "%s: \"%s\" must be true or false", r->cmd,
                   key);
    }
    *out = json_object_get_boolean(v);
    return 0;
}

static int
get_typed(struct req *r, const char *key, json_type type, const char *tname,
          json_object **out)
{
    if (!json_object_object_get_ex(r->obj, key, out)) {
        return bad(r, -EINVAL, "%s: missing \"%s\"", r->cmd, key);
    }
    if (!json_object_is_type(*out, type)) {
        return bad(r, -EINVAL, "%s: \"%s\" must be %s", r->cmd, key, tname);
    }
    return 0;
}

static int
cmd_list(struct mgr *m, struct req *r, json_object *reply)
{
    json_object_object_add(reply, "devices", mgr_list(m));
    return 0;
}

static int
cmd_list_vdevs(struct mgr *m, struct req *r, json_object *reply)
{
    json_object_object_add(reply, "vdevs", mgr_list_vdevs(m));
    return 0;
}

static int
cmd_config(struct mgr *m, struct req *r, json_object *reply)
{
    json_object *attrs;
    const char *dev;
    int rc = get_str(r, "dev", true, &dev);

    if (rc == 0) {
        rc = get_typed(r, "attrs", json_type_object, "an object", &attrs);
    }
    if (rc < 0) {
        return rc;
    }
    if (json_object_object_length(attrs) == 0) {
        return bad(r, -EINVAL, "%s: no attribute to set", r->cmd);
    }
    if (strcmp(r->cmd, "config-device") == 0) {
        return mgr_config_device(m, dev, attrs, &r->err);
    }
    if (strcmp(r->cmd, "config-group") == 0) {
        return mgr_config_group(m, dev, attrs, &r->err);
    }
    if (strcmp(r->cmd, "config-engine") == 0) {
        return mgr_config_engine(m, dev, attrs, &r->err);
    }
    return mgr_config_wq(m, dev, attrs, &r->err);
}

static int
cmd_enable(struct mgr *m, struct req *r, json_object *reply)
{
    const char *dev;
    int rc = get_str(r, "dev", true, &dev);

    if (rc < 0) {
        return rc;
    }
    if (strcmp(r->cmd, "enable-device") == 0) {
        return mgr_enable_device(m, dev, &r->err);
    }
    if (strcmp(r->cmd, "disable-device") == 0) {
        return mgr_disable_device(m, dev, &r->err);
    }
    if (strcmp(r->cmd, "enable-wq") == 0) {
        return mgr_enable_wq(m, dev, &r->err);
    }
    return mgr_disable_wq(m, dev, &r->err);
}

static int
cmd_create_vdev(struct mgr *m, struct req *r, json_object *reply)
{
    json_object *wqs, *info = NULL;
    const char *dev, *uuid;
    int rc = get_str(r, "dev", true, &dev);

    if (rc == 0) {
        rc = get_typed(r, "wqs", json_type_array, "an array", &wqs);
    }
    if (rc == 0) {
        rc = get_str(r, "uuid", false, &uuid);
    }
    if (rc == 0) {
        rc = mgr_create_vdev(m, dev, wqs, uuid, &info, &r->err);
    }
    if (rc == 0) {
        json_object_object_add(reply, "vdev", info);
    }
    return rc;
}

static int
cmd_remove_vdev(struct mgr *m, struct req *r, json_object *reply)
{
    const char *uuid;
    bool force;
    int rc = get_str(r, "uuid", true, &uuid);

    if (rc == 0) {
        rc = get_bool(r, "force", &force);
    }
    return rc < 0 ? rc : mgr_remove_vdev(m, uuid, force, &r->err);
}

static int
cmd_stats(struct mgr *m, struct req *r, json_object *reply)
{
    json_object *s;
    const char *dev;
    int rc = get_str(r, "dev", false, &dev);

    if (rc < 0) {
        return rc;
    }
    s = mgr_stats(m, dev, &r->err);
    if (s == NULL) {
        return -ENODEV;
    }
    json_object_object_add(reply, "devices", s);
    return 0;
}

static int
cmd_save_config(struct mgr *m, struct req *r, json_object *reply)
{
    json_object_object_add(reply, "config", mgr_save_config(m));
    return 0;
}

static int
cmd_load_config(struct mgr *m, struct req *r, json_object *reply)
{
    json_object *config, *enabled = NULL;
    bool enable;
    int rc = get_typed(r, "config", json_type_array, "an array", &config);

    if (rc == 0) {
        rc = get_bool(r, "enable", &enable);
    }
    if (rc == 0) {
        rc = mgr_load_config(m, config, enable, &enabled, &r->err);
    }
    if (rc == 0 && enabled != NULL) {
        json_object_object_add(reply, "enabled", enabled);
    }
    return rc;
}

static const struct ctl_cmd ctl_cmds[] = {
    {"list", cmd_list, {NULL}},
    {"list-vdevs", cmd_list_vdevs, {NULL}},
    {"config-device", cmd_config, {"dev", "attrs", NULL}},
    {"config-group", cmd_config, {"dev", "attrs", NULL}},
    {"config-engine", cmd_config, {"dev", "attrs", NULL}},
    {"config-wq", cmd_config, {"dev", "attrs", NULL}},
    {"enable-device", cmd_enable, {"dev", NULL}},
    {"disable-device", cmd_enable, {"dev", NULL}},
    {"enable-wq", cmd_enable, {"dev", NULL}},
    {"disable-wq", cmd_enable, {"dev", NULL}},
    {"create-vdev", cmd_create_vdev, {"dev", "wqs", "uuid", NULL}},
    {"remove-vdev", cmd_remove_vdev, {"uuid", "force", NULL}},
    {"stats", cmd_stats, {"dev", NULL}},
    {"save-config", cmd_save_config, {NULL}},
    {"load-config", cmd_load_config, {"config", "enable", NULL}},
};

static char *
reply_error(const char *msg, int rc)
{
    json_object *o = json_object_new_object();
    char *s;

    json_object_object_add(o, "ok", json_object_new_boolean(false));
    json_object_object_add(o, "error", json_object_new_string(msg));
    json_object_object_add(o, "code", json_object_new_int(rc < 0 ? -rc : rc));
    s = strdup(json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

char *
ctl_handle(struct mgr *m, const char *line, size_t len)
{
    const struct ctl_cmd *c = NULL;
    struct json_tokener *tok;
    struct req r;
    json_object *cmd, *reply;
    char *out;
    size_t i;
    int rc;

    memset(&r, 0, sizeof(r));
    if (memchr(line, '\0', len) != NULL) {
        return reply_error("request contains a NUL byte", EINVAL);
    }
    tok = json_tokener_new_ex(CTL_MAX_DEPTH);
    if (tok == NULL) {
        return NULL;
    }
    r.obj = json_tokener_parse_ex(tok, line, (int)len);
    if (r.obj == NULL ||
        json_tokener_get_error(tok) != json_tokener_success) {
        char msg[160];

        snprintf(msg, sizeof(msg), "request is not valid JSON: %s",
                 ctl_json_error(json_tokener_get_error(tok)));
        json_object_put(r.obj);
        json_tokener_free(tok);
        return reply_error(msg, EINVAL);
    }
    /* One object per line: trailing bytes other than blanks are an error. */
    for (i = (size_t)tok->char_offset; i < len; i++) {
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
            json_object_put(r.obj);
            json_tokener_free(tok);
            return reply_error("trailing data after the request object",
                               EINVAL);
        }
    }
    json_tokener_free(tok);
    if (!json_object_is_type(r.obj, json_type_object) ||
        !json_object_object_get_ex(r.obj, "cmd", &cmd) ||
        !json_object_is_type(cmd, json_type_string)) {
        json_object_put(r.obj);
        return reply_error("a request is a JSON object with a \"cmd\" string",
                           EINVAL);
    }
    r.cmd = json_object_get_string(cmd);
    for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
        if (strcmp(ctl_cmds[i].name, r.cmd) == 0) {
            c = &ctl_cmds[i];
        }
    }
    if (c == NULL) {
        char msg[128];

        snprintf(msg, sizeof(msg), "unknown command '%.64s'", r.cmd);
        json_object_put(r.obj);
        return reply_error(msg, EINVAL);
    }
    rc = 0;
    json_object_object_foreach(r.obj, key, val)
    {
        const char *const *k;
        bool known = strcmp(key, "cmd") == 0;

        (void)val;
        for (k = c->keys; *k != NULL && !known; k++) {
            known = strcmp(*k, key) == 0;
        }
        if (!known) {
            snprintf(r.err.msg, sizeof(r.err.msg),
                     "%s: unknown key '%.64s'", r.cmd, key);
            rc = -EINVAL;
            break;
        }
    }
    reply = json_object_new_object();
    json_object_object_add(reply, "ok", json_object_new_boolean(true));
    if (rc == 0) {
        rc = c->fn(m, &r, reply);
    }
    if (rc < 0) {
        json_object_put(reply);
        out = reply_error(r.err.msg[0] != '\0' ? r.err.msg : strerror(-rc),
                          rc);
    } else {
        if (r.err.warning[0] != '\0') {
            json_object_object_add(reply, "warning",
                                   json_object_new_string(r.err.warning));
        }
        out = strdup(json_object_to_json_string_ext(
            reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(reply);
    }
    json_object_put(r.obj);
    return out;
}

/* ---- connections ---- */

struct ctl_client {
    struct ctl *ctl;
    struct ctl_client *next;
    int fd;
    char *in;
    size_t in_len, in_cap;
    char *out;
    size_t out_len, out_off, out_cap;
    bool eof; /* the client shut down its sending side */
    bool closing; /* answer nothing more; close once the output is flushed */
    bool draining; /* after closing: discard input until EOF (see below) */
    bool shut; /* our side is shut down (draining) */
    size_t drained;
    bool ev_in, ev_out; /* what the loop watches */
};

struct ctl {
    struct loop *loop;
    struct mgr *mgr;
    char *path;
    int fd;
    struct ctl_client *clients;
    unsigned nr_clients;
};

/* Stop answering while this much output waits for a client that does not
 * read: back-pressure instead of unbounded buffering. */
#define CTL_OUT_HIGH (1024u * 1024u)

static void
client_close(struct ctl_client *cl)
{
    struct ctl *c = cl->ctl;
    struct ctl_client **pp;

    for (pp = &c->clients; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == cl) {
            *pp = cl->next;
            c->nr_clients--;
            break;
        }
    }
    loop_del(c->loop, cl->fd);
    close(cl->fd);
    free(cl->in);
    free(cl->out);
    free(cl);
}

static size_t
out_pending(const struct ctl_client *cl)
{
    return cl->out_len - cl->out_off;
}

/* Queue @s plus a newline; false if the client's backlog is too large. */
static bool
client_queue(struct ctl_client *cl, const char *s)
{
    size_t n = strlen(s) + 1;

    if (out_pending(cl) + n > CTL_MAX_OUTPUT) {
        return false;
    }
    if (cl->out_off > 0) {
        memmove(cl->out, cl->out + cl->out_off, out_pending(cl));
        cl->out_len -= cl->out_off;
        cl->out_off = 0;
    }
    if (cl->out_len + n > cl->out_cap) {
        size_t cap = cl->out_cap == 0 ? 4096 : cl->out_cap;
        char *p;

        while (cap < cl->out_len + n) {
            cap *= 2;
        }
        p = realloc(cl->out, cap);
        if (p == NULL) {
            return false;
        }
        cl->out = p;
        cl->out_cap = cap;
    }
    memcpy(cl->out + cl->out_len, s, n - 1);
    cl->out[cl->out_len + n - 1] = '\n';
    cl->out_len += n;
    return true;
}

/* Write what the socket takes; false if the client is gone. */
static bool
client_flush(struct ctl_client *cl)
{
    while (out_pending(cl) > 0) {
        ssize_t n = send(cl->fd, cl->out + cl->out_off, out_pending(cl),
                         MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        cl->out_off += (size_t)n;
    }
    cl->out_off = cl->out_len = 0;
    return true;
}

static bool
client_reply(struct ctl_client *cl, const char *line, size_t len)
{
    char *reply = ctl_handle(cl->ctl->mgr, line, len);
    bool ok;

    if (reply == NULL) {
        return client_queue(cl, "{\"ok\":false,\"error\":\"out of memory\","
                                "\"code\":12}");
    }
    ok = client_queue(cl, reply);
    free(reply);
    return ok;
}

static bool
line_pending(const struct ctl_client *cl)
{
    return cl->in_len > 0 && memchr(cl->in, '\n', cl->in_len) != NULL;
}

/* Answer complete lines: a bounded number per event, so that one busy
 * client cannot starve the others, and none while its replies pile up. */
static bool
client_process(struct ctl_client *cl)
{
    unsigned lines = 0;

    while (lines < CTL_LINES_PER_EVENT && !cl->closing &&
           out_pending(cl) < CTL_OUT_HIGH) {
        char *nl = cl->in_len > 0 ? memchr(cl->in, '\n', cl->in_len) : NULL;
        size_t len;

        if (nl == NULL) {
            break;
        }
        len = (size_t)(nl - cl->in);
        if (len > 0 && !(len == 1 && cl->in[0] == '\r') &&
            !client_reply(cl, cl->in, len)) {
            return false;
        }
        memmove(cl->in, nl + 1, cl->in_len - len - 1);
        cl->in_len -= len + 1;
        lines++;
    }
    if (!line_pending(cl) && cl->in_len > CTL_MAX_REQUEST) {
        char msg[128];

        snprintf(msg, sizeof(msg),
                 "{\"ok\":false,\"error\":\"request longer than %u bytes\","
                 "\"code\":%d}",
                 CTL_MAX_REQUEST, EMSGSIZE);
        client_queue(cl, msg);
        /* Closing at once would reset a client still sending the rest of
         * its request (unread data turns close into ECONNRESET) and it
         * could lose the reply: shut our side down and drain instead. */
        cl->closing = true;
        cl->draining = true;
        cl->in_len = 0;
    }
    if (cl->eof && !line_pending(cl)) {
        /* A last request without its newline is still a request. */
        if (cl->in_len > 0 && !cl->closing &&
            !client_reply(cl, cl->in, cl->in_len)) {
            return false;
        }
        cl->in_len = 0;
        cl->closing = true;
    }
    return true;
}

/*
 * Watch for input only when there is room and nothing left to answer;
 * watch for output while replies wait, and also while complete requests
 * wait (a writable socket brings the handler back to answer them).
 */
static void
client_update(struct ctl_client *cl)
{
    bool pending = line_pending(cl) && !cl->closing;
    bool in = cl->draining || (!cl->closing && !cl->eof && !pending &&
                               cl->in_len <= CTL_MAX_REQUEST);
    bool out = out_pending(cl) > 0 || pending;

    if (in != cl->ev_in || out != cl->ev_out) {
        cl->ev_in = in;
        cl->ev_out = out;
        loop_set_events(cl->ctl->loop, cl->fd, in, out);
    }
}

/* Drain input of a client we are done with; false when it should go. */
static bool
client_drain(struct ctl_client *cl)
{
    char sink[4096];
    ssize_t n = recv(cl->fd, sink, sizeof(sink), 0);

    if (n < 0) {
        return errno == EAGAIN || errno == EINTR;
    }
    cl->drained += (size_t)n;
    return n > 0 && cl->drained <= CTL_MAX_DRAIN;
}

static void
client_ready(void *opaque, unsigned events)
{
    struct ctl_client *cl = opaque;

    if ((events & EPOLLIN) != 0 && cl->draining) {
        if (!client_drain(cl)) {
            client_close(cl);
            return;
        }
    } else if ((events & EPOLLIN) != 0 && cl->ev_in) {
        ssize_t n;

        if (cl->in_cap - cl->in_len < CTL_READ_CHUNK) {
            size_t cap = cl->in_len + CTL_READ_CHUNK;
            char *p = realloc(cl->in, cap);

            if (p == NULL) {
                client_close(cl);
                return;
            }
            cl->in = p;
            cl->in_cap = cap;
        }
        n = recv(cl->fd, cl->in + cl->in_len, CTL_READ_CHUNK, 0);
        if (n == 0) {
            cl->eof = true;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            client_close(cl);
            return;
        } else if (n > 0) {
            cl->in_len += (size_t)n;
        }
    } else if ((events & (EPOLLERR | EPOLLHUP)) != 0 &&
               (events & (EPOLLIN | EPOLLOUT)) == 0) {
        client_close(cl);
        return;
    }
    if (!client_process(cl) || !client_flush(cl)) {
        client_close(cl);
        return;
    }
    if (cl->closing && out_pending(cl) == 0) {
        if (!cl->draining) {
            client_close(cl);
            return;
        }
        if (!cl->shut) {
            shutdown(cl->fd, SHUT_WR);
            cl->shut = true;
        }
    }
    client_update(cl);
}

static void
ctl_accept(void *opaque, unsigned events)
{
    struct ctl *c = opaque;
    struct ctl_client *cl;
    struct ucred cred = {0};
    socklen_t clen = sizeof(cred);
    int fd;

    fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return;
    }
    /* The socket is 0600; refuse anyone but its owner and root even if
     * the mode was loosened by hand. */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
        (cred.uid != geteuid() && cred.uid != 0)) {
        VIDXD_LOG_RATELIMIT(LOG_WARNING, "ctl",
                            "control client of uid %u refused",
                            (unsigned)cred.uid);
        close(fd);
        return;
    }
    if (c->nr_clients >= CTL_MAX_CLIENTS) {
        static const char busy[] =
            "{\"ok\":false,\"error\":\"too many control clients\","
            "\"code\":16}\n";

        if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) <
            0) {
            /* Nothing more to do for a client we refuse anyway. */
        }
        close(fd);
        return;
    }
    cl = calloc(1, sizeof(*cl));
    if (cl == NULL || loop_add(c->loop, fd, client_ready, cl) < 0) {
        free(cl);
        close(fd);
        return;
    }
    cl->ctl = c;
    cl->fd = fd;
    cl->ev_in = true;
    cl->next = c->clients;
    c->clients = cl;
    c->nr_clients++;
}

/* Is a live daemon listening on @path? */
static bool
path_is_live(const struct sockaddr_un *sa)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live;

    if (fd < 0) {
        return false;
    }
    live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
    close(fd);
    return live;
}

int
ctl_create(const struct ctl_config *cfg, struct ctl **out)
{
    struct sockaddr_un sa;
    struct ctl *c;
    mode_t old;
    int rc;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(cfg->path) >= sizeof(sa.sun_path)) {
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, cfg->path);
    if (path_is_live(&sa)) {
        return -EADDRINUSE;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return -ENOMEM;
    }
    c->loop = cfg->loop;
    c->mgr = cfg->mgr;
    c->path = strdup(cfg->path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->path == NULL || c->fd < 0) {
        rc = c->path == NULL ? -ENOMEM : -errno;
        goto fail;
    }
    unlink(cfg->path); /* a stale socket of a daemon that died */
    /* Operator-only from the first instant: no window with a wider mode. */
    old = umask(0177);
    rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || chmod(cfg->path, 0600) < 0 || listen(c->fd, 16) < 0) {
        rc = -errno;
        goto fail;
    }
    rc = loop_add(c->loop, c->fd, ctl_accept, c);
    if (rc < 0) {
        goto fail;
    }
    *out = c;
    return 0;
fail:
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c->path);
    free(c);
    return rc;
}

void
ctl_destroy(struct ctl *c)
{
    if (c == NULL) {
        return;
    }
    while (c->clients != NULL) {
        client_close(c->clients);
    }
    loop_del(c->loop, c->fd);
    close(c->fd);
    unlink(c->path);
    free(c->path);
    free(c);
}
