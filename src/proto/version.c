/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VERSION negotiation payloads: the version numbers, the NUL-terminated
 * JSON capability document, its parser (json-c, with a nesting bound and
 * strict types) and the formatter for the server's reply
 * (reference/vfio-user.md §1.3 "VERSION").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "proto/proto.h"

/* Deep enough for {"capabilities":{"migration":{...}}} and then some. */
#define CAPS_MAX_DEPTH 8
/* libvfio-user's accepted range for a client's max_msg_fds. */
#define CAPS_MAX_MSG_FDS 1024

int
proto_version_decode(const uint8_t *p, size_t n, struct proto_version *v)
{
    struct vidxd_vu_version raw;

    if (n < sizeof(raw)) {
        return -EINVAL;
    }
    memcpy(&raw, p, sizeof(raw));
    v->major = raw.major;
    v->minor = raw.minor;
    v->json = NULL;
    v->json_len = 0;
    if (n == sizeof(raw)) {
        return 0;
    }
    /* §1.3: the JSON is NUL-terminated; QEMU checks the last byte. */
    if (p[n - 1] != '\0' ||
        memchr(p + sizeof(raw), '\0', n - sizeof(raw) - 1) != NULL) {
        return -EINVAL;
    }
    v->json = (const char *)p + sizeof(raw);
    v->json_len = n - sizeof(raw) - 1;
    return 0;
}

void
proto_caps_default(struct proto_caps *caps)
{
    memset(caps, 0, sizeof(*caps));
    caps->max_msg_fds = VIDXD_VU_DEFAULT_MAX_MSG_FDS;
    caps->max_data_xfer_size = VIDXD_VU_DEFAULT_MAX_DATA_XFER;
    caps->max_dma_maps = VIDXD_VU_DEFAULT_MAX_DMA_MAPS;
    caps->pgsizes = VIDXD_VU_DEFAULT_PGSIZES;
}

/*
 * Read an optional non-negative integer member no larger than @max.
 * Returns 0 (absent or valid) or -EINVAL.
 */
static int
get_uint(struct json_object *obj, const char *key, uint64_t max,
         uint64_t *out)
{
    struct json_object *v;
    int64_t x;

    if (!json_object_object_get_ex(obj, key, &v)) {
        return 0;
    }
    if (!json_object_is_type(v, json_type_int)) {
        return -EINVAL;
    }
    x = json_object_get_int64(v);
    if (x < 0 || (uint64_t)x > max) {
        return -EINVAL;
    }
    *out = (uint64_t)x;
    return 0;
}

static int
parse_caps_object(struct json_object *c, struct proto_caps *caps)
{
    struct json_object *v;
    uint64_t x;
    int rc;

    x = caps->max_msg_fds;
    rc = get_uint(c, "max_msg_fds", CAPS_MAX_MSG_FDS, &x);
    if (rc < 0) {
        return rc;
    }
    caps->max_msg_fds = (uint32_t)x;
    x = caps->max_data_xfer_size;
    rc = get_uint(c, "max_data_xfer_size", UINT32_MAX, &x);
    if (rc < 0 || x == 0) {
        return -EINVAL;
    }
    caps->max_data_xfer_size = (uint32_t)x;
    x = caps->max_dma_maps;
    rc = get_uint(c, "max_dma_maps", UINT32_MAX, &x);
    if (rc < 0) {
        return rc;
    }
    caps->max_dma_maps = (uint32_t)x;
    x = caps->pgsizes;
    rc = get_uint(c, "pgsizes", INT64_MAX, &x);
    if (rc < 0) {
        return rc;
    }
    caps->pgsizes = x;
    if (json_object_object_get_ex(c, "write_multiple", &v)) {
        if (!json_object_is_type(v, json_type_boolean)) {
            return -EINVAL;
        }
        caps->write_multiple = json_object_get_boolean(v);
    }
    if (json_object_object_get_ex(c, "migration", &v)) {
        if (!json_object_is_type(v, json_type_object)) {
            return -EINVAL;
        }
        caps->migration = true;
    }
    if (json_object_object_get_ex(c, "twin_socket", &v)) {
        struct json_object *s;

        if (!json_object_is_type(v, json_type_object)) {
            return -EINVAL;
        }
        if (json_object_object_get_ex(v, "supported", &s)) {
            if (!json_object_is_type(s, json_type_boolean)) {
                return -EINVAL;
            }
            caps->twin_socket = json_object_get_boolean(s);
        }
    }
    return 0;
}

int
proto_caps_parse(const char *json, size_t len, struct proto_caps *caps)
{
    struct json_tokener *tok;
    struct json_object *root = NULL, *c;
    size_t end;
    int rc = -EINVAL;

    proto_caps_default(caps);
    if (json == NULL || len == 0 || len > INT32_MAX ||
        memchr(json, '\0', len) != NULL) {
        return -EINVAL;
    }
    tok = json_tokener_new_ex(CAPS_MAX_DEPTH);
    if (tok == NULL) {
        return -ENOMEM;
    }
    root = json_tokener_parse_ex(tok, json, (int)len);
    if (root == NULL || json_tokener_get_error(tok) != json_tokener_success) {
        goto out;
    }
    /* Nothing but whitespace may follow the document. */
    for (end = json_tokener_get_parse_end(tok); end < len; end++) {
        if (strchr(" \t\r\n", json[end]) == NULL) {
            goto out;
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        goto out;
    }
    if (json_object_object_get_ex(root, "capabilities", &c)) {
        if (!json_object_is_type(c, json_type_object)) {
            goto out;
        }
        rc = parse_caps_object(c, caps);
    } else {
        rc = 0;
    }
out:
    json_object_put(root);
    json_tokener_free(tok);
    return rc;
}

int
proto_caps_format(const struct proto_caps *caps, unsigned keys, char *buf,
                  size_t cap)
{
    size_t len = 0;
    const char *sep = "";
    int n;

#define APPEND(...)                                                            \
    do {                                                                       \
        n = snprintf(buf + len, cap > len ? cap - len : 0, __VA_ARGS__);       \
        if (n < 0 || (size_t)n >= (cap > len ? cap - len : 0)) {               \
            return -ENOSPC;                                                    \
        }                                                                      \
        len += (size_t)n;                                                      \
    } while (0)

    if (buf == NULL || cap == 0) {
        return -ENOSPC;
    }
    APPEND("{\"capabilities\":{");
    if (keys & PROTO_CAP_MAX_MSG_FDS) {
        APPEND("%s\"max_msg_fds\":%" PRIu32, sep, caps->max_msg_fds);
        sep = ",";
    }
    if (keys & PROTO_CAP_MAX_DATA_XFER) {
        APPEND("%s\"max_data_xfer_size\":%" PRIu32, sep,
               caps->max_data_xfer_size);
        sep = ",";
    }
    if (keys & PROTO_CAP_PGSIZES) {
        APPEND("%s\"pgsizes\":%" PRIu64, sep, caps->pgsizes);
        sep = ",";
    }
    if (keys & PROTO_CAP_MAX_DMA_MAPS) {
        APPEND("%s\"max_dma_maps\":%" PRIu32, sep, caps->max_dma_maps);
    }
    APPEND("}}");
#undef APPEND
    return (int)len;
}
