#!/usr/bin/env bash
# Unpacks cuBLAS from NVIDIA's Python wheel (nvidia_cublas-*.whl: headers and shared libraries) for a CUDA
# toolkit installed without it, and prints the directory to pass as GGML4J_CUBLAS_DIR:
#
#   dir=$(scripts/cublas-from-wheel.sh /path/to/nvidia_cublas-13.1.1.3-py3-none-manylinux_2_27_x86_64.whl)
#   GGML4J_CMAKE_ARGS="-DGGML4J_CUDA=ON -DGGML4J_CUBLAS_DIR=$dir -DCMAKE_CUDA_ARCHITECTURES=90" ./build.sh
#
# The wheel is a zip whose nvidia/cu<N>/ holds include/ and lib/; they are unpacked once per wheel under
# ~/.cache/ggml4j/cublas/ (GGML4J_CACHE_DIR), into a temporary directory renamed into place.
set -euo pipefail
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: scripts/cublas-from-wheel.sh NVIDIA_CUBLAS_WHEEL" >&2; exit 2; }
wheel=$1
name=$(basename "$wheel" .whl)
case $name in
  nvidia_cublas-*) ;;
  *) echo "ggml4j: $wheel is not an nvidia_cublas wheel" >&2; exit 1 ;;
esac
out="${GGML4J_CACHE_DIR:-$HOME/.cache/ggml4j}/cublas/$name"
if [ ! -f "$out/include/cublas_v2.h" ]; then
  mkdir -p "$(dirname "$out")"
  tmp=$(mktemp -d "$out.tmp.XXXXXX")
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  python3 - "$wheel" "$tmp" <<'PY'
import sys, zipfile, re, os, shutil
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        m = re.match(r'nvidia/(?:cu\d+/|cublas/)(include|lib)/(.+)$', info.filename)
        if not m or info.is_dir():
            continue
        dest = os.path.join(out, m.group(1), m.group(2))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(info) as src, open(dest, 'wb') as dst:
            shutil.copyfileobj(src, dst)
PY
  [ -f "$tmp/include/cublas_v2.h" ] || { echo "ggml4j: no include/cublas_v2.h in $wheel" >&2; exit 1; }
  # the linker looks for the unversioned names
  for so in "$tmp"/lib/lib*.so.*; do
    base=${so%%.so.*}.so
    [ -e "$base" ] || ln -s "$(basename "$so")" "$base"
  done
  rm -rf "$out"
  mv "$tmp" "$out"
  trap - EXIT
fi
echo "$out"
