using System.Diagnostics;

namespace Cobalt.Benchmarks.TwoStage;

/// <summary>
/// A fixed workload outside BenchmarkDotNet, one policy per process (so the peak working set is that policy's alone):
/// the benchmark's <c>Setup</c> and then a given number of <c>Round()</c> calls in a plain loop, printing the mean time per
/// round, a checksum of the top items (equal checksums: the same slates), the bytes allocated per round and the process's
/// peak working set.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project benchmarks/Cobalt.Benchmarks -- rounds "2-S-GBLM-UCB f32" 500</c>
/// (any policy name of <see cref="CatalogueRoundBenchmark.Spec"/>; 161,013 items).
/// </remarks>
public static class RoundLoop
{
    /// <summary>Runs the loop for args <c>rounds POLICY COUNT</c>; returns the exit code.</summary>
    public static int Run(string[] args)
    {
        if (args.Length != 3 || !int.TryParse(args[2], out var rounds) || rounds <= 0)
        {
            Console.Error.WriteLine("usage: rounds POLICY COUNT   (e.g. rounds \"2-S-GBLM-UCB f32\" 500)");
            return 2;
        }
        var benchmark = new Loop { Items = SyntheticTopicCatalogue.MindItems, Policy = args[1] };
        var setup = Stopwatch.StartNew();
        benchmark.Setup();
        setup.Stop();
        var checksum = 0L;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var collections = GC.CollectionCount(0);
        var clock = Stopwatch.StartNew();
        for (var t = 0; t < rounds; t++)
        {
            checksum = checksum * 31 + benchmark.Round();
        }
        clock.Stop();
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        collections = GC.CollectionCount(0) - collections;
        Console.WriteLine(
            $"{args[1]}: {rounds} rounds, {clock.Elapsed.TotalMilliseconds / rounds:F2} ms per round (setup {setup.Elapsed.TotalSeconds:F1} s), " +
            $"checksum {checksum}, allocated {allocated / rounds / 1024.0:F1} KB per round ({collections} collections), peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB, load {File.ReadAllText("/proc/loadavg").Trim()}");
        benchmark.Cleanup();
        return 0;
    }

    private sealed class Loop : CatalogueRoundBenchmark
    {
        public override int Items { get; set; }

        public override string Policy { get; set; } = "";
    }
}
