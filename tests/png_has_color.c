/*
 * png_has_color FILE.png R G B [TOL]: prints how many pixels are within
 * TOL (default 8) of the colour in every channel, and exits 0 when some
 * are, 1 when none is, 2 on any error, with one line on stderr.
 *
 * Reads what chromium's --screenshot writes: 8-bit RGB or RGBA (grey,
 * grey+alpha too), not interlaced.  Every length in the file is checked
 * before it is used; CRCs are not.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>


#define PP_PNG_MAX_FILE     (256L * 1024 * 1024)
#define PP_PNG_MAX_RAW      ((size_t) 512 * 1024 * 1024)


static const char  *pp_err;


static uint32_t
pp_be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static int
pp_paeth(int a, int b, int c)
{
    int  p, pa, pb, pc;

    p = a + b - c;
    pa = abs(p - a);
    pb = abs(p - b);
    pc = abs(p - c);

    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}


static int
pp_arg(const char *s, long max, long *v)
{
    char  *end;

    errno = 0;
    *v = strtol(s, &end, 10);

    return errno == 0 && end != s && *end == '\0' && *v >= 0 && *v <= max;
}


/* the whole file, or NULL with pp_err set */
static unsigned char *
pp_read(const char *path, size_t *len)
{
    long            n;
    FILE           *f;
    unsigned char  *buf;

    buf = NULL;

    f = fopen(path, "rb");
    if (f == NULL) {
        pp_err = "failed to open the file";
        return NULL;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        pp_err = "failed to read the file";
        goto cleanup;
    }

    if (n < 8 || n > PP_PNG_MAX_FILE) {
        pp_err = "the file is too short or too big";
        goto cleanup;
    }

    buf = malloc((size_t) n);
    if (buf == NULL) {
        pp_err = "out of memory";
        goto cleanup;
    }

    if (fread(buf, 1, (size_t) n, f) != (size_t) n) {
        pp_err = "failed to read the file";
        free(buf);
        buf = NULL;
        goto cleanup;
    }

    *len = (size_t) n;

cleanup:

    fclose(f);

    return buf;
}


/* reverses the row's filter in place; prev is the previous row, or 0s */
static int
pp_unfilter(unsigned char *row, const unsigned char *prev, size_t stride,
    size_t bpp, int type)
{
    size_t  i;
    int     a, b, c;

    for (i = 0; i < stride; i++) {
        a = i >= bpp ? row[i - bpp] : 0;
        b = prev[i];
        c = i >= bpp ? prev[i - bpp] : 0;

        switch (type) {
        case 0:
            break;
        case 1:
            row[i] = (unsigned char) (row[i] + a);
            break;
        case 2:
            row[i] = (unsigned char) (row[i] + b);
            break;
        case 3:
            row[i] = (unsigned char) (row[i] + (a + b) / 2);
            break;
        case 4:
            row[i] = (unsigned char) (row[i] + pp_paeth(a, b, c));
            break;
        default:
            return -1;
        }
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int             rc, ihdr;
    long            want[3], tol;
    size_t          flen, pos, len, idat_len, ch, stride, raw_len, x, y;
    uint32_t        w, h;
    uint64_t        hits;
    uLongf          out_len;
    unsigned char  *file, *idat, *raw, *zero, *row, *prev, *px;

    rc = 2;
    file = idat = raw = zero = NULL;

    if (argc != 5 && argc != 6) {
        pp_err = "usage: png_has_color FILE.png R G B [TOL]";
        goto cleanup;
    }

    if (!pp_arg(argv[2], 255, &want[0]) || !pp_arg(argv[3], 255, &want[1])
        || !pp_arg(argv[4], 255, &want[2])
        || !pp_arg(argc == 6 ? argv[5] : "8", 255, &tol))
    {
        pp_err = "R, G, B and TOL are numbers from 0 to 255";
        goto cleanup;
    }

    file = pp_read(argv[1], &flen);
    if (file == NULL) {
        goto cleanup;
    }

    if (memcmp(file, "\x89PNG\r\n\x1a\n", 8) != 0) {
        pp_err = "not a PNG file";
        goto cleanup;
    }

    idat = malloc(flen);
    if (idat == NULL) {
        pp_err = "out of memory";
        goto cleanup;
    }

    w = h = 0;
    ch = 0;
    ihdr = 0;
    idat_len = 0;

    /* chunks: length, type, data, CRC */

    for (pos = 8; /* void */; pos += 12 + len) {
        if (flen - pos < 12) {
            pp_err = "truncated file: no IEND chunk";
            goto cleanup;
        }

        len = pp_be32(file + pos);
        if (len > flen - pos - 12) {
            pp_err = "truncated chunk";
            goto cleanup;
        }

        if (memcmp(file + pos + 4, "IEND", 4) == 0) {
            break;
        }

        if (memcmp(file + pos + 4, "IHDR", 4) == 0) {
            if (ihdr || pos != 8 || len != 13) {
                pp_err = "bad IHDR chunk";
                goto cleanup;
            }

            ihdr = 1;
            w = pp_be32(file + pos + 8);
            h = pp_be32(file + pos + 12);

            if (file[pos + 16] != 8 || file[pos + 20] != 0) {
                pp_err = "not 8 bits per channel, or interlaced";
                goto cleanup;
            }

            switch (file[pos + 17]) {
            case 0: ch = 1; break;
            case 2: ch = 3; break;
            case 4: ch = 2; break;
            case 6: ch = 4; break;
            default:
                pp_err = "unsupported colour type (palette?)";
                goto cleanup;
            }

        } else if (memcmp(file + pos + 4, "IDAT", 4) == 0) {
            /* the IDATs together are shorter than the file */
            memcpy(idat + idat_len, file + pos + 8, len);
            idat_len += len;
        }
    }

    if (!ihdr || w == 0 || h == 0 || w > 100000 || h > 100000) {
        pp_err = "no IHDR chunk, or a bad image size";
        goto cleanup;
    }

    stride = (size_t) w * ch;
    if ((stride + 1) > PP_PNG_MAX_RAW / h) {
        pp_err = "the image is too big";
        goto cleanup;
    }

    raw_len = (stride + 1) * h;
    raw = malloc(raw_len);
    zero = calloc(1, stride);
    if (raw == NULL || zero == NULL) {
        pp_err = "out of memory";
        goto cleanup;
    }

    out_len = raw_len;
    if (uncompress(raw, &out_len, idat, idat_len) != Z_OK
        || out_len != raw_len)
    {
        pp_err = "bad image data: it does not inflate to the image's size";
        goto cleanup;
    }

    hits = 0;
    prev = zero;

    for (y = 0; y < h; y++) {
        row = raw + y * (stride + 1) + 1;

        if (pp_unfilter(row, prev, stride, ch, row[-1]) != 0) {
            pp_err = "bad filter type";
            goto cleanup;
        }

        for (x = 0; x < w; x++) {
            px = row + x * ch;

            /* grey is R = G = B */
            if (labs(px[0] - want[0]) <= tol
                && labs(px[ch >= 3 ? 1 : 0] - want[1]) <= tol
                && labs(px[ch >= 3 ? 2 : 0] - want[2]) <= tol)
            {
                hits++;
            }
        }

        prev = row;
    }

    printf("%llu\n", (unsigned long long) hits);

    rc = hits ? 0 : 1;

cleanup:

    if (rc == 2) {
        fprintf(stderr, "png_has_color: %s\n", pp_err);
    }

    free(file);
    free(idat);
    free(raw);
    free(zero);

    return rc;
}
