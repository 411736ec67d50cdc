/* cidr.h: a set of IPv4 and IPv6 prefixes, each with a value (a trunk's
 * index), and the longest-prefix lookup of an address.
 *
 * Built once per config generation (cidr_set_add for every prefix, then
 * cidr_set_build), then read-only: a lookup allocates nothing and costs
 * one binary search per distinct prefix length present (most specific
 * first), so it runs per packet. Equal prefixes keep the value added
 * first. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is looked up as
 * IPv4. Ownership: the caller's; one writer while building, then any
 * number of readers (no state changes on lookup).
 */
#ifndef TB_TRUNK_CIDR_H
#define TB_TRUNK_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr_set;

struct cidr_set *cidr_set_new(void);
void cidr_set_free(struct cidr_set *s);

/* family 4 or 6; addr 4 or 16 bytes in network order (host bits are
 * cleared here); prefix 0-32 or 0-128; value >= 0. 0, or -1 on a bad
 * argument, out of memory, or after cidr_set_build. */
int cidr_set_add(struct cidr_set *s, uint8_t family, const uint8_t *addr,
                 uint8_t prefix, int value);
/* Sort for lookups. 0 or -1 (out of memory). */
int cidr_set_build(struct cidr_set *s);

/* The value of the longest prefix holding the address, -1 when none. */
int cidr_set_lookup(const struct cidr_set *s, uint8_t family,
                    const uint8_t *addr);
int cidr_set_lookup_sa(const struct cidr_set *s, const struct sockaddr *sa);

/* Does the prefix addr/prefix of family (4 or 6) hold the address of sa
 * (IPv4, IPv6, or v4-mapped IPv6 taken as IPv4)? */
bool cidr_holds_sa(uint8_t family, const uint8_t *addr, uint8_t prefix,
                   const struct sockaddr *sa);

size_t cidr_set_count(const struct cidr_set *s);

#endif
