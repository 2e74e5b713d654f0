/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device description files.  A file is one JSON object whose keys override
 * fields of the default device (vidxd_dsa_config_default(): an SPR DSA,
 * dsa.md §1.1).  Unknown keys and out-of-range values are errors: a typo
 * must not silently give the user a different device.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "daemon/devcfg.h"

struct uint_key {
    const char *name;
    size_t off;
    unsigned min, max;
};

#define UKEY(n, f, lo, hi) {n, offsetof(struct vidxd_dsa_config, f), lo, hi}

static const struct uint_key uint_keys[] = {
    UKEY("version", version, 0x100, 0x200),
    UKEY("num_wqs", num_wqs, 1, VIDXD_DSA_MAX_WQS),
    UKEY("num_engines", num_engines, 1, VIDXD_DSA_MAX_ENGINES),
    UKEY("num_groups", num_groups, 1, VIDXD_DSA_MAX_GROUPS),
    UKEY("total_wq_size", total_wq_size, 1, 0xffff),
    UKEY("max_xfer_shift", max_xfer_shift, 0, 31),
    UKEY("max_batch_shift", max_batch_shift, 0, 15),
    UKEY("max_ims_mult", max_ims_mult, 0, 63),
    UKEY("total_rdbufs", total_rdbufs, 0, 255),
    UKEY("workers", workers, 1, VIDXD_DSA_MAX_WORKERS),
};

struct bool_key {
    const char *name;
    size_t off;
};

static const struct bool_key bool_keys[] = {
    {"configurable", offsetof(struct vidxd_dsa_config, configurable)},
    {"cmd_cap", offsetof(struct vidxd_dsa_config, cmd_cap)},
    {"shared_mode", offsetof(struct vidxd_dsa_config, shared_mode)},
    {"pasid", offsetof(struct vidxd_dsa_config, pasid)},
};

int
devcfg_portal_mode(const char *s, enum vidxd_dsa_portal_mode *mode)
{
    if (strcmp(s, "mapped") == 0) {
        *mode = VIDXD_DSA_PORTAL_MAPPED;
    } else if (strcmp(s, "trapped") == 0) {
        *mode = VIDXD_DSA_PORTAL_TRAPPED;
    } else {
        return -EINVAL;
    }
    return 0;
}

static int
apply(const char *key, struct json_object *val, struct vidxd_dsa_config *cfg,
      char *err, size_t errlen)
{
    size_t i;

    for (i = 0; i < sizeof(uint_keys) / sizeof(uint_keys[0]); i++) {
        const struct uint_key *k = &uint_keys[i];
        int64_t v;

        if (strcmp(key, k->name) != 0) {
            continue;
        }
        if (!json_object_is_type(val, json_type_int)) {
            snprintf(err, errlen, "\"%s\" must be an integer", key);
            return -EINVAL;
        }
        v = json_object_get_int64(val);
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "\"%s\" must be in %u..%u (got %lld)", key,
                     k->min, k->max, (long long)v);
            return -ERANGE;
        }
        if (strcmp(key, "version") == 0 && v != 0x100 && v != 0x200) {
            snprintf(err, errlen, "\"version\" must be 256 (0x100) or 512");
            return -ERANGE;
        }
        if (k->off == offsetof(struct vidxd_dsa_config, version)) {
            cfg->version = (uint32_t)v;
        } else {
            *(unsigned *)((char *)cfg + k->off) = (unsigned)v;
        }
        return 0;
    }
    for (i = 0; i < sizeof(bool_keys) / sizeof(bool_keys[0]); i++) {
        if (strcmp(key, bool_keys[i].name) != 0) {
            continue;
        }
        if (!json_object_is_type(val, json_type_boolean)) {
            snprintf(err, errlen, "\"%s\" must be true or false", key);
            return -EINVAL;
        }
        *(bool *)((char *)cfg + bool_keys[i].off) =
            json_object_get_boolean(val);
        return 0;
    }
    if (strcmp(key, "portal_mode") == 0) {
        if (!json_object_is_type(val, json_type_string) ||
            devcfg_portal_mode(json_object_get_string(val),
                               &cfg->portal_mode) < 0) {
            snprintf(err, errlen,
                     "\"portal_mode\" must be \"mapped\" or \"trapped\"");
            return -EINVAL;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown key \"%s\"", key);
    return -EINVAL;
}

int
devcfg_parse(const char *json, struct vidxd_dsa_config *cfg, char *err,
             size_t errlen)
{
    struct json_tokener *tok;
    struct json_object *obj;
    enum json_tokener_error jerr;
    int rc = 0;

    tok = json_tokener_new();
    if (tok == NULL) {
        return -ENOMEM;
    }
    obj = json_tokener_parse_ex(tok, json, (int)strlen(json));
    jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (obj == NULL || jerr != json_tokener_success) {
        snprintf(err, errlen, "not valid JSON: %s",
                 json_tokener_error_desc(jerr));
        json_object_put(obj);
        return -EINVAL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        snprintf(err, errlen, "the top level must be a JSON object");
        json_object_put(obj);
        return -EINVAL;
    }
    json_object_object_foreach(obj, key, val)
    {
        rc = apply(key, val, cfg, err, errlen);
        if (rc < 0) {
            break;
        }
    }
    json_object_put(obj);
    /* The SPR BAR0 layout holds at most 31 WQs: make room for the tables
     * the keys asked for. */
    if (rc == 0 && vidxd_dsa_config_layout(cfg) < 0) {
        snprintf(err, errlen, "no BAR0 layout fits this device");
        rc = -EINVAL;
    }
    return rc;
}

int
devcfg_load(const char *path, struct vidxd_dsa_config *cfg, char *err,
            size_t errlen)
{
    char buf[65536];
    size_t n;
    FILE *f;
    int rc;

    f = fopen(path, "r");
    if (f == NULL) {
        rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return rc;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    if (ferror(f) || !feof(f)) {
        fclose(f);
        snprintf(err, errlen, "%s: unreadable or larger than 64 KiB", path);
        return -EINVAL;
    }
    fclose(f);
    buf[n] = '\0';
    return devcfg_parse(buf, cfg, err, errlen);
}
