#!/bin/bash
# Fetch leg B of the real-kernel matrix: Debian's kernel 6.12 and QEMU 10.0
# from bookworm-backports (what Debian 13 users have), unpacked into the
# cache. Nothing is installed: the system's QEMU and apt state are left
# alone (a private apt configuration, apt-get download, dpkg -x).
#
#   tests/vm/fetch-backports.sh        fetch if not cached; print the folder
#
# The cache folder (cache-dir.sh) gets:
#   apt-bpo/            the private apt configuration: sources.list (this
#                       machine's Debian mirror, suites bookworm and
#                       bookworm-backports), lists/, cache/
#   kernel-bpo/         the unpacked kernel package (boot/vmlinuz-*,
#                       lib/modules/*); kernel-bpo.version its release,
#                       kernel-bpo.package its name and version
#   qemu-bpo/           qemu-system-x86 and what it needs beyond this
#                       machine's installed packages, unpacked; the wrapper
#                       qemu-bpo/qemu-system-x86_64 runs it with its own
#                       firmware (-L), modules (QEMU_MODULE_DIR) and, when
#                       some were needed, libraries (LD_LIBRARY_PATH);
#                       qemu-bpo.packages lists what was unpacked
#
# Idempotent: with both in the cache it does nothing (no network). Set
# VFIOCTL_VM_REFRESH=1 to look for newer packages. The mirror is the one
# this machine's apt sources name for bookworm (VFIOCTL_VM_MIRROR
# overrides it). Fails with a message saying what went wrong.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=$(bash "$here/cache-dir.sh")
suite=bookworm-backports
mkdir -p "$cache"
# The legs run side by side and each fetches what it lacks: one fetch at a
# time, and the ones that waited find the cache filled.
exec 9>"$cache/.fetch-bpo.lock"
flock 9

die() {
        echo "fetch-backports: $*" >&2
        exit 1
}
trap 'echo "fetch-backports: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

have_kernel() {
        [ -s "$cache/kernel-bpo.version" ] || return 1
        local v
        v=$(cat "$cache/kernel-bpo.version")
        [ -f "$cache/kernel-bpo/boot/vmlinuz-$v" ] && [ -d "$cache/kernel-bpo/lib/modules/$v/kernel" ]
}
have_qemu() {
        [ -x "$cache/qemu-bpo/qemu-system-x86_64" ] && [ -s "$cache/qemu-bpo.packages" ]
}
if have_kernel && have_qemu && [ "${VFIOCTL_VM_REFRESH:-0}" != 1 ]; then
        echo "$cache"
        exit 0
fi

# --- a private apt configuration -------------------------------------------
# The mirror: the URI this machine's apt sources give the bookworm suite.
mirror=${VFIOCTL_VM_MIRROR:-}
if [ -z "$mirror" ]; then
        mirror=$(
                {
                        # deb822 .sources: a stanza with URIs and Suites
                        cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
                                /^URIs:/ { u = $2 } /^Suites:/ { s = $0 }
                                /^$/ { if (s ~ / bookworm( |$)/ && u != "") print u; u = ""; s = "" }
                                END { if (s ~ / bookworm( |$)/ && u != "") print u }'
                        # one-line sources.list
                        cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                                sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*main.*/\2/p'
                } | grep -v -- '-security' | head -n1
        ) || true
fi
[ -n "$mirror" ] || die "no Debian mirror for bookworm in /etc/apt/sources* (set VFIOCTL_VM_MIRROR)"

apt=$cache/apt-bpo
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
signed=
[ -f "$keyring" ] && signed="[signed-by=$keyring] "
cat >"$apt/sources.list" <<EOF
deb ${signed}$mirror bookworm main
deb ${signed}$mirror $suite main
EOF
# Own lists, own package cache, no lock on the system's; the download runs
# as root (the _apt sandbox user may not write into the cache folder).
aptopts=(
        -o "Dir::Etc::SourceList=$apt/sources.list"
        -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt/lists"
        -o "Dir::Cache=$apt/cache"
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
        -o Debug::NoLocking=1
        -o APT::Sandbox::User=root
)
echo "fetch-backports: apt-get update of bookworm and $suite (private lists in $apt)" >&2
if ! apt-get "${aptopts[@]}" -q update >"$apt/update.log" 2>&1 ||
        grep -qE '^(E:|Err:)' "$apt/update.log"; then
        cat "$apt/update.log" >&2
        die "apt-get update of $suite from $mirror failed: is the Debian mirror reachable?"
fi

tmp=$(mktemp -d "$cache/.fetch-bpo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# download PKG=VERSION...: apt-get download into $tmp/debs.
download() {
        mkdir -p "$tmp/debs"
        (cd "$tmp/debs" && apt-get "${aptopts[@]}" -q download "$@" >&2) ||
                die "apt-get download $* failed: is the Debian mirror reachable?"
}

# --- the kernel ----------------------------------------------------------------
# linux-image-amd64 in backports depends on the versioned image package
# (linux-image-6.12.NN+bpo-amd64); take its -unsigned build when there is one.
if ! have_kernel || [ "${VFIOCTL_VM_REFRESH:-0}" = 1 ]; then
        pkg=$(apt-cache "${aptopts[@]}" -o APT::Default-Release=$suite depends linux-image-amd64 |
                sed -n 's/^ *Depends: \(linux-image-6\.[0-9][^ ]*\)$/\1/p' | head -n1)
        [ -n "$pkg" ] || die "cannot resolve linux-image-amd64 in $suite"
        if apt-cache "${aptopts[@]}" show "$pkg-unsigned" >/dev/null 2>&1; then
                pkg=$pkg-unsigned
        fi
        ver=$(apt-cache "${aptopts[@]}" -o APT::Default-Release=$suite policy "$pkg" |
                sed -n 's/^  Candidate: //p')
        case $ver in 6.12*) ;; *) die "$pkg from $suite is version '$ver', not 6.12" ;; esac
        if ! have_kernel || [ "$(cat "$cache/kernel-bpo.package" 2>/dev/null)" != "$pkg $ver" ]; then
                echo "fetch-backports: downloading $pkg $ver" >&2
                rm -rf "$tmp/debs"
                download "$pkg=$ver"
                dpkg -x "$tmp"/debs/*.deb "$tmp/kernel"
                release=$(ls "$tmp/kernel/lib/modules" | head -n1)
                [ -f "$tmp/kernel/boot/vmlinuz-$release" ] && [ -d "$tmp/kernel/lib/modules/$release/kernel" ] ||
                        die "$pkg has no vmlinuz-$release or modules"
                rm -rf "$cache/kernel-bpo"
                mv "$tmp/kernel" "$cache/kernel-bpo"
                echo "$release" >"$cache/kernel-bpo.version"
                echo "$pkg $ver" >"$cache/kernel-bpo.package"
                echo "fetch-backports: unpacked kernel $release into $cache/kernel-bpo" >&2
        fi
fi

# --- QEMU ------------------------------------------------------------------------
# What installing qemu-system-x86 from backports would install or upgrade
# on this machine (a simulation against the installed packages): QEMU's
# own packages (-common, -data, firmware) and any library newer than
# bookworm's or not installed yet. Those are downloaded and unpacked.
if ! have_qemu || [ "${VFIOCTL_VM_REFRESH:-0}" = 1 ]; then
        apt-get "${aptopts[@]}" -s --no-install-recommends install "qemu-system-x86/$suite" \
                >"$tmp/simulate.log" 2>&1 || { cat "$tmp/simulate.log" >&2; die "apt-get cannot resolve qemu-system-x86 from $suite"; }
        mapfile -t pkgs < <(sed -n 's/^Inst \([^ ]*\) \(\[[^]]*\] \)\{0,1\}(\([^ ]*\) .*/\1=\3/p' "$tmp/simulate.log")
        printf '%s\n' "${pkgs[@]}" | grep -q '^qemu-system-x86=1:10\.' ||
                die "qemu-system-x86 from $suite is not QEMU 10 ($(printf '%s ' "${pkgs[@]}"))"
        echo "fetch-backports: downloading ${pkgs[*]}" >&2
        rm -rf "$tmp/debs"
        download "${pkgs[@]}"
        mkdir -p "$tmp/qemu"
        for deb in "$tmp"/debs/*.deb; do dpkg -x "$deb" "$tmp/qemu"; done
        q=$tmp/qemu
        [ -x "$q/usr/bin/qemu-system-x86_64" ] || die "no usr/bin/qemu-system-x86_64 in the unpacked packages"
        # The firmware folder holds absolute symlinks (/usr/share/seabios/...):
        # point those whose target was unpacked too at the unpacked copy.
        find "$q" -type l -lname '/*' -print0 | while IFS= read -r -d '' l; do
                t=$(readlink "$l")
                [ -e "$q$t" ] && ln -sfn "$q$t" "$l.new" && mv -T "$l.new" "$l"
        done
        libs=no
        ls "$q"/usr/lib/x86_64-linux-gnu/*.so* "$q"/lib/x86_64-linux-gnu/*.so* >/dev/null 2>&1 && libs=yes
        cat >"$q/qemu-system-x86_64" <<'EOF'
#!/bin/sh
# QEMU from bookworm-backports, unpacked by tests/vm/fetch-backports.sh:
# its own firmware, modules and (when it needed newer ones) libraries.
d=$(dirname "$(readlink -f "$0")")
export QEMU_MODULE_DIR="$d/usr/lib/x86_64-linux-gnu/qemu"
EOF
        [ $libs = yes ] && cat >>"$q/qemu-system-x86_64" <<'EOF'
export LD_LIBRARY_PATH="$d/usr/lib/x86_64-linux-gnu:$d/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
EOF
        # -L for each firmware folder unpacked (Debian's QEMU searches
        # /usr/share/qemu, /usr/share/seabios, /usr/lib/ipxe/qemu; the
        # system's folders stay the fall-back)
        fw=
        for f in usr/share/qemu usr/share/seabios usr/lib/ipxe/qemu; do
                [ -d "$q/$f" ] && fw+=" -L \"\$d/$f\""
        done
        echo "exec \"\$d/usr/bin/qemu-system-x86_64\"$fw \"\$@\"" >>"$q/qemu-system-x86_64"
        chmod 0755 "$q/qemu-system-x86_64"
        "$q/qemu-system-x86_64" --version >"$tmp/version" 2>&1 ||
                { cat "$tmp/version" >&2; die "the unpacked QEMU does not run"; }
        # the absolute links were made for $tmp/qemu: redo them for the final place
        rm -rf "$cache/qemu-bpo"
        mv "$q" "$cache/qemu-bpo"
        find "$cache/qemu-bpo" -type l -lname "$tmp/qemu/*" -print0 | while IFS= read -r -d '' l; do
                t=$(readlink "$l")
                ln -sfn "$cache/qemu-bpo${t#"$tmp"/qemu}" "$l"
        done
        printf '%s\n' "${pkgs[@]}" >"$cache/qemu-bpo.packages"
        echo "fetch-backports: $(head -n1 "$tmp/version") in $cache/qemu-bpo (${pkgs[*]})" >&2
fi
echo "$cache"
