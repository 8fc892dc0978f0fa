using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Cobalt.Benchmarks.Infrastructure;

// Runs the benchmarks picked by the command line, e.g.
//   dotnet run -c Release --project benchmarks/Cobalt.Benchmarks -- --filter '*' --job short
// or a fixed loop of one two-stage benchmark policy in its own process (TwoStage/RoundLoop.cs):
//   dotnet run -c Release --project benchmarks/Cobalt.Benchmarks -- rounds "2-S-GBLM-UCB f32" 500
// The custom Rounds/s and GB/s columns are added to every summary (they show only where they apply).
if (args is ["rounds", ..])
{
    return Cobalt.Benchmarks.TwoStage.RoundLoop.Run(args);
}
var config = DefaultConfig.Instance
    .AddColumn(new RoundsPerSecondColumn(), new BandwidthColumn());
BenchmarkSwitcher.FromAssembly(typeof(BytesReadAttribute).Assembly).Run(args, config);
return 0;
