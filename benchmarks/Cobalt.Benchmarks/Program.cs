using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Cobalt.Benchmarks.Infrastructure;

// Runs the benchmarks picked by the command line, e.g.
//   dotnet run -c Release --project benchmarks/Cobalt.Benchmarks -- --filter '*' --job short
// The custom Rounds/s and GB/s columns are added to every summary (they show only where they apply).
var config = DefaultConfig.Instance
    .AddColumn(new RoundsPerSecondColumn(), new BandwidthColumn());
BenchmarkSwitcher.FromAssembly(typeof(BytesReadAttribute).Assembly).Run(args, config);
