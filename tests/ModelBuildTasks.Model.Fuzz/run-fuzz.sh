#!/usr/bin/env bash
# Fuzzes ModelReader (and the write/re-read round trip of what it accepts) with afl-fuzz + SharpFuzz.
#
#   tests/ModelBuildTasks.Model.Fuzz/run-fuzz.sh [SECONDS]      (default 1200)
#
# Environment:
#   FUZZ_OUT=DIR    afl-fuzz output folder (default: findings/ beside this script; ignored by git)
#   RESUME=1        continue the previous run in FUZZ_OUT instead of starting from the seeds
#   SEEDS=small     seed only with the tiny handcrafted models (faster); default also adds two corpus models
#   TIMEOUT_MS=N    afl-fuzz per-input time limit (default 5000; a longer run is reported as a hang)
#
# Afterwards: crashes are in $FUZZ_OUT/default/crashes, hangs in $FUZZ_OUT/default/hangs. Replay any of them (with
# the uninstrumented build: the published, instrumented one runs only under AFL) with
#   dotnet run -c Release --project tests/ModelBuildTasks.Model.Fuzz -- FILE|DIR...
# and minimize one with
#   AFL_SKIP_BIN_CHECK=1 afl-tmin -i FILE -o MIN -- dotnet tests/ModelBuildTasks.Model.Fuzz/publish/ModelBuildTasks.Model.Fuzz.dll --once
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
seconds="${1:-1200}"
out="${FUZZ_OUT:-$here/findings}"
tools="$here/.tools"
publish="$here/publish"
seeds="$here/seeds"

# 1. afl-fuzz (Debian's afl++ package).
if ! command -v afl-fuzz >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++
    else
        sudo apt-get update -qq
        sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++
    fi
fi

# 2. The sharpfuzz instrumentation tool, pinned, in a local tool path.
if [ ! -x "$tools/sharpfuzz" ]; then
    dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0
fi

# 3. Publish the harness (fresh each time, so sharpfuzz never instruments twice).
rm -rf "$publish"
dotnet publish "$here/ModelBuildTasks.Model.Fuzz.csproj" -c Release -o "$publish" --nologo -v quiet

# 4. Seeds: tiny handcrafted valid models, plus (unless SEEDS=small) the two smallest corpus models. Written before
#    instrumenting: instrumented code only runs under afl-fuzz (it writes to AFL's shared memory).
rm -rf "$seeds"
dotnet "$publish/ModelBuildTasks.Model.Fuzz.dll" --seeds "$seeds"
if [ "${SEEDS:-all}" != "small" ]; then
    while read -r model; do
        cp "$model" "$seeds/"
    done < <(dotnet run --project "$repo/tests/ModelBuildTasks.TestSupport" -c Release -- fetch face_detection_short_range selfie_segmentation)
fi
ls -l "$seeds"

# 5. Instrument the library under test, and only it: coverage of the runtime or of Google.FlatBuffers would mostly
#    be noise (the generated schema accessors live in ModelBuildTasks.Model.dll and are covered).
"$tools/sharpfuzz" "$publish/ModelBuildTasks.Model.dll"

# 6. Fuzz. dotnet itself carries no AFL instrumentation (SharpFuzz reports coverage from inside the process), hence
#    AFL_SKIP_BIN_CHECK; the container cannot tune the CPU governor, hence AFL_SKIP_CPUFREQ.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
[ -t 1 ] || export AFL_NO_UI=1
input=(-i "$seeds")
if [ "${RESUME:-0}" = "1" ] && [ -d "$out/default" ]; then
    input=(-i -)
else
    rm -rf "$out"
fi
mkdir -p "$out"
status=0
afl-fuzz "${input[@]}" -o "$out" -x "$here/tflite.dict" -t "${TIMEOUT_MS:-5000}" -m none -V "$seconds" \
    -- dotnet "$publish/ModelBuildTasks.Model.Fuzz.dll" || status=$?

stats="$out/default/fuzzer_stats"
if [ -f "$stats" ]; then
    grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg|stability) ' "$stats"
fi
crashes=$(find "$out/default/crashes" "$out/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
echo "afl-fuzz exited with $status; $crashes crash/hang inputs in $out/default/{crashes,hangs}"
exit "$status"
