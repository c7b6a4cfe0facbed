#!/bin/sh
# tests/nginx-src.sh OUTDIR FLAVOR [MODULE_DIR MODULE_OUT]: builds
# upstream nginx (the nginx_*.orig.tar.gz of Debian's source package) as
# FLAVOR into OUTDIR/FLAVOR/sbin/nginx, once.  FLAVOR is gcc-O0,
# gcc-O3-cf or clang-O2.  With MODULE_DIR, it also builds that dynamic
# module for this nginx, every time (the module's source changes more
# often than nginx's): a fresh tree in MODULE_OUT/scratch configured the
# same way, its .so copied into MODULE_OUT.  The last line printed is
# nginx's path.  The tarball comes through a private apt configuration with
# deb-src entries made from the system's; the system's apt files are
# never changed.  Exits 77 when the source cannot be had, its last line
# the reason, a missing package (scripts/setup installs the compilers; the
# source comes from the same mirrors).

set -u

out=$1
flavor=$2
moddir=${3:-}
modout=${4:-}
# the suffix changes with the configure flags, so old builds are redone
dir=$out/$flavor-2

case $flavor in
gcc-O0)     cc=gcc;   opt='-O0 -g' ;;
gcc-O3-cf)  cc=gcc;   opt='-O3 -g -fcf-protection=full' ;;
clang-O2)   cc=clang; opt='-O2 -g' ;;
*)          echo "unknown flavor $flavor" >&2; exit 2 ;;
esac

# ngx_configure SRCDIR [ARGS...]: the one configuration of every build
ngx_configure()
{
    (cd "$1" && shift && ./configure --prefix="$dir" --with-cc="$cc" \
        --with-cc-opt="$opt" --with-threads --with-http_gunzip_module "$@")
}

# the module, once nginx is there: a tree of its own, nginx's flags
build_module()
{
    [ -n "$moddir" ] || return 0

    mkdir -p "$modout" && rm -rf "$modout/scratch" &&
        mkdir "$modout/scratch" || exit 1
    tar -xzf "$tarball" -C "$modout/scratch" || exit 1
    msrc=$(ls -d "$modout"/scratch/nginx-*/ | head -n 1)

    unset CFLAGS CPPFLAGS LDFLAGS MAKEFLAGS MFLAGS MAKELEVEL
    if ! { ngx_configure "$msrc" --add-dynamic-module="$moddir" &&
           (cd "$msrc" && make -f objs/Makefile modules); } \
           > "$modout/build.log" 2>&1
    then
        echo "building the module in $moddir for nginx ($flavor) failed:" >&2
        tail -n 20 "$modout/build.log" >&2
        exit 1
    fi

    cp "$msrc"/objs/*.so "$modout/" && rm -rf "$modout/scratch" || exit 1
}

tarball=$(ls "$out"/src/nginx_*.orig.tar.gz 2>/dev/null | head -n 1)

# built already: only a module needs the tarball again
if [ -x "$dir/sbin/nginx" ] && { [ -z "$moddir" ] || [ -n "$tarball" ]; }
then
    build_module
    echo "$dir/sbin/nginx"
    exit 0
fi

command -v "$cc" >/dev/null 2>&1 || {
    echo "missing package $cc: $cc is not installed" >&2
    exit 77
}

mkdir -p "$out"

# one download for every flavor
if [ -z "$tarball" ]; then
    apt=$out/apt
    mkdir -p "$apt/etc" "$apt/lists/partial" "$apt/cache/archives/partial" \
             "$out/src"

    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        sed -n '/^Types:.*deb/,/^$/p' "$f" \
            | sed 's/^Types:.*/Types: deb-src/' > "$apt/etc/$(basename "$f")"
    done
    if [ -f /etc/apt/sources.list ]; then
        sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list \
            > "$apt/etc/sources.list"
    fi

    cat > "$apt/apt.conf" <<EOC
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc";
Dir::State::Lists "$apt/lists";
Dir::Cache "$apt/cache";
EOC
    touch "$apt/etc/sources.list"

    APT_CONFIG=$apt/apt.conf apt-get update -qq > "$out/apt.log" 2>&1
    # the .dsc may be missing from a mirror; the upstream tarball is enough
    (cd "$out/src" && APT_CONFIG=$apt/apt.conf \
        apt-get source --download-only nginx >> "$out/apt.log" 2>&1)
    tarball=$(ls "$out"/src/nginx_*.orig.tar.gz 2>/dev/null | head -n 1)

    if [ -z "$tarball" ]; then
        tail -n 5 "$out/apt.log" >&2
        echo "missing package nginx (source): apt-get source cannot" \
             "download it" >&2
        exit 77
    fi
fi

if [ -x "$dir/sbin/nginx" ]; then
    build_module
    echo "$dir/sbin/nginx"
    exit 0
fi

rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
tar -xzf "$tarball" -C "$dir.tmp" || exit 1
src=$(ls -d "$dir.tmp"/nginx-*/ | head -n 1)

(
    ngx_configure "$src" &&
    cd "$src" &&
    make -j"$(nproc)" &&
    make install
) > "$out/$flavor.log" 2>&1

if [ ! -x "$dir/sbin/nginx" ]; then
    echo "building nginx ($flavor) failed:" >&2
    tail -n 20 "$out/$flavor.log" >&2
    exit 1
fi

rm -rf "$dir.tmp"
build_module
echo "$dir/sbin/nginx"
