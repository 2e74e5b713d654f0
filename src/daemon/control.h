/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: the management path from the `vidxd` CLI to the
 * device manager (design.md "Management path"; protocol in docs/cli.md).
 *
 * A UNIX stream socket, mode 0600, that serves any number of clients (up
 * to CTL_MAX_CLIENTS at once) from the daemon's event loop.  Each request
 * is one JSON object on one line; each gets exactly one reply line, in
 * order:
 *   {"cmd": "config-wq", "dev": "dsa0/wq0.0", "attrs": {"size": 16}}
 *   {"ok": true}   or   {"ok": false, "error": "message", "code": errno}
 * Requests are validated strictly (types, known keys, ranges); anything
 * malformed or hostile gets an error reply and the daemon keeps serving
 * every other client (design.md invariant 1).  A request line longer than
 * CTL_MAX_REQUEST bytes is answered with an error and the connection is
 * closed; so is a client whose unread replies exceed CTL_MAX_OUTPUT.
 */
#ifndef VIDXD_DAEMON_CONTROL_H
#define VIDXD_DAEMON_CONTROL_H

#include <stddef.h>

#include <json-c/json.h>

#define CTL_MAX_REQUEST (256u * 1024u)
#define CTL_MAX_OUTPUT (16u * 1024u * 1024u)
#define CTL_MAX_CLIENTS 32u

struct ctl;
struct loop;
struct mgr;

struct ctl_config {
    const char *path; /* the socket; a stale file is replaced */
    struct loop *loop;
    struct mgr *mgr;
};

/*
 * Listen on @cfg->path (0600) and serve in @cfg->loop.  Returns 0;
 * -EADDRINUSE if a live daemon answers on the path; -ENAMETOOLONG; or
 * another -errno from socket setup.
 */
int ctl_create(const struct ctl_config *cfg, struct ctl **out);
/* Close every client and the listener, remove the socket file.  Accepts
 * NULL. */
void ctl_destroy(struct ctl *c);

/*
 * Answer one request of @len bytes (no newline): returns the reply, a
 * NUL-terminated JSON object without newline (malloc'd), or NULL when out
 * of memory.  Never fails otherwise: errors are replies.
 */
char *ctl_handle(struct mgr *m, const char *req, size_t len);

/* json-c's parse error, worded for operators ("continue" means the text
 * ended inside a value). */
static inline const char *
ctl_json_error(enum json_tokener_error e)
{
    return e == json_tokener_continue ? "unexpected end of input"
                                      : json_tokener_error_desc(e);
}

#endif /* VIDXD_DAEMON_CONTROL_H */
