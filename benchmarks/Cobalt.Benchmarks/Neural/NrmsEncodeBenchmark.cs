using BenchmarkDotNet.Attributes;
using Cobalt.Neural.Nrms;

namespace Cobalt.Benchmarks.Neural;

/// <summary>
/// Inference throughput of the NRMS item encoder: one operation encodes 1,024 items (titles of 20 tokens, word vectors of 300,
/// 16 heads x 4 = 64-dimensional item vectors, additive attention 200) with dropout off, in the model's batches of 256,
/// then one user vector from a 50-item history (from the precomputed item vectors).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(NeuralConfig))]
public class NrmsEncodeBenchmark
{
    /// <summary>Items encoded per operation.</summary>
    public const int Items = 1_024;

    private NrmsModel _model = null!;
    private int[] _ids = [];
    private int[] _history = [];
    private ItemVectors _vectors = null!;

    /// <summary>Kernel threads (results are identical for every value).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Builds the model and the ids.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _model = NrmsWorkload.Model(Items, Threads);
        _ids = Enumerable.Range(0, Items).ToArray();
        _history = NrmsWorkload.Samples(1, Items, 5)[0].History;
        _vectors = _model.EncodeItems(_ids);
    }

    /// <summary>Encodes the 1,024 items.</summary>
    [Benchmark(Description = "EncodeItems (1,024 titles)")]
    [PerOperation("Items/s", Items)]
    public ItemVectors EncodeItems() => _model.EncodeItems(_ids);

    /// <summary>One user vector from 50 precomputed item vectors (not counted in Items/s).</summary>
    [Benchmark(Description = "EncodeUser (history 50, precomputed items)")]
    public float[] EncodeUser() => _model.EncodeUser(_history, _vectors);

    /// <summary>Reports the tensor storage the model's tape settled at and the benchmark process's peak working set.</summary>
    [GlobalCleanup]
    public void Cleanup() => Console.WriteLine(
        $"// NrmsEncodeBenchmark Threads={Threads}: tape holds {_model.TapeCapacityElements * sizeof(float) / 1e6:F1} MB; " +
        $"process peak working set {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
}
