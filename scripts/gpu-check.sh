#!/usr/bin/env bash
# The one prepared GPU check (issue: "Run on a GPU for real"): publish here, then run doctor, golden tests and bench on CUDA there.
#
#   scripts/gpu-check.sh publish        # with the .NET SDK: a self-contained test build (snn included), no libtorch,
#                                       # packed as publish.tar.xz (measured: 108 MB unpacked, 35 MB packed)
#   scripts/gpu-check.sh run OUTDIR     # on the GPU machine (no SDK needed), from the repository root; needs PyTorch
#
# `run` points SNNDSL_LIBTORCH at the installed PyTorch's torch/lib, then writes to OUTDIR what each step printed:
# snn doctor --device cuda, the golden tests with their networks on CUDA (SNNDSL_TEST_DEVICE=cuda), and
# snn bench of ResNet-18 at T = 1, 4, 8 on CUDA. A failing step is recorded and the next one still runs.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "${1:-}" in
  publish)
    # the test project references the runner, so its output holds both SnnDsl.Tests and snn
    dotnet publish "$here/Tests" -c Release -r linux-x64 --self-contained -p:SnnExternalLibTorch=true \
      -o "$here/publish" -nologo -v quiet || exit 1
    tar -cJf "$here/publish.tar.xz" -C "$here/publish" . || exit 1
    du -sh "$here/publish" "$here/publish.tar.xz" ;;
  run)
    out="${2:?usage: scripts/gpu-check.sh run OUTDIR}"
    mkdir -p "$out"
    if [ ! -x "$here/publish/snn" ]; then mkdir -p "$here/publish" && tar -xJf "$here/publish.tar.xz" -C "$here/publish" || exit 1; fi
    lib="$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')" || exit 1
    export SNNDSL_LIBTORCH="$lib"
    # TorchSharp 0.107 is built for libtorch 2.10; an installed PyTorch of another release is tried on insistence
    export SNNDSL_LIBTORCH_ANY_VERSION=1
    python3 -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name(0))' > "$out/python.txt" 2>&1
    "$here/publish/snn" doctor --device cuda > "$out/doctor.txt" 2>&1; echo "exit $?" >> "$out/doctor.txt"
    SNNDSL_TEST_DEVICE=cuda "$here/publish/SnnDsl.Tests" --filter-test-list "Core.Golden" > "$out/golden.txt" 2>&1
    echo "exit $?" >> "$out/golden.txt"
    "$here/publish/snn" bench "$here/examples/networks/resnet18.snn" --device cuda --steps 1,4,8 \
      --out "$out/bench" > "$out/bench.txt" 2>&1; echo "exit $?" >> "$out/bench.txt"
    tail -n 3 "$out"/*.txt ;;
  *) echo "usage: scripts/gpu-check.sh publish | run OUTDIR" >&2; exit 1 ;;
esac
