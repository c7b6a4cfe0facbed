# tests/lib.sh: shared helpers for poolprof's shell tests.  Source it.
#
# TAP:     pp_plan N; pp_ok DESC CMD...; pp_is GOT WANT DESC;
#          pp_skip_all REASON (exit 77); pp_skip DESC REASON; pp_diag TEXT;
#          pp_done
# needs:   pp_need TOOL...; pp_have TOOL; pp_missing TOOL;
#          pp_need_built FILE...; pp_need_nginx; pp_need_module
# nginx:   pp_nginx_start (reads PP_SERVER, PP_HTTP, PP_MAIN, PP_WORKERS,
#          PP_PRELOAD, PP_ENV, PP_LOAD_MODULE); pp_get PATH [CURL ARGS];
#          pp_requests N PATH;
#          pp_nginx_stop; pp_nginx_signal SIG
#
# Every test gets its own directory ($PP_TMP) and its own port on
# 127.0.0.1; nothing outside $PP_TMP is written, so tests run in
# parallel.  An EXIT trap stops nginx and removes $PP_TMP; the nginx
# error log is printed (as TAP comments) only when a test failed.

: "${NGINX:=/usr/sbin/nginx}"

# nginx reads an NGINX environment variable as the listening sockets a
# binary upgrade hands over (and then neither daemonizes nor upgrades):
# keep the path as a shell variable that no child inherits
pp__nginx=$NGINX
unset NGINX
NGINX=$pp__nginx
: "${PP_WORKERS:=1}"
: "${PP_PRELOAD:=}"
: "${PP_ENV:=}"
: "${PP_SERVER:=}"
: "${PP_HTTP:=}"
: "${PP_MAIN:=}"
: "${PP_LOAD_MODULE:=0}"

# the reporter fetches debug files from $DEBUGINFOD_URLS, which a
# desktop's profile may set: only a test that starts its own server does
unset DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH

pp_testno=0
pp_failed=0
pp_nginx_pid=
PP_PORT=

PP_TMP=$(mktemp -d "${TMPDIR:-/tmp}/poolprof-test.XXXXXX") || exit 99
chmod 755 "$PP_TMP"

pp_cleanup()
{
    if [ -n "$pp_nginx_pid" ] && pp_pid_alive "$pp_nginx_pid"; then
        kill -KILL "$pp_nginx_pid" 2>/dev/null
        pkill -KILL -P "$pp_nginx_pid" 2>/dev/null
    fi

    if [ "$pp_failed" -ne 0 ] && [ -f "$PP_TMP/nginx/logs/error.log" ]; then
        echo "# --- nginx error log ---"
        tail -n 60 "$PP_TMP/nginx/logs/error.log" | sed 's/^/# /'
        [ -s "$PP_TMP/nginx.stderr" ] && sed 's/^/# stderr: /' \
            "$PP_TMP/nginx.stderr" | tail -n 30
    fi

    if [ -z "${PP_KEEP:-}" ]; then
        rm -rf "$PP_TMP"
    else
        echo "# kept $PP_TMP"
    fi
}

trap pp_cleanup EXIT
trap 'exit 130' INT TERM


# --- TAP --------------------------------------------------------------

pp_plan()
{
    echo "1..$1"
}

# pp_skip_all REASON: the whole test skips (exit 77)
pp_skip_all()
{
    echo "1..0 # SKIP $*"
    exit 77
}

# pp_skip DESC REASON: one test point skips
pp_skip()
{
    pp_testno=$((pp_testno + 1))
    echo "ok $pp_testno - $1 # SKIP $2"
}

pp_diag()
{
    printf '%s\n' "$*" | sed 's/^/# /'
}

pp_pass()
{
    pp_testno=$((pp_testno + 1))
    echo "ok $pp_testno - $1"
}

pp_fail()
{
    pp_testno=$((pp_testno + 1))
    pp_failed=$((pp_failed + 1))
    echo "not ok $pp_testno - $1"
}

# pp_ok DESC CMD [ARGS...]: passes when CMD succeeds
pp_ok()
{
    pp__desc=$1
    shift

    if "$@"; then
        pp_pass "$pp__desc"
    else
        pp_fail "$pp__desc"
    fi
}

# pp_is GOT WANT DESC: exact string comparison
pp_is()
{
    if [ "x$1" = "x$2" ]; then
        pp_pass "$3"
    else
        pp_fail "$3"
        pp_diag "     got: '$1'" "expected: '$2'"
    fi
}

# pp_quiet CMD...: CMD with its output discarded (for pp_ok)
pp_quiet()
{
    "$@" >/dev/null 2>&1
}

pp_done()
{
    [ "$pp_failed" -eq 0 ]
    exit $?
}

# --- what a test needs ------------------------------------------------
#
# A skip has one of two kinds of reason, told apart by its first words.
# "missing package PKG: ..." (pp_missing) is something scripts/setup
# installs on Debian, so scripts/check counts that skip as a failure.
# Any other reason is what Debian cannot provide (a second CPU, a kernel
# feature) and stays a skip.

# pp_package TOOL: the Debian package that installs TOOL; every package
# named here is in scripts/setup's list
pp_package()
{
    case $1 in
    nginx)                      echo nginx-core ;;
    xmllint)                    echo libxml2-utils ;;
    systemd-analyze)            echo systemd ;;
    pkill|pgrep)                echo procps ;;
    taskset|setsid|setpriv|unshare) echo util-linux ;;
    readelf|objdump|nm|objcopy|strip) echo binutils ;;
    mkfifo|truncate|stat)       echo coreutils ;;
    cmp)                        echo diffutils ;;
    timeout|od|nproc)           echo coreutils ;;
    perl)                       echo perl-base ;;
    callgrind_annotate)         echo valgrind ;;
    h2load)                     echo nghttp2-client ;;
    go)                         echo golang-go ;;
    promtool)                   echo prometheus ;;
    *)                          echo "$1" ;;
    esac
}

# pp_missing TOOL [WHAT]: the reason for a skip without TOOL
pp_missing()
{
    echo "missing package $(pp_package "$1"): ${2:-$1 is not installed}"
}

# pp_have TOOL: TOOL is on PATH
pp_have()
{
    command -v "$1" >/dev/null 2>&1
}

# pp_need TOOL...: skips, as a missing package, unless every TOOL is here
pp_need()
{
    for pp__cmd in "$@"; do
        pp_have "$pp__cmd" || pp_skip_all "$(pp_missing "$pp__cmd")"
    done
}

# pp_need_built FILE...: `make check` builds every FILE before the tests
# run, so one that is missing is an error, not a skip
pp_need_built()
{
    for pp__f in "$@"; do
        if [ ! -e "$pp__f" ]; then
            echo "Bail out! $pp__f is not built"
            exit 99
        fi
    done
}

pp_need_nginx()
{
    [ -x "$NGINX" ] || pp_skip_all "$(pp_missing nginx "no nginx at $NGINX")"
    pp_need curl
}

# without nginx-dev, tests/modules/build.sh builds no module
pp_need_module()
{
    pp_need_nginx
    [ -f "${PP_MODULE:-}" ] \
        || pp_skip_all "$(pp_missing nginx-dev "the test module is not built")"
    PP_LOAD_MODULE=1
}


# --- nginx ------------------------------------------------------------

pp_nginx_conf()
{
    pp__p=$PP_TMP/nginx

    {
        echo "worker_processes $PP_WORKERS;"
        if [ "${PP_DAEMON:-0}" = 1 ]; then
            echo "daemon on;"
        else
            echo "daemon off;"
        fi
        echo "master_process on;"
        echo "pid $pp__p/nginx.pid;"
        echo "lock_file $pp__p/nginx.lock;"
        echo "error_log $pp__p/logs/error.log ${PP_ERROR_LEVEL:-notice};"
        if [ "$(id -u)" -eq 0 ]; then
            echo "user root root;"
        fi
        if [ "$PP_LOAD_MODULE" = 1 ]; then
            echo "load_module $PP_MODULE;"
        fi
        printf '%s\n' "$PP_MAIN"
        echo "events { worker_connections 512; }"
        echo "http {"
        echo "    access_log off;"
        echo "    default_type application/octet-stream;"
        for pp__t in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${pp__t}_temp_path $pp__p/tmp/$pp__t;"
        done
        printf '%s\n' "$PP_HTTP"
        echo "    server {"
        echo "        listen 127.0.0.1:$PP_PORT;"
        echo "        server_name localhost;"
        echo "        root $pp__p/html;"
        echo "        location = /pp-alive { return 200 \"alive $PP_TOKEN\\n\"; }"
        printf '%s\n' "$PP_SERVER"
        echo "    }"
        echo "}"
    } > "$pp__p/conf/nginx.conf"
}

# pp_port: a random port for a server on 127.0.0.1, outside the
# kernel's ephemeral range (below it, or above it when it starts low).
# Clients' ports come from that range (curl, wrk, a scrape of another
# test running at the same time), and a server's bind() to one of them
# fails for as long as that connection lives: nginx logs [emerg] for
# each retry even when a later one succeeds.  The port after it is
# outside too (tls-h2's second listen).
pp_port()
{
    read -r pp__lo pp__hi 2>/dev/null \
        < /proc/sys/net/ipv4/ip_local_port_range
    case $pp__lo.$pp__hi in
    *[!0-9.]*|.*|*.) pp__lo=32768 pp__hi=60999 ;;
    esac
    pp__r=$(od -An -N2 -tu2 /dev/urandom)

    if [ "$pp__lo" -gt 12000 ]; then
        echo $((10000 + pp__r % (pp__lo - 10001)))
    elif [ "$pp__hi" -lt 63000 ]; then
        echo $((pp__hi + 1 + pp__r % (65534 - pp__hi - 1)))
    else
        # no room outside it: anywhere, and a clash is one more try
        echo $((20000 + pp__r % 40000))
    fi
}

# pp_nginx_start: starts nginx in the foreground of a background job
# (daemon off), so the test owns the master and can wait for it.
pp_nginx_start()
{
    pp__p=$PP_TMP/nginx
    mkdir -p "$pp__p/conf" "$pp__p/logs" "$pp__p/html" "$pp__p/tmp"
    chmod a+rx "$PP_TMP"
    chmod -R a+rX "$pp__p"

    for pp__try in 1 2 3 4 5 6 7 8 9 10; do
        PP_PORT=$(pp_port)
        # what only this nginx answers: not another server on the port
        PP_TOKEN=$$.$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
        pp_nginx_conf
        : > "$pp__p/logs/error.log"

        # segments are kept for the test to read, and made in $PP_TMP
        # unless the test says otherwise (PP_ENV comes last and wins)
        # shellcheck disable=SC2086
        env ${PP_PRELOAD:+LD_PRELOAD=$PP_PRELOAD POOLPROF_KEEP=1} \
            ${PP_PRELOAD:+POOLPROF_DIR=$PP_TMP/shm} $PP_ENV \
            "$NGINX" -p "$pp__p/" -c "$pp__p/conf/nginx.conf" \
            2>"$PP_TMP/nginx.stderr" &
        pp_nginx_pid=$!

        if [ "${PP_DAEMON:-0}" = 1 ]; then
            # the launcher exits once the daemon runs; the pid file names it
            wait "$pp_nginx_pid"
            pp_nginx_pid=
            pp_wait_until 10 test -s "$pp__p/nginx.pid" \
                && pp_nginx_pid=$(cat "$pp__p/nginx.pid")
        fi

        pp__i=0
        while [ -n "$pp_nginx_pid" ] && [ $pp__i -lt 100 ]; do
            if ! pp_pid_alive "$pp_nginx_pid"; then
                break
            fi
            if [ "$(curl -s --max-time 1 \
                    "http://127.0.0.1:$PP_PORT/pp-alive")" \
                    = "alive $PP_TOKEN" ]
            then
                return 0
            fi
            sleep 0.1
            pp__i=$((pp__i + 1))
        done

        [ -n "$pp_nginx_pid" ] && wait "$pp_nginx_pid" 2>/dev/null
        pp_nginx_pid=
        if grep -q 'Address already in use' "$pp__p/logs/error.log" \
            "$PP_TMP/nginx.stderr" 2>/dev/null
        then
            # the port was taken; the unix sockets this nginx made before
            # it gave up would take the next try's place
            sed -n 's/^ *listen unix:\([^ ;]*\).*/\1/p' \
                "$pp__p/conf/nginx.conf" \
                | while IFS= read -r pp__s; do
                      [ -S "$pp__s" ] && rm -f "$pp__s"
                  done
            continue
        fi
        break
    done

    pp_fail "nginx started"
    pp_diag "$(cat "$PP_TMP/nginx.stderr" "$pp__p/logs/error.log" \
               2>/dev/null | tail -n 20)"
    return 1
}

pp_nginx_signal()
{
    kill -"$1" "$pp_nginx_pid"
}

# pp_pid_alive PID: running (a zombie counts as gone: PID 1 may not reap)
pp_pid_alive()
{
    [ -r "/proc/$1/stat" ] || return 1
    ! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'
}

# pp_children PID: the pids of PID's live children, one a line
pp_children()
{
    for pp__s in /proc/[0-9]*/stat; do
        sed -n "s/^\([0-9]*\) (.*) [^Z] $1 .*/\1/p" "$pp__s" 2>/dev/null
    done
}

# pp_wait_until SECONDS CMD...: polls CMD every 0.1 s, bounded
pp_wait_until()
{
    pp__n=$(($1 * 10))
    shift
    while [ "$pp__n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        pp__n=$((pp__n - 1))
    done
    return 1
}

# pp_nginx_stop: graceful stop (QUIT), at most 20 s; then it is a failure.
pp_nginx_stop()
{
    [ -n "$pp_nginx_pid" ] || return 1

    kill -QUIT "$pp_nginx_pid" 2>/dev/null
    pp__i=0
    while pp_pid_alive "$pp_nginx_pid"; do
        if [ $pp__i -ge 200 ]; then
            pp_fail "nginx stopped gracefully within 20 s"
            kill -KILL "$pp_nginx_pid" 2>/dev/null
            pkill -KILL -P "$pp_nginx_pid" 2>/dev/null
            wait "$pp_nginx_pid" 2>/dev/null
            pp_nginx_pid=
            return 1
        fi
        sleep 0.1
        pp__i=$((pp__i + 1))
    done

    wait "$pp_nginx_pid" 2>/dev/null
    pp_nginx_pid=

    # a test that kills a worker itself sets PP_KILLED to its pid
    if grep -E 'exited on signal|\[emerg\]|\[alert\]' \
        "$PP_TMP/nginx/logs/error.log" 2>/dev/null \
        | grep -v "worker process ${PP_KILLED:-none} exited on signal 9" \
        | grep -q .
    then
        pp_fail "nginx error log has no crash, alert or emerg"
        pp_diag "$(grep -E 'exited on signal|\[emerg\]|\[alert\]' \
                   "$PP_TMP/nginx/logs/error.log" | head -n 5)"
        return 1
    fi

    return 0
}

# pp_urls N PATH [PORT]: N copies of http://127.0.0.1:PORT/PATH, PORT
# being $PP_PORT unless given, for one curl (keepalive)
pp_urls()
{
    pp__urls=
    pp__i=0
    while [ "$pp__i" -lt "$1" ]; do
        pp__urls="$pp__urls http://127.0.0.1:${3:-$PP_PORT}$2"
        pp__i=$((pp__i + 1))
    done
    echo "$pp__urls"
}


# pp_requests N PATH [CURL ARGS...]: N GETs of PATH on one curl
# (keepalive), bodies dropped; fails when curl does
pp_requests()
{
    pp__list=$(pp_urls "$1" "$2")
    shift 2
    # shellcheck disable=SC2086
    curl -sS --max-time 30 "$@" -o /dev/null $pp__list >/dev/null
}


# pp_get PATH [CURL ARGS...]: the body of http://127.0.0.1:$PP_PORT/PATH
pp_get()
{
    pp__path=$1
    shift
    curl -sS --max-time 10 "$@" "http://127.0.0.1:$PP_PORT$pp__path"
}

# pp_status PATH: the HTTP status code only
pp_status()
{
    curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
        "http://127.0.0.1:$PP_PORT$1"
}


# pp_report_bad DESC RC PATTERN ARGS...: poolprof-report ARGS exits RC
# within 20 s, prints nothing on stdout and one line on stderr that
# matches PATTERN ($PP_REPORT; its output goes to $PP_TMP)
pp_report_bad()
{
    pp__desc=$1
    pp__want=$2
    pp__pat=$3
    shift 3

    timeout 20 "$PP_REPORT" "$@" > "$PP_TMP/bad.out" 2> "$PP_TMP/bad.err"
    pp__rc=$?

    if [ "$pp__rc" = "$pp__want" ] && [ "$(wc -l < "$PP_TMP/bad.err")" -eq 1 ] \
        && grep -q -- "$pp__pat" "$PP_TMP/bad.err" && [ ! -s "$PP_TMP/bad.out" ]
    then
        pp_pass "$pp__desc"
    else
        pp_fail "$pp__desc"
        pp_diag "exit $pp__rc (want $pp__want), stderr:" \
            "$(head -n 5 "$PP_TMP/bad.err")"
    fi
}
