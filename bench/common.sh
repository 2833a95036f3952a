# Shared set-up of the bench scripts: Release builds of the CLI and the corpus generator, paths.
# Source it from a script in bench/ after `cd` to the repository root.
DATA=bench/data
OUT=bench/out
mkdir -p "$DATA" "$OUT"
dotnet build -c Release src/DataForge.Cli >/dev/null
dotnet build -c Release bench/DataForge.Bench >/dev/null
DF="dotnet src/DataForge.Cli/bin/Release/net10.0/dataforge.dll"
GEN="dotnet bench/DataForge.Bench/bin/Release/net10.0/dataforge-bench.dll"
