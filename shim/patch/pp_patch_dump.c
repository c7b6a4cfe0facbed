/*
 * The first bytes of a function as hex, for the line that says why it
 * was refused: the same on every architecture.
 */

#include <stdio.h>

#include "pp_patch.h"


void
pp_patch_hexdump(uintptr_t addr, size_t n, char *buf, size_t len)
{
    size_t          i, w;
    const uint8_t  *p;

    if (len == 0) {
        return;
    }

    p = (const uint8_t *) addr;
    w = 0;
    buf[0] = '\0';

    /* whole bytes only: 3 characters each and the NUL */
    for (i = 0; i < n && w + 4 <= len; i++) {
        w += snprintf(buf + w, len - w, i ? " %02x" : "%02x", p[i]);
    }
}
