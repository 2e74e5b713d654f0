/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CLI's side of the control socket (protocol: src/daemon/control.h,
 * docs/cli.md): connect, send one request line, read one reply line.
 */
#ifndef VIDXD_TOOLS_CLIENT_H
#define VIDXD_TOOLS_CLIENT_H

#include <json-c/json.h>

/*
 * Send @req to the daemon at @path and parse its reply into *@reply.
 * Returns 0, or -errno with a one-line explanation in @msg (cannot
 * connect, timeout, connection closed, malformed reply).
 */
int client_call(const char *path, json_object *req, json_object **reply,
                char *msg, size_t msglen);

#endif /* VIDXD_TOOLS_CLIENT_H */
