#!/usr/bin/env bash
# The newcomer's first command. Today it shows the engine on a real model: fetch pose_landmark_full (pinned npm
# package, SHA-256 checked), describe it with `mbt inspect`, and rewrite it through the model IR.
# The sample *app* — a <ModelItem> optimized at build time and called through its generated wrapper — replaces
# this script when the MSBuild integration (issue #6) lands.
set -euo pipefail
cd "$(dirname "$0")/.."

model=$(dotnet run --project tests/ModelBuildTasks.TestSupport -c Release -- fetch pose_landmark_full | head -n 1)
mbt() { dotnet run --project src/ModelBuildTasks.Cli -c Release --no-launch-profile -- "$@"; }

mbt inspect "$model"
echo
mbt optimize "$model" -o samples/out/pose_landmark_full.tflite --optimization none
echo
echo "Coming soon: the MSBuild sample app with build-time int8 optimization and a typed wrapper (issue #6)."
