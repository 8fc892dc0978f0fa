using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Text;

namespace Cobalt.Benchmarks.Neural;

/// <summary>
/// The seeded NRMS workload of the neural benchmarks: a vocabulary of 10,000 words, a catalogue of items whose titles are
/// 20 random words (no padding: every position is a real token), and training samples with 50-item histories and 4 negatives.
/// The model has the paper's shape: 300-dimensional word embeddings, 16 heads of 4 (64-dimensional item and user vectors),
/// additive-attention width 200, dropout 0.2, Adam, batches of 32, softmax loss over 1 + 4 candidates.
/// </summary>
internal static class NrmsWorkload
{
    /// <summary>Tokens per title.</summary>
    public const int TitleLength = 20;

    /// <summary>Words in the vocabulary (besides padding and unknown).</summary>
    public const int Words = 10_000;

    /// <summary>History length of every training sample.</summary>
    public const int History = 50;

    /// <summary>The model options with <paramref name="threads"/> kernel threads.</summary>
    public static NrmsOptions Options(int threads) => new() { Threads = threads };

    /// <summary>A model over <paramref name="items"/> random titles.</summary>
    public static NrmsModel Model(int items, int threads)
    {
        var rng = new Rng(Infrastructure.RandomData.Seed);
        var vocabulary = new Vocabulary(Enumerable.Range(0, Words).Select(i => $"w{i}"));
        var titles = new TokenSequences(TitleLength, vocabulary.Count);
        var ids = new int[TitleLength];
        for (var i = 0; i < items; i++)
        {
            for (var j = 0; j < ids.Length; j++)
            {
                ids[j] = 2 + rng.NextInt(Words);
            }
            titles.Add(ids);
        }
        return new NrmsModel(Options(threads), vocabulary, titles, Infrastructure.RandomData.Seed);
    }

    /// <summary><paramref name="count"/> samples over a catalogue of <paramref name="items"/>: random 50-item histories, a random positive, 4 random negatives.</summary>
    public static NrmsSample[] Samples(int count, int items, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new NrmsSample(
                Enumerable.Range(0, History).Select(_ => rng.NextInt(items)).ToArray(),
                rng.NextInt(items),
                Enumerable.Range(0, 4).Select(_ => rng.NextInt(items)).ToArray()))
            .ToArray();
    }
}
