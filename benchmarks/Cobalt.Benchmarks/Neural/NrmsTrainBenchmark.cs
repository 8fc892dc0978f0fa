using BenchmarkDotNet.Attributes;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;

namespace Cobalt.Benchmarks.Neural;

/// <summary>
/// Training throughput of NRMS: one operation is one gradient step on a batch of 32 samples (history 50, one positive,
/// 4 negatives, softmax loss), i.e. the item tower on every distinct item of the batch (about 1,200 of the 2,000-item
/// catalogue), the user tower, backward, gradient clipping and an Adam update, with dropout 0.2.
/// </summary>
/// <remarks>
/// The model keeps learning during the measurement; every step sees another batch of a fixed pool of 32 x 64 samples.
/// The tape's buffers are reused from step to step, so the "Allocated" column shows only the small per-step objects;
/// the tensor storage it holds is printed at cleanup ("tape holds ... MB").
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(NeuralConfig))]
public class NrmsTrainBenchmark
{
    /// <summary>Samples per step.</summary>
    public const int BatchSize = 32;

    private const int Catalogue = 2_000;
    private const int Batches = 64;

    private NrmsModel _model = null!;
    private NrmsSample[][] _batches = [];
    private Rng _rng = null!;
    private int _next;

    /// <summary>Kernel threads (results are identical for every value).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Builds the model and the sample pool, and takes two warm-up steps.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _model = NrmsWorkload.Model(Catalogue, Threads);
        var samples = NrmsWorkload.Samples(BatchSize * Batches, Catalogue, 6);
        _batches = Enumerable.Range(0, Batches).Select(b => samples.AsSpan(b * BatchSize, BatchSize).ToArray()).ToArray();
        _rng = new Rng(7);
        TrainStep();
        TrainStep();
    }

    /// <summary>One gradient step on the next batch.</summary>
    [Benchmark(Description = "Train step (32 samples, history 50, K = 4)")]
    [PerOperation("Samples/s", BatchSize)]
    public long TrainStep()
    {
        var batch = _batches[_next++ % _batches.Length];
        return _model.Train(batch, epochs: 1, _rng).Steps;
    }

    /// <summary>Reports the tensor storage the model's tape settled at and the benchmark process's peak working set.</summary>
    [GlobalCleanup]
    public void Cleanup() => Console.WriteLine(
        $"// NrmsTrainBenchmark Threads={Threads}: tape holds {_model.TapeCapacityElements * sizeof(float) / 1e6:F1} MB; " +
        $"process peak working set {System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
}
