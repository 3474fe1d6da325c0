#!/usr/bin/env bash
# Runs on the lent GPU machine after `bash .gpu/setup.sh && . .gpu/env.sh`
# (gpu-bundle.sh copies this file to .gpu/run.sh). Writes everything to $OUT (the device tool's
# folder that comes back) and prints the tables last, so the tool's output tail holds them.
#   bash .gpu/setup.sh && . .gpu/env.sh && bash .gpu/run.sh [extra bench flags]
set -u
dir=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
# Unpack outside .gpu (which must stay under the tool's 64 MiB): the bundle and webgpu's loader
# with dawn.node beside it, where the bundle's import('webgpu') finds them.
work=${GPU_WORK:-/tmp/gpu-bench}
mkdir -p "$work/node_modules"
cp "$dir/bench.mjs" "$dir/torch-reference.py" "$work/"
rm -rf "$work/node_modules/webgpu" && cp -r "$dir/node_modules/webgpu" "$work/node_modules/webgpu"
xz -dc "$dir/dawn.node.xz" > "$work/node_modules/webgpu/dist/linux-x64/dawn.node"
ln -sfn "$dir/mnist" "$work/mnist"
cd "$work"

{ nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,power.limit --format=csv; } > "$out/nvidia-smi.txt" 2>&1
# PyTorch first: it takes seconds, and the bench's budgets below must not starve it.
timeout 60 python3 torch-reference.py mnist > "$out/torch.txt" 2>&1
# One process per item, each under its own limit, so a slow item cannot lose the others' tables
# (a bench sent SIGTERM prints what it finished). Worst case about 8 minutes in all.
# The MLP is timed in the bench's own process (--processes 1): device minutes are few, and a
# timeout must not leave child processes on the GPU.
for spec in matmul:80 mlp:280 cnn:60; do
  item=${spec%%:*} limit=${spec#*:}
  timeout -k 15 "$limit" node bench.mjs --device gpu --data mnist --only "$item" --processes 1 "$@" > "$out/bench-$item.txt" 2> "$out/bench-$item.log"
  echo "bench $item rc=$?" >> "$out/bench-$item.log"
done

# The tool returns only the last 12,000 characters of output: the tables, and failures in short
# (the full progress logs are in $OUT).
cat "$out/nvidia-smi.txt"
echo; cat "$out/torch.txt"
echo; grep -hE 'FAILED|rc=' "$out"/bench-*.log | cut -c1-300
echo; grep -vE '^(times|MLP|matmul|CNN): ' "$out/bench-mlp.txt"
echo; grep -hE '^(INTERRUPTED|gpu:)|^\||^\[|^(ok|MISMATCH)' "$out/bench-matmul.txt" "$out/bench-cnn.txt"
