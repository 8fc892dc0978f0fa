using System.Collections.Concurrent;
using System.Diagnostics;
using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Nrms;

namespace Cobalt.Recommenders.Neural;

/// <summary>What a pre-training run produced: the kept checkpoint (an <see cref="NrmsModel"/> state file) and how it was chosen.</summary>
/// <param name="Checkpoint">The saved model of the best epoch (an NRMS item model: load it with <see cref="NeuralPretraining.Clone"/>; a topic model: <see cref="TopicNrmsModel.Restore"/>).</param>
/// <param name="BestEpoch">The epoch kept (1-based; 0 when no epoch ran).</param>
/// <param name="ValidationAuc">Impression-averaged validation AUC after each epoch (empty without validation impressions).</param>
/// <param name="Samples">Training samples per epoch.</param>
/// <param name="Elapsed">Wall time of the run.</param>
public sealed record NrmsPretraining(byte[] Checkpoint, int BestEpoch, IReadOnlyList<double> ValidationAuc, int Samples, TimeSpan Elapsed);

/// <summary>
/// Per-trial pre-training of the neural policies' NRMS as the two-stage paper's authors ran it (CB4Rec @67f4029 preprocess.py
/// pretrain_cb_learner): train on the pre-training impressions (each click against its impression's unclicked items, softmax
/// over 1 + K) for E epochs with one Adam, evaluate the impression-averaged AUC on the validation impressions after each epoch
/// (utils/metrics.py evaluation_split), and keep the checkpoint of the best epoch (strictly better than every earlier one).
/// </summary>
/// <remarks>
/// <para>The authors saved one checkpoint per trial and every algorithm of the trial loaded it (core/contextual_bandit.py
/// load_cb_learner). <see cref="Shared"/> does the same in process: a cache keyed by a fingerprint of the observed log's
/// content, the NRMS settings, the word vectors and the titles runs each pre-training once (concurrent callers wait for it)
/// and hands every policy its own copy. The pre-training randomness (initial parameters, shuffling, negatives, dropout) is
/// drawn from that fingerprint, which the trial seed fixes, so a cached and an uncached run give identical models.</para>
/// <para>Histories longer than <see cref="NrmsOptions.MaxHistory"/> keep their most recent items (the authors' TrainDataset
/// draws a random subset); an impression with fewer than K negatives has its negatives repeated (the authors pad with an
/// empty title).</para>
/// </remarks>
public static class NeuralPretraining
{
    private const int CacheLimit = 32;
    private static readonly ConcurrentDictionary<string, Lazy<NrmsPretraining>> Cache = new();
    private static int _runs;

    /// <summary>Pre-trainings actually run through <see cref="Shared"/> in this process (cache misses).</summary>
    public static int Runs => Volatile.Read(ref _runs);

    /// <summary>Forgets every cached pre-training.</summary>
    public static void ClearCache() => Cache.Clear();

    /// <summary>
    /// The pre-training stored under <paramref name="key"/>, running <paramref name="run"/> once if it is not there (thread-safe:
    /// concurrent callers with one key wait for the same run).
    /// </summary>
    public static NrmsPretraining Shared(string key, Func<NrmsPretraining> run)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(run);
        if (Cache.Count >= CacheLimit && !Cache.ContainsKey(key))
        {
            Cache.Clear(); // bounded: a long process (a test run, a service) keeps at most a few trials' checkpoints
        }
        var lazy = Cache.GetOrAdd(key, _ => new Lazy<NrmsPretraining>(() =>
        {
            Interlocked.Increment(ref _runs);
            return run();
        }, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            Cache.TryRemove(new KeyValuePair<string, Lazy<NrmsPretraining>>(key, lazy)); // a failed run is not remembered
            throw;
        }
    }

    /// <summary>A model of its own from a checkpoint (each policy trains its copy).</summary>
    public static NrmsModel Clone(byte[] checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return NrmsModel.Load(new MemoryStream(checkpoint, writable: false), "the pre-trained checkpoint");
    }

    /// <summary>The model's state file as bytes.</summary>
    public static byte[] Save(NrmsModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var stream = new MemoryStream();
        model.Save(stream);
        return stream.ToArray();
    }

    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="epochs"/> epochs on <paramref name="training"/> and keeps the epoch with the
    /// best impression-averaged AUC on <paramref name="validation"/> (the last epoch when there is no validation impression);
    /// <paramref name="model"/> is left after the last epoch, the kept one is the result's checkpoint.
    /// </summary>
    /// <exception cref="ArgumentException">An impression names an item outside the model (its index and field are named).</exception>
    public static NrmsPretraining Pretrain(NrmsModel model, IReadOnlyList<LoggedImpression> training, IReadOnlyList<LoggedImpression> validation, int epochs, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        var clock = Stopwatch.StartNew();
        var samples = Samples(training, model.ItemCount, "pre-training");
        Check(validation, model.ItemCount, "validation");
        var aucs = new List<double>(epochs);
        var best = Save(model);
        var bestEpoch = 0;
        var bestAuc = double.NegativeInfinity;
        for (var epoch = 1; epoch <= epochs && samples.Count > 0; epoch++)
        {
            model.Train(samples, 1, rng);
            if (validation.Count == 0)
            {
                best = Save(model);
                bestEpoch = epoch;
                continue;
            }
            var auc = ValidationAuc(model, validation);
            aucs.Add(auc);
            if (auc > bestAuc)
            {
                bestAuc = auc;
                bestEpoch = epoch;
                best = Save(model);
            }
        }
        return new NrmsPretraining(best, bestEpoch, aucs, samples.Count, clock.Elapsed);
    }

    /// <summary>
    /// Per-trial pre-training of the authors' topic model (CB4Rec @67f4029 preprocess.py pretrain_cb_learner with pretrain_topic):
    /// the impressions mapped to topics by <paramref name="topicOf"/> (history: the clicked items' titles; positive: the clicked
    /// item's topic; negatives: the unclicked items' topics, one drawn per sample and epoch), E epochs, and the checkpoint of the
    /// epoch with the best impression-averaged topic AUC on <paramref name="validation"/> (strictly better; the last epoch without
    /// validation impressions). The result's checkpoint holds <see cref="TopicNrmsModel.Snapshot"/> bytes.
    /// </summary>
    /// <exception cref="ArgumentException">An impression names an item outside the model (its index and field are named).</exception>
    public static NrmsPretraining PretrainTopics(TopicNrmsModel model, Func<int, int> topicOf, IReadOnlyList<LoggedImpression> training, IReadOnlyList<LoggedImpression> validation, int epochs, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(topicOf);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        var clock = Stopwatch.StartNew();
        Check(training, model.Items.Count, "pre-training");
        Check(validation, model.Items.Count, "validation");
        List<NrmsSample> TopicSamples(IReadOnlyList<LoggedImpression> impressions) =>
            [.. impressions.Select(i => new NrmsSample(i.History, topicOf(i.Positive), [.. i.Negatives.Select(topicOf)]))];
        var samples = TopicSamples(training);
        var held = TopicSamples(validation);
        var aucs = new List<double>(epochs);
        var best = model.Snapshot();
        var bestEpoch = 0;
        var bestAuc = double.NegativeInfinity;
        for (var epoch = 1; epoch <= epochs && samples.Count > 0; epoch++)
        {
            model.Train(samples, 1, rng);
            if (held.Count == 0)
            {
                (best, bestEpoch) = (model.Snapshot(), epoch);
                continue;
            }
            var auc = model.ValidationAuc(held, rng);
            aucs.Add(auc);
            if (auc > bestAuc)
            {
                (bestAuc, bestEpoch, best) = (auc, epoch, model.Snapshot());
            }
        }
        return new NrmsPretraining(best, bestEpoch, aucs, samples.Count, clock.Elapsed);
    }

    /// <summary>
    /// Impression-averaged AUC of the click scores z_u . x_i over each impression's positive and negatives (impressions without
    /// negatives are skipped); the authors' checkpoint criterion (CB4Rec @67f4029 utils/metrics.py evaluation_split).
    /// </summary>
    public static double ValidationAuc(NrmsModel model, IReadOnlyList<LoggedImpression> impressions)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(impressions);
        var samples = Samples(impressions, model.ItemCount, "validation");
        var items = model.EncodeItems();
        return NrmsMetrics.MeanImpressionAuc(model.EncodeUsers([.. samples.Select(s => s.History)], items), items, samples);
    }

    /// <summary>Training samples of the impressions: the clicked item against the impression's unclicked items, under the logged history.</summary>
    public static List<NrmsSample> Samples(IReadOnlyList<LoggedImpression> impressions, int itemCount, string what = "impressions")
    {
        ArgumentNullException.ThrowIfNull(impressions);
        Check(impressions, itemCount, what);
        var samples = new List<NrmsSample>(impressions.Count);
        foreach (var impression in impressions)
        {
            samples.Add(new NrmsSample(impression.History, impression.Positive, impression.Negatives));
        }
        return samples;
    }

    /// <summary>
    /// A 64-bit fingerprint of what a pre-training reads: the observed log's pre-training and validation impressions (users,
    /// histories, positives, negatives, in order) and the item titles.
    /// </summary>
    public static ulong Fingerprint(IObservedLog log, IReadOnlyList<string> titles)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(titles);
        var hash = 0xCBF29CE484222325UL;
        Mix(ref hash, (ulong)titles.Count);
        foreach (var title in titles)
        {
            Mix(ref hash, Stable(title ?? string.Empty));
        }
        foreach (var list in new[] { log.PretrainingImpressions, log.ValidationImpressions })
        {
            Mix(ref hash, 0xA5A5A5A5UL ^ (ulong)list.Count);
            foreach (var impression in list)
            {
                Mix(ref hash, (ulong)(uint)impression.User);
                Mix(ref hash, (ulong)(uint)impression.Positive);
                Mix(ref hash, (ulong)impression.History.Length);
                foreach (var item in impression.History)
                {
                    Mix(ref hash, (ulong)(uint)item);
                }
                Mix(ref hash, (ulong)impression.Negatives.Length);
                foreach (var item in impression.Negatives)
                {
                    Mix(ref hash, (ulong)(uint)item);
                }
            }
        }
        return hash;
    }

    private static ulong Stable(string text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 0x100000001B3UL;
        }
        return hash;
    }

    private static void Mix(ref ulong hash, ulong value)
    {
        // FNV-1a over the value's 8 bytes.
        for (var b = 0; b < 8; b++)
        {
            hash = (hash ^ ((value >> (8 * b)) & 0xFF)) * 0x100000001B3UL;
        }
    }

    private static void Check(IReadOnlyList<LoggedImpression> impressions, int itemCount, string what)
    {
        for (var k = 0; k < impressions.Count; k++)
        {
            var impression = impressions[k] ?? throw new ArgumentException($"The {what} impression {k} is null.", nameof(impressions));
            if ((uint)impression.Positive >= (uint)itemCount)
            {
                throw new ArgumentException($"The {what} impression {k} (user {impression.User}) clicks item {impression.Positive}; the catalogue has {itemCount} items.", nameof(impressions));
            }
            if (impression.History is null || impression.Negatives is null)
            {
                throw new ArgumentException($"The {what} impression {k} (user {impression.User}) has no {(impression.History is null ? "history" : "negatives")} array.", nameof(impressions));
            }
            foreach (var (field, ids) in new[] { ("history", impression.History), ("negatives", impression.Negatives) })
            {
                for (var i = 0; i < ids.Length; i++)
                {
                    if ((uint)ids[i] >= (uint)itemCount)
                    {
                        throw new ArgumentException($"The {what} impression {k} (user {impression.User}): {field}[{i}] = {ids[i]} is not an item (the catalogue has {itemCount}).", nameof(impressions));
                    }
                }
            }
        }
    }
}
