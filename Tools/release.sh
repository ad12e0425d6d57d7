#!/usr/bin/env bash
# Builds the prebuilt Linux binary of kvreplay: the Swift runtime, Foundation (with FoundationNetworking) and
# the ICU data linked in (--static-swift-stdlib), so that it runs on a machine without the Swift toolchain.
# It still loads a few system libraries (libcurl, libsqlite3, libz, libstdc++, glibc); the script lists them (ldd).
#
#   Tools/release.sh            -> dist/kvreplay-<version>-linux-<arch>/kvreplay
#                                  dist/kvreplay-<version>-linux-<arch>.tar.gz and .tar.gz.sha256
#
# Build needs: Swift 6.3, zlib1g-dev, libsqlite3-dev, and libcurl (FoundationNetworking's static library links
# -lcurl; with only the runtime libcurl.so.4 installed, a private link directory points -lcurl at it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"

version=$(sed -n 's/.*version: "\([^"]*\)".*/\1/p' Sources/KVReplayCLI/KVReplayCommand.swift | head -n 1)
arch=$(uname -m)
name="kvreplay-${version}-linux-${arch}"
dist=dist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

link_flags=()
if ! ldconfig -p | grep -q 'libcurl\.so '; then
    libcurl=$(ldconfig -p | sed -n 's/.*libcurl\.so\.4 (libc6,x86-64) => \(.*\)/\1/p' | head -n 1)
    [ -n "$libcurl" ] || libcurl=$(ldconfig -p | sed -n 's/.*libcurl\.so\.4 .* => \(.*\)/\1/p' | head -n 1)
    if [ -z "$libcurl" ]; then
        echo "release.sh: libcurl is not installed (apt-get install -y libcurl4-openssl-dev)" >&2
        exit 1
    fi
    mkdir -p "$work/lib"
    ln -s "$libcurl" "$work/lib/libcurl.so"
    link_flags=(-Xlinker -L"$work/lib")
fi

swift build -c release --static-swift-stdlib --product kvreplay "${link_flags[@]}"
bin=$(swift build -c release --static-swift-stdlib --product kvreplay "${link_flags[@]}" --show-bin-path)/kvreplay

rm -rf "${dist:?}/$name" "$dist/$name.tar.gz" "$dist/$name.tar.gz.sha256"
mkdir -p "$dist/$name"
cp "$bin" "$dist/$name/kvreplay"
strip "$dist/$name/kvreplay"
cp README.md "$dist/$name/README.md"

# It must run with no Swift toolchain on the path and no Swift library directory visible.
echo "== check: runs without the Swift toolchain (env -i PATH=/usr/bin:/bin)"
if ldd "$dist/$name/kvreplay" | grep -E -i 'swift|not found'; then
    echo "release.sh: the binary still needs the libraries above" >&2
    exit 1
fi
env -i PATH=/usr/bin:/bin "$dist/$name/kvreplay" --version
env -i PATH=/usr/bin:/bin HOME="$work" "$dist/$name/kvreplay" demo --dataset Datasets/sample --db "$work/demo.sqlite" \
    --out "$work/Reports" >"$work/demo.out" 2>"$work/demo.err"
echo "demo: ok ($(ls "$work/Reports" | wc -l) report entries)"

echo "== system libraries it still loads (ldd):"
ldd "$dist/$name/kvreplay"

tar -C "$dist" -czf "$dist/$name.tar.gz" "$name"
(cd "$dist" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "== $(du -h "$dist/$name/kvreplay" | cut -f1) binary, $(du -h "$dist/$name.tar.gz" | cut -f1) tarball"
cat "$dist/$name.tar.gz.sha256"
