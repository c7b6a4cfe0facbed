/*
 * png_has_color FILE.png R G B [TOL]: exits 0 when some pixel of the PNG
 * is within TOL (default 8) of the colour in every channel, 1 when none
 * is, 2 on any error (one line on stderr).  Prints the matching pixels.
 * Reads 8-bit greyscale, RGB, grey+alpha and RGBA, not interlaced: what
 * chromium's --screenshot writes.  Every length in the file is checked.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>


static int
fail(const char *msg)
{
    fprintf(stderr, "png_has_color: %s\n", msg);
    return 2;
}


static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static int
paeth(int a, int b, int c)
{
    int  p, pa, pb, pc;

    p = a + b - c;
    pa = abs(p - a);
    pb = abs(p - b);
    pc = abs(p - c);

    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}


int
main(int argc, char **argv)
{
    int             want[3], tol, ch;
    FILE           *f;
    long            flen;
    size_t          pos, idat_len, stride, raw_len, x, y, i;
    uint32_t        w, h, len;
    uint64_t        hits;
    uLongf          out_len;
    unsigned char  *file, *idat, *raw, *row, *prev, *px, a, b, c;

    if (argc != 5 && argc != 6) {
        return fail("usage: png_has_color FILE.png R G B [TOL]");
    }

    want[0] = atoi(argv[2]);
    want[1] = atoi(argv[3]);
    want[2] = atoi(argv[4]);
    tol = argc == 6 ? atoi(argv[5]) : 8;

    f = fopen(argv[1], "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (flen = ftell(f)) < 8
        || flen > 256L * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0)
    {
        return fail("cannot read the file, or it is too short or too big");
    }

    file = malloc((size_t) flen);
    idat = malloc((size_t) flen);
    if (file == NULL || idat == NULL
        || fread(file, 1, (size_t) flen, f) != (size_t) flen)
    {
        return fail("cannot read the file");
    }
    fclose(f);

    if (memcmp(file, "\x89PNG\r\n\x1a\n", 8) != 0) {
        return fail("not a PNG");
    }

    w = h = 0;
    ch = 0;
    idat_len = 0;

    for (pos = 8; pos + 12 <= (size_t) flen; pos += 12 + len) {
        len = be32(file + pos);
        if (len > (size_t) flen - pos - 12) {
            return fail("truncated chunk");
        }

        if (memcmp(file + pos + 4, "IHDR", 4) == 0 && len >= 13) {
            w = be32(file + pos + 8);
            h = be32(file + pos + 12);

            if (file[pos + 16] != 8 || file[pos + 18] != 0
                || file[pos + 19] != 0 || file[pos + 20] != 0)
            {
                return fail("not 8-bit, or interlaced");
            }

            switch (file[pos + 17]) {
            case 0: ch = 1; break;
            case 2: ch = 3; break;
            case 4: ch = 2; break;
            case 6: ch = 4; break;
            default: return fail("unsupported colour type");
            }

        } else if (memcmp(file + pos + 4, "IDAT", 4) == 0) {
            memcpy(idat + idat_len, file + pos + 8, len);
            idat_len += len;

        } else if (memcmp(file + pos + 4, "IEND", 4) == 0) {
            break;
        }
    }

    if (w == 0 || h == 0 || w > 20000 || h > 20000 || ch == 0) {
        return fail("no usable IHDR");
    }

    stride = (size_t) w * ch;
    raw_len = (stride + 1) * h;
    raw = malloc(raw_len);
    prev = calloc(1, stride);
    if (raw == NULL || prev == NULL) {
        return fail("out of memory");
    }

    out_len = raw_len;
    if (uncompress(raw, &out_len, idat, idat_len) != Z_OK
        || out_len != raw_len)
    {
        return fail("bad image data");
    }

    hits = 0;

    for (y = 0; y < h; y++) {
        row = raw + y * (stride + 1) + 1;

        for (i = 0; i < stride; i++) {
            a = i >= (size_t) ch ? row[i - ch] : 0;
            b = prev[i];
            c = i >= (size_t) ch ? prev[i - ch] : 0;

            switch (row[-1]) {
            case 0: break;
            case 1: row[i] += a; break;
            case 2: row[i] += b; break;
            case 3: row[i] += (unsigned char) ((a + b) / 2); break;
            case 4: row[i] += (unsigned char) paeth(a, b, c); break;
            default: return fail("bad filter type");
            }
        }

        for (x = 0; x < w; x++) {
            px = row + x * ch;

            if (ch >= 3 && abs(px[0] - want[0]) <= tol
                && abs(px[1] - want[1]) <= tol && abs(px[2] - want[2]) <= tol)
            {
                hits++;
            }
        }

        memcpy(prev, row, stride);
    }

    printf("%llu\n", (unsigned long long) hits);

    return hits ? 0 : 1;
}
