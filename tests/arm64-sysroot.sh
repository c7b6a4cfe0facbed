#!/bin/sh
# tests/arm64-sysroot.sh OUTDIR [PACKAGE...]: a sysroot of Debian's arm64
# packages in OUTDIR/sysroot, for a cross build (--host=aarch64-linux-gnu)
# and for arm64 programs under qemu-user.  By default the libraries that
# the shim and the reporter link (libunwind, elfutils, zlib) with their
# -dev packages; more packages (nginx-core and its libraries) may be
# named.  The .debs come through a private apt configuration with
# APT::Architecture=arm64 and the system's sources, are unpacked with
# dpkg -x (no multiarch install, nothing of the system's changed) and
# kept in OUTDIR/debs; a package already unpacked is not fetched again.
# The last line printed is the sysroot.  Exits 77 when a package cannot
# be had, the last line the reason.

set -u

mkdir -p "$1" && out=$(cd "$1" && pwd) || exit 1
shift

[ $# -gt 0 ] || set -- libunwind-dev libunwind8 liblzma-dev liblzma5 \
    libelf-dev libelf1 libdw-dev libdw1 zlib1g-dev zlib1g libzstd1 \
    libbz2-1.0

root=$out/sysroot
apt=$out/apt
mkdir -p "$root" "$out/debs" "$apt/etc" "$apt/lists/partial" \
         "$apt/cache/archives/partial" || exit 1

for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed -n '/^Types:.*deb/,/^$/p' "$f" \
        | sed 's/^Types:.*/Types: deb/' > "$apt/etc/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
    grep '^deb ' /etc/apt/sources.list > "$apt/etc/sources.list"
fi
touch "$apt/etc/sources.list" "$apt/status"

cat > "$apt/apt.conf" <<EOC
APT::Architecture "arm64";
APT::Architectures { "arm64"; };
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc";
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt/cache";
EOC

# the lists once; a package fetched later is of the same snapshot
if [ ! -f "$apt/updated" ]; then
    APT_CONFIG=$apt/apt.conf apt-get update -qq > "$out/apt.log" 2>&1 &&
        : > "$apt/updated"
fi

for p in "$@"; do
    [ -f "$root/.unpacked-$p" ] && continue

    deb=$(ls "$out/debs/${p}_"*_arm64.deb "$out/debs/${p}_"*_all.deb \
              2>/dev/null | head -n 1)
    if [ -z "$deb" ]; then
        (cd "$out/debs" && APT_CONFIG=$apt/apt.conf \
            apt-get download "$p:arm64" >> "$out/apt.log" 2>&1) ||
        (cd "$out/debs" && APT_CONFIG=$apt/apt.conf \
            apt-get download "$p" >> "$out/apt.log" 2>&1)
        deb=$(ls "$out/debs/${p}_"*_arm64.deb "$out/debs/${p}_"*_all.deb \
                  2>/dev/null | head -n 1)
    fi

    if [ -z "$deb" ]; then
        tail -n 5 "$out/apt.log" >&2
        echo "missing package $p:arm64: apt-get download cannot fetch it"
        exit 77
    fi

    dpkg -x "$deb" "$root" && : > "$root/.unpacked-$p" || exit 1
done

# the -dev packages' .so links are absolute: /usr/lib/... is the host's
for l in "$root"/usr/lib/aarch64-linux-gnu/*.so; do
    [ -L "$l" ] || continue
    t=$(readlink "$l")
    case $t in
    /*) ln -sf "$root$t" "$l" ;;
    esac
done

echo "$root"
