#!/bin/sh
# Covers the test module alone, without the shim: Debian's nginx loads
# it, and every pp_test mode answers with the right status and body
# (noop_free, reuse, child_pool, large_free and its 500 below the pool's
# max, foreign_free, conn_pool, leak_pool, noop_via through both paths
# and a bad path, allocs, body), a request body is discarded, HEAD has
# no body; the body filter in both modes (reuse, fresh) passes the body
# handler's buffers, a split body bigger than its buffers, a static file
# (read into memory, or passed on as file buffers with sendfile) and a
# `return` unchanged; then nginx stops gracefully.

. "$top_srcdir/tests/lib.sh"

pp_need_module
pp_need cmp

PP_PRELOAD=

seq 1 30000 > "$PP_TMP/file.txt"
chmod a+r "$PP_TMP/file.txt"

PP_SERVER="
        location /noop_free    { pp_test noop_free; pp_test_size 512;
                                 pp_test_repeat 3; }
        location /reuse        { pp_test reuse; pp_test_repeat 4; }
        location /child_pool   { pp_test child_pool; pp_test_size 200;
                                 pp_test_repeat 2; }
        location /large_free   { pp_test large_free; pp_test_size 8192;
                                 pp_test_repeat 2; }
        location /large_small  { pp_test large_free; pp_test_size 512; }
        location /foreign_free { pp_test foreign_free; pp_test_size 100;
                                 pp_test_repeat 3; }
        location /conn_pool    { pp_test conn_pool; pp_test_size 256;
                                 pp_test_repeat 2; }
        location /leak_pool    { pp_test leak_pool; pp_test_size 300; }
        location /noop_via     { pp_test noop_via; pp_test_size 128;
                                 pp_test_repeat 2; }
        location /allocs       { pp_test allocs; pp_test_size 64;
                                 pp_test_repeat 200; }
        location /body         { pp_test body; pp_test_size 1000;
                                 pp_test_repeat 10; }
        location /body-reuse   { pp_test body; pp_test_size 1000;
                                 pp_test_repeat 10; pp_test_filter reuse; }
        location /body-fresh   { pp_test body; pp_test_size 1000;
                                 pp_test_repeat 10; pp_test_filter fresh; }
        location /body-split   { pp_test body; pp_test_size 10000;
                                 pp_test_repeat 3; pp_test_filter reuse; }
        location /file-reuse   { alias $PP_TMP/file.txt; sendfile off;
                                 output_buffers 2 8k; pp_test_filter reuse; }
        location /file-fresh   { alias $PP_TMP/file.txt; sendfile on;
                                 pp_test_filter fresh; }
        location /return-reuse { pp_test_filter reuse;
                                 return 200 \"returned\\n\"; }"

# resp PATH [CURL ARGS...]: the body, then '|' and the status code
resp()
{
    pp__p=$1
    shift
    curl -sS --max-time 10 -w '|%{http_code}' "$@" \
        "http://127.0.0.1:$PP_PORT$pp__p"
}

# letters S R: what the body handler sends, R runs of S letters a, b, ...
letters()
{
    awk -v s="$1" -v r="$2" 'BEGIN {
        for (i = 0; i < r; i++) {
            c = sprintf("%c", 97 + i % 26)
            for (j = 0; j < s; j++) printf "%s", c
        }
    }'
}

# body_ok PATH FILE: status 200 and a body equal to FILE
body_ok()
{
    [ "$(curl -sS --max-time 10 -o "$PP_TMP/got" -w '%{http_code}' \
         "http://127.0.0.1:$PP_PORT$1")" = 200 ] \
        && cmp -s "$PP_TMP/got" "$2"
}

pp_plan 24

pp_nginx_start || pp_done

for m in noop_free reuse child_pool large_free foreign_free conn_pool \
         leak_pool allocs
do
    pp_is "$(resp /$m)" "$m ok
|200" "$m: 200 and its body"
done

pp_is "$(resp /large_small)" \
    "large_free: pp_test_size is not above the request pool's max
|500" "large_free below the pool's max: 500"

pp_is "$(resp /noop_via)" "noop_via ok
|200" "noop_via: path a by default"
pp_is "$(resp '/noop_via?path=b')" "noop_via ok
|200" "noop_via: path b"
pp_is "$(resp '/noop_via?path=c')" "noop_via: path must be a or b
|400" "noop_via: another path is 400"

pp_is "$(resp /noop_free --data-binary @"$PP_TMP/file.txt")" "noop_free ok
|200" "a request body is discarded"
pp_is "$(curl -sS --max-time 10 -w '|%{http_code}|%{num_connects}' \
         "http://127.0.0.1:$PP_PORT/conn_pool" \
         "http://127.0.0.1:$PP_PORT/conn_pool" \
         "http://127.0.0.1:$PP_PORT/leak_pool")" "conn_pool ok
|200|1conn_pool ok
|200|0leak_pool ok
|200|0" "three requests on one keepalive connection"

letters 1000 10 > "$PP_TMP/body.want"
letters 10000 3 > "$PP_TMP/split.want"

pp_ok "body: 10 buffers of 1000 letters" body_ok /body "$PP_TMP/body.want"
pp_is "$(curl -sS --max-time 10 -D - -o /dev/null \
         "http://127.0.0.1:$PP_PORT/body" \
         | tr -d '\r' | sed -n 's/^[Cc]ontent-[Ll]ength: //p')" 10000 \
    "body: Content-Length R*S"
pp_is "$(curl -sS --max-time 10 -I -w '%{http_code}' -o /dev/null \
         "http://127.0.0.1:$PP_PORT/body")" 200 "body: HEAD"
pp_ok "body through the reusing filter" \
    body_ok /body-reuse "$PP_TMP/body.want"
pp_ok "body through the fresh filter" \
    body_ok /body-fresh "$PP_TMP/body.want"
pp_ok "body of 10000-byte buffers split by the reusing filter" \
    body_ok /body-split "$PP_TMP/split.want"
pp_ok "a file read into memory, through the reusing filter" \
    body_ok /file-reuse "$PP_TMP/file.txt"
pp_ok "a file sent with sendfile, through the fresh filter" \
    body_ok /file-fresh "$PP_TMP/file.txt"
pp_is "$(resp /return-reuse)" "returned
|200" "return through the reusing filter"

pp_ok "nginx stopped" pp_nginx_stop

pp_done
