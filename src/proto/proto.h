/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio-user message decoding, validation and encoding (the proto layer).
 *
 * Pure functions over byte buffers: no I/O, no allocation except json-c's
 * transient parse tree, no knowledge of sockets or devices.  Every decoder
 * takes the payload (the bytes after the 16-byte header) and its exact
 * length, checks every length and every sum against overflow, and fills a
 * host-side view; pointers in a view point into the caller's buffer.
 * Decoders return 0 or a negative errno that the server sends back as the
 * error reply (reference/vfio-user.md §1.1 "On error the reply carries only
 * the header").
 */
#ifndef VIDXD_PROTO_PROTO_H
#define VIDXD_PROTO_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/vfio_user.h"

/* ---- header ---------------------------------------------------------- */

/* Fill @hdr; @size is the whole message size, header included. */
void proto_hdr_init(struct vidxd_vu_hdr *hdr, uint16_t msg_id, uint16_t cmd,
                    uint32_t size, uint32_t flags, uint32_t error);

/*
 * Copy the header out of @buf (any alignment).  Returns 0, or -EINVAL if
 * @len is shorter than a header.
 */
int proto_hdr_decode(const void *buf, size_t len, struct vidxd_vu_hdr *hdr);

/*
 * Check the framing of a header just read: 16 <= msg_size <= @max_size.
 * Returns 0 or -EPROTO (a stream error: the receiver cannot find the next
 * message and must drop the connection).
 */
int proto_hdr_check_frame(const struct vidxd_vu_hdr *hdr, uint32_t max_size);

/*
 * Classify a received message that a server must answer.  Returns 0 for a
 * well-formed command; -EPROTO for a reply or an unknown type (the client
 * and server are out of step: fatal for the stream); -EINVAL for a command
 * carrying the Error flag.
 */
int proto_hdr_check_command(const struct vidxd_vu_hdr *hdr);

/* True if the command asks for no reply (§1.1 No_reply). */
bool proto_hdr_no_reply(const struct vidxd_vu_hdr *hdr);

/* ---- VERSION (§1.3) --------------------------------------------------- */

struct proto_version {
    uint16_t major;
    uint16_t minor;
    const char *json; /* NUL-terminated inside the payload, or NULL */
    size_t json_len; /* without the NUL */
};

/*
 * Decode a VERSION payload.  The JSON, when present, must end with the
 * payload's last byte being NUL and hold no earlier NUL.
 * Returns 0 or -EINVAL.
 */
int proto_version_decode(const uint8_t *p, size_t n, struct proto_version *v);

/* Capabilities of the VERSION JSON (§1.3 table). */
struct proto_caps {
    uint32_t max_msg_fds;
    uint32_t max_data_xfer_size;
    uint32_t max_dma_maps;
    uint64_t pgsizes;
    bool write_multiple;
    bool migration; /* a "migration" object was present */
    bool twin_socket; /* "twin_socket.supported" was true */
};

/* Fill @caps with the spec defaults for absent keys. */
void proto_caps_default(struct proto_caps *caps);

/*
 * Parse the VERSION JSON @json (@len bytes, no NUL needed) into @caps,
 * starting from the defaults.  The document must be an object; a
 * "capabilities" member, if present, must be an object whose known keys
 * have the right JSON types and sane values (max_msg_fds <= 1024,
 * max_data_xfer_size in 1..UINT32_MAX, non-negative numbers).  Unknown keys
 * are ignored (QEMU warns, §1.3).  Nesting depth is bounded.
 * Returns 0 or -EINVAL.
 */
int proto_caps_parse(const char *json, size_t len, struct proto_caps *caps);

/* Keys proto_caps_format() may emit. */
#define PROTO_CAP_MAX_MSG_FDS 0x1u
#define PROTO_CAP_MAX_DATA_XFER 0x2u
#define PROTO_CAP_PGSIZES 0x4u
#define PROTO_CAP_MAX_DMA_MAPS 0x8u

/*
 * Format {"capabilities":{...}} with the keys in @keys into @buf (@cap
 * bytes, NUL included).  Never advertises migration, twin_socket or
 * write_multiple (§6: the server does not implement them).
 * Returns the string length without NUL, or -ENOSPC if it does not fit.
 */
int proto_caps_format(const struct proto_caps *caps, unsigned keys, char *buf,
                      size_t cap);

/* ---- fixed-size requests (§1.3) --------------------------------------- */

/*
 * Copy out a fixed-size request that starts with its uint32_t argsz (the
 * vfio structs of §1.3): @n must be exactly @size and argsz >= @size.
 * Fills the @size bytes at @out whenever @n is right.  Returns 0 or
 * -EINVAL.
 */
int proto_fixed_decode(const uint8_t *p, size_t n, void *out, size_t size);

/* ---- DMA (§1.3) -------------------------------------------------------- */

/*
 * DMA_MAP payload: exactly 32 bytes, argsz >= 32, flags READ/WRITE only,
 * size != 0, [addr, addr + size) and [offset, offset + size) do not wrap
 * and the offset fits an off_t.  Returns 0 or -EINVAL.
 */
int proto_dma_map_decode(const uint8_t *p, size_t n,
                         struct vidxd_vu_dma_map *map);

/*
 * DMA_UNMAP payload: exactly 24 bytes, argsz >= 24, flags 0 (size != 0, no
 * wrap) or VFIO_DMA_UNMAP_FLAG_ALL (addr = size = 0).  Returns 0 or -EINVAL.
 */
int proto_dma_unmap_decode(const uint8_t *p, size_t n,
                           struct vidxd_vu_dma_unmap *unmap);

/* ---- device and region info (§1.3) ---------------------------------- */

/* DEVICE_GET_INFO request: exactly 16 bytes, argsz >= 16.  0 or -EINVAL. */
int proto_device_info_decode(const uint8_t *p, size_t n, uint32_t *argsz);

/* GET_REGION_INFO request: exactly 32 bytes, argsz >= 32.  0 or -EINVAL. */
int proto_region_info_decode(const uint8_t *p, size_t n, uint32_t *index,
                             uint32_t *argsz);

/* What a region-info reply describes. */
struct proto_region_desc {
    uint32_t index;
    uint32_t flags; /* READ/WRITE/MMAP; CAPS is computed */
    uint64_t size;
    uint64_t offset;
    uint32_t nr_areas; /* sparse-mmap areas; 0 = no capability */
    const struct vidxd_vu_sparse_area *areas;
};

/* Bytes of the full reply payload for @d (struct + capability chain). */
size_t proto_region_info_full_size(const struct proto_region_desc *d);

/*
 * Encode the region-info reply payload for a request whose argsz was
 * @req_argsz (>= 32).  The reply's argsz is the full size; the payload is
 * truncated to min(full, req_argsz), and the CAPS flag and the sparse-mmap
 * capability are present only when the whole chain fits (§1.3, the
 * truncation rule QEMU relies on).  @cap is the room in @buf.
 * Returns the payload length, -EINVAL (more areas than fit a u32 argsz) or
 * -ENOSPC.
 */
int proto_region_info_encode(const struct proto_region_desc *d,
                             uint32_t req_argsz, uint8_t *buf, size_t cap);

/*
 * Decode a region-info reply (for clients): fixed part, then, if CAPS is
 * set, walk the capability chain inside the @n received bytes (each header
 * in bounds, offsets strictly increasing so a hostile chain cannot loop)
 * and copy up to @max_areas sparse areas.  *@nr_areas receives the area
 * count announced (possibly more than copied).
 * Returns 0 or -EINVAL.
 */
int proto_region_info_reply_decode(const uint8_t *p, size_t n,
                                   struct vidxd_vu_region_info *ri,
                                   struct vidxd_vu_sparse_area *areas,
                                   uint32_t max_areas, uint32_t *nr_areas);

/* ---- interrupts (§1.3) ------------------------------------------------- */

/* GET_IRQ_INFO request: exactly 16 bytes, argsz >= 16.  0 or -EINVAL. */
int proto_irq_info_decode(const uint8_t *p, size_t n, uint32_t *index,
                          uint32_t *argsz);

struct proto_irq_set {
    uint32_t flags;
    uint32_t index;
    uint32_t start;
    uint32_t count;
    const uint8_t *bools; /* DATA_BOOL: count bytes, else NULL */
};

/*
 * SET_IRQS request with @nfds attached fds: payload 20 bytes (+ count bytes
 * for DATA_BOOL), argsz >= 20, exactly one data type and one action and no
 * other flag, count 0 only as DATA_NONE|ACTION_TRIGGER with start 0 (disable
 * all), fds only with DATA_EVENTFD and then exactly count of them, and
 * start + count must not wrap (libvfio-user's rules, §1.3).
 * Returns 0 or -EINVAL.
 */
int proto_irq_set_decode(const uint8_t *p, size_t n, size_t nfds,
                         struct proto_irq_set *set);

/* ---- region access (§1.3) --------------------------------------------- */

struct proto_region_access {
    uint64_t offset;
    uint32_t region;
    uint32_t count;
    const uint8_t *data; /* REGION_WRITE data, else NULL */
};

/*
 * REGION_READ (@write false: exactly 16 bytes) or REGION_WRITE (16 + count
 * bytes) request.  count must be 1..@max_xfer (-E2BIG above) and
 * offset + count must not wrap.  Returns 0, -EINVAL or -E2BIG.
 */
int proto_region_access_decode(const uint8_t *p, size_t n, bool write,
                               uint32_t max_xfer,
                               struct proto_region_access *acc);

/* True if [off, off + len) lies inside [0, size) (overflow-safe). */
bool proto_range_ok(uint64_t off, uint64_t len, uint64_t size);

#endif /* VIDXD_PROTO_PROTO_H */
