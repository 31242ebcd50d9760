#!/usr/bin/env bash
# The newcomer's first command: build and run the sample app the way a user would.
#   1. fetch hand_landmark_lite (pinned npm package, SHA-256 checked) into the sample's models/ folder;
#   2. pack ModelBuildTasks into the sample's local feed (samples/HandLandmarks/.feed, git-ignored);
#   3. dotnet build the sample: its <ModelItem> is optimized at build time (one summary line per model);
#   4. run it: the generated HandLandmarkLite wrapper runs the optimized model on a generated image.
set -euo pipefail
cd "$(dirname "$0")/.."
sample=samples/HandLandmarks

model=$(dotnet run --project tests/ModelBuildTasks.TestSupport -c Release -- fetch hand_landmark_lite | head -n 1)
mkdir -p "$sample/models"
cp "$model" "$sample/models/hand_landmark_lite.tflite"

# A version of its own per run, so the sample always builds against the code of this checkout.
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
rm -rf "$sample/.feed" "$sample/.packages/modelbuildtasks"
dotnet pack src/ModelBuildTasks -c Release -o "$sample/.feed" -p:PackageVersion="$version" -v:q -nologo

dotnet build "$sample" -c Release -tl:off -v:m -nologo --property:ModelBuildTasksVersion="$version"
echo
dotnet run --project "$sample" -c Release --no-build
