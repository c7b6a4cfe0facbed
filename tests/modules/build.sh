#!/bin/sh
# tests/modules/build.sh NGINX_SRC MODULE_SRC_DIR OUT_DIR: builds the test
# module against nginx-dev the way Debian builds its own dynamic modules:
# a fresh scratch copy of NGINX_SRC (OUT_DIR/scratch), ./configure with
# the flags of NGINX_SRC/conf_flags plus --add-dynamic-module, then
# `make -f objs/Makefile modules`.  The result, with its symbols (the
# profiler names handlers from .symtab), is
# OUT_DIR/ngx_http_poolprof_test_module.so.  Output goes to
# OUT_DIR/build.log; its tail is printed on failure.
#
# Without nginx-dev (NGINX_SRC empty or missing) it says so and exits 0
# without building anything: the module tests then skip.

set -u

src=${1:-}
mod=${2:-}
out=${3:-}
so=ngx_http_poolprof_test_module.so

if [ -z "$mod" ] || [ -z "$out" ]; then
    echo "usage: build.sh NGINX_SRC MODULE_SRC_DIR OUT_DIR" >&2
    exit 2
fi

if [ -z "$src" ] || [ ! -f "$src/conf_flags" ] || [ ! -f "$src/configure" ]
then
    echo "build.sh: no nginx-dev tree at '${src}'; the test module is not" \
         "built and its tests will skip"
    exit 0
fi

case $mod in
/*) ;;
*)  mod=$(cd "$mod" && pwd) || exit 1 ;;
esac

mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd) || exit 1
log=$out/build.log

fail()
{
    echo "build.sh: failed to $1; the end of $log:" >&2
    tail -n 30 "$log" | sed 's/^/    /' >&2
    exit 1
}

# conf_flags is bash: NGX_CONF_FLAGS=( --a --b=c ... ).  bash re-quotes
# it for eval; without bash, the array's words are taken as they stand.
if command -v bash >/dev/null 2>&1; then
    flags=$(bash -c '. "$1" || exit 1
                     for f in "${NGX_CONF_FLAGS[@]}"; do
                         printf "%q " "$f"
                     done' sh "$src/conf_flags") \
        || { echo "build.sh: failed to read $src/conf_flags" >&2; exit 1; }
else
    flags=$(sed -n '/^NGX_CONF_FLAGS=(/,/)/p' "$src/conf_flags" \
            | sed 's/^NGX_CONF_FLAGS=(//; s/)[[:space:]]*$//' | tr '\n' ' ')
fi

if [ -z "$flags" ]; then
    echo "build.sh: failed to read the flags in $src/conf_flags" >&2
    exit 1
fi

rm -rf "$out/scratch"
cp -R "$src" "$out/scratch" || exit 1
chmod u+w -R "$out/scratch"

# nginx's configure starts from its own warning flags (-W -Wall -Werror)
# only when CFLAGS is unset; the parent make's flags are not for nginx.
unset CFLAGS CPPFLAGS LDFLAGS MAKEFLAGS MFLAGS MAKELEVEL

eval "set -- $flags"

: > "$log"

(cd "$out/scratch" && sh ./configure "$@" --with-cc-opt='-g -O2' \
     --add-dynamic-module="$mod") >> "$log" 2>&1 \
    || fail "configure nginx-dev with the test module"

(cd "$out/scratch" && ${MAKE_NGINX:-make} -f objs/Makefile modules) \
    >> "$log" 2>&1 \
    || fail "compile the test module"

cp "$out/scratch/objs/$so" "$out/$so.tmp" && mv -f "$out/$so.tmp" "$out/$so" \
    || exit 1

echo "build.sh: built $out/$so"
