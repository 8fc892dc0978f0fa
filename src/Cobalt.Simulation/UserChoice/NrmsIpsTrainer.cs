using System.Diagnostics;
using Cobalt.Core.Configuration;
using Cobalt.Core.Contracts;
using Cobalt.Core.Randomness;
using Cobalt.Core.Statistics;
using Cobalt.Data;
using Cobalt.Data.Splits;
using Cobalt.Neural.Nrms;
using Cobalt.Simulation.Neural;

namespace Cobalt.Simulation.UserChoice;

/// <summary>One training epoch of the simulator.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Loss">Mean weighted training loss.</param>
/// <param name="ValidationAuc">Mean per-impression validation AUC after the epoch.</param>
/// <param name="Seconds">Wall time of the epoch (training and validation).</param>
public sealed record NrmsIpsEpoch(int Epoch, double Loss, double ValidationAuc, double Seconds);

/// <summary>What training the NRMS IPS simulator did and how good it is.</summary>
/// <param name="EligibleUsers">Users kept by the impression builder.</param>
/// <param name="TrainingImpressions">Training impressions (one per training-period positive).</param>
/// <param name="ValidationImpressions">Validation impressions scored.</param>
/// <param name="ValidationUsers">Users with a validation-period impression.</param>
/// <param name="Epochs">Each epoch's loss and validation AUC.</param>
/// <param name="BestEpoch">The epoch kept (best validation AUC).</param>
/// <param name="Validation">Validation AUC, MRR, nDCG@5/10 of the kept model (impression means).</param>
/// <param name="BestF1Threshold">The best-F1 threshold of the validation scores, and its F1.</param>
/// <param name="BestF1">F1 at that threshold.</param>
/// <param name="HighestScoreIsClick">
/// Whether the highest-scored validation candidate is a click. When it is not, the authors' rule as coded (np.argmax over
/// F = 2PR / (P + R), which is 0/0 = NaN above every positive) would pick that highest score as THRES, and no reward would fire;
/// <see cref="BinaryMetrics.BestF1"/> counts 0/0 as 0 and picks the best F1 (the rule's intent).
/// </param>
/// <param name="Threshold">THRES in use.</param>
/// <param name="PositiveScoreMean">Mean σ(score) of the validation positives.</param>
/// <param name="NegativeScoreMean">Mean σ(score) of the validation negatives.</param>
/// <param name="GoodShareEmptyHistory">Share of catalogue items good for the all-padding (empty) history.</param>
/// <param name="GoodShareValidationUsers">Share of catalogue items good, averaged over the validation users' histories (history + training positives).</param>
/// <param name="WordVectors">The word vectors used ("none" or the file).</param>
/// <param name="WordsWithVectors">Vocabulary words that found a pretrained vector.</param>
/// <param name="Elapsed">Wall time of the whole training.</param>
public sealed record NrmsIpsReport(
    int EligibleUsers, int TrainingImpressions, int ValidationImpressions, int ValidationUsers, IReadOnlyList<NrmsIpsEpoch> Epochs, int BestEpoch,
    RankingReport Validation, double BestF1Threshold, double BestF1, bool HighestScoreIsClick, double Threshold, double PositiveScoreMean, double NegativeScoreMean,
    double GoodShareEmptyHistory, double GoodShareValidationUsers, string WordVectors, int WordsWithVectors, TimeSpan Elapsed);

/// <summary>
/// Trains the <see cref="NrmsIpsSimulator"/> as CB4Rec does (algorithms/nrms_sim.py NRMS_IPS_Sim.train with EmpiricalIPSModel,
/// preprocess.py compute_empirical_ips, run_sim.py @67f4029) on MovieLens impressions built by <see cref="MovieLensImpressions"/>.
/// </summary>
/// <remarks>
/// <para>Empirical propensity of a (user, item) pair: p(u, i) = (occurrences of i in u's training impressions, positive and
/// negatives, repeats counted) / (u's impression count). Each step draws 4 of an impression's 20 negatives and weighs candidate j
/// of row b by w_bj = (1 / p_bj) / Σ_j (1 / p_bj) (ips_normalize = True); loss = mean_bj w_bj BCE-with-logits_bj.</para>
/// <para>After each epoch the per-impression validation AUC (all 1 + 20 candidates) is computed and the best epoch kept. THRES is the
/// authors' rule: the best-F1 threshold of the precision-recall curve of σ(score) over all validation candidates (sklearn
/// precision_recall_curve, argmax F1, nrms_sim.py evaluate), unless <see cref="NrmsIpsOptions.Threshold"/> fixes it.</para>
/// </remarks>
public static class NrmsIpsTrainer
{
    /// <summary>The seed simulators are trained with unless told otherwise (by worlds and by <c>cobalt simulator train</c>).</summary>
    public const ulong DefaultSeed = 2022;

    /// <summary>Where the shipped GloVe subset lives under the repository.</summary>
    public const string ShippedWordVectors = "data/glove-100d/movielens-latest-small.100d.txt";

    /// <summary>Trains on <paramref name="data"/> split by <paramref name="split"/>; <paramref name="seed"/> decides everything random.</summary>
    /// <exception cref="OptionsException">An option is out of range, or the shipped word vectors are not found.</exception>
    /// <exception cref="ArgumentException">The split leaves no eligible user or no validation impression.</exception>
    public static (NrmsIpsSimulator Simulator, NrmsIpsReport Report) Train(InteractionDataset data, TimeSplit split, NrmsIpsOptions options, ulong seed,
        IProgress<NrmsIpsEpoch>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = Stopwatch.StartNew();
        var impressions = MovieLensImpressions.Build(data, split, Seeds.Stream(seed, "nrms-ips/impressions"), options.Impressions);
        if (impressions.Training.Count == 0 || impressions.Validation.Count == 0)
        {
            throw new ArgumentException($"The split leaves {impressions.EligibleUsers.Length} eligible users, {impressions.Training.Count} training and {impressions.Validation.Count} validation impressions; the simulator needs both kinds.", nameof(split));
        }

        // Model item 0 is the padding item (no words), catalogue item i is model item i + 1.
        var titles = new List<string>(data.Items.Count + 1) { "" };
        titles.AddRange(data.Items.Select(i => i.Title));
        var vectorsPath = VectorsPath(options.WordVectors);
        var model = NrmsModel.FromTitles(titles, options.Nrms, Seeds.Derive(seed, "nrms-ips/model"), glovePath: vectorsPath);
        var wordsWithVectors = CountWordsWithVectors(model);

        var samples = Samples(impressions.Training);
        var validation = impressions.Validation.Select(i => new Impression(Shift(i.History), [i.Positive + 1, .. i.Negatives.Select(n => n + 1)],
            [true, .. i.Negatives.Select(_ => false)])).ToArray();

        var epochs = new List<NrmsIpsEpoch>();
        var trainingRng = Seeds.Stream(seed, "nrms-ips/training");
        byte[]? best = null;
        var bestAuc = double.NegativeInfinity;
        var bestEpoch = 0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            var trained = model.Train(samples, 1, trainingRng, cancellation: cancellation);
            var auc = NrmsOnInteractions.Evaluate(model, validation).Auc;
            var record = new NrmsIpsEpoch(epoch, trained.EpochLosses[0], auc, epochClock.Elapsed.TotalSeconds);
            epochs.Add(record);
            progress?.Report(record);
            if (auc > bestAuc)
            {
                bestAuc = auc;
                bestEpoch = epoch;
                using var buffer = new MemoryStream();
                model.Save(buffer);
                best = buffer.ToArray();
            }
        }
        if (bestEpoch != options.Epochs)
        {
            using var buffer = new MemoryStream(best!);
            model = NrmsModel.Load(buffer, "the best checkpoint");
        }

        var ranking = NrmsOnInteractions.Evaluate(model, validation);
        var (scores, labels) = ValidationScores(model, validation);
        var (f1Threshold, f1, _, _) = BinaryMetrics.BestF1(scores, labels);
        var threshold = options.Threshold > 0 ? options.Threshold : f1Threshold;
        var source = $"{data.Name}, split {split.Rule}, seed {seed}";
        var simulator = new NrmsIpsSimulator(model, threshold, options.FlipProbability, source);
        var goodEmpty = GoodShare(simulator, []);
        var goodUsers = impressions.ValidationUsers.Average(u => GoodShare(simulator, ValidationHistory(impressions, u)));
        var report = new NrmsIpsReport(impressions.EligibleUsers.Length, impressions.Training.Count, validation.Length, impressions.ValidationUsers.Length,
            epochs, bestEpoch, ranking, f1Threshold, f1, labels[Array.IndexOf(scores, scores.Max())], threshold, Mean(scores, labels, true), Mean(scores, labels, false), goodEmpty, goodUsers,
            vectorsPath ?? "none", wordsWithVectors, clock.Elapsed);
        return (simulator, report);
    }

    /// <summary>
    /// NRMS samples of the impressions (model ids, last 50 history items) weighted by inverse empirical propensities:
    /// weight of item i in user u's impression = n_u / c_ui, n_u = u's impressions, c_ui = occurrences of i in them.
    /// </summary>
    public static NrmsSample[] Samples(IReadOnlyList<LoggedImpression> impressions)
    {
        ArgumentNullException.ThrowIfNull(impressions);
        var userCount = new Dictionary<int, int>();
        var pairCount = new Dictionary<(int User, int Item), int>();
        foreach (var impression in impressions)
        {
            userCount[impression.User] = userCount.GetValueOrDefault(impression.User) + 1;
            pairCount[(impression.User, impression.Positive)] = pairCount.GetValueOrDefault((impression.User, impression.Positive)) + 1;
            foreach (var n in impression.Negatives)
            {
                pairCount[(impression.User, n)] = pairCount.GetValueOrDefault((impression.User, n)) + 1;
            }
        }
        float Weight(int user, int item) => (float)((double)userCount[user] / pairCount[(user, item)]);
        var shifted = new Dictionary<int[], int[]>(ReferenceEqualityComparer.Instance);
        return [.. impressions.Select(i =>
        {
            if (!shifted.TryGetValue(i.History, out var history))
            {
                history = Shift(i.History);
                shifted[i.History] = history;
            }
            float[] weights = [Weight(i.User, i.Positive), .. i.Negatives.Select(n => Weight(i.User, n))];
            return new NrmsSample(history, i.Positive + 1, [.. i.Negatives.Select(n => n + 1)], weights);
        })];
    }

    /// <summary>σ(score) of every validation candidate and whether it was the positive.</summary>
    private static (double[] Scores, bool[] Labels) ValidationScores(NrmsModel model, IReadOnlyList<Impression> validation)
    {
        var items = model.EncodeItems();
        var scores = new List<double>();
        var labels = new List<bool>();
        foreach (var impression in validation)
        {
            var user = model.EncodeUser(impression.History, items);
            var raw = new float[impression.Candidates.Length];
            NrmsModel.Score(user, items, impression.Candidates, raw);
            scores.AddRange(raw.Select(z => 1.0 / (1.0 + Math.Exp(-z))));
            labels.AddRange(impression.Clicked);
        }
        return ([.. scores], [.. labels]);
    }

    /// <summary>Share of catalogue items good for a history.</summary>
    internal static double GoodShare(NrmsIpsSimulator simulator, ReadOnlySpan<int> history)
    {
        var scores = new double[simulator.ItemCount];
        simulator.Scores(simulator.UserVector(history), scores);
        var good = 0;
        foreach (var s in scores)
        {
            good += simulator.Good(s) ? 1 : 0;
        }
        return (double)good / scores.Length;
    }

    private static int[] ValidationHistory(MovieLensImpressions impressions, int user) =>
        impressions.Validation.FirstOrDefault(i => i.User == user)?.History
        ?? [.. impressions.InitialHistories[user], .. impressions.Training.Where(i => i.User == user).Select(i => i.Positive)];

    private static double Mean(double[] scores, bool[] labels, bool positive)
    {
        double sum = 0;
        var count = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (labels[i] == positive)
            {
                sum += scores[i];
                count++;
            }
        }
        return count == 0 ? double.NaN : sum / count;
    }

    private static int[] Shift(int[] items) => [.. items.Select(i => i + 1)];

    /// <summary>"none" = no pretrained vectors; "" = the shipped subset, found above the working directory or the program.</summary>
    private static string? VectorsPath(string option)
    {
        if (option == "none")
        {
            return null;
        }
        if (option.Length > 0)
        {
            return File.Exists(option) ? option : throw new OptionsException("word-vectors", $"the file '{option}' does not exist.");
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, ShippedWordVectors);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        throw new OptionsException("word-vectors", $"the shipped {ShippedWordVectors} was not found above the working directory; give a GloVe file or 'none'.");
    }

    private static int CountWordsWithVectors(NrmsModel model)
    {
        var table = model.Network.Words.Table.Value;
        var width = model.Options.WordDimension;
        var count = 0;
        for (var id = 2; id < model.Vocabulary.Count; id++)
        {
            for (var j = 0; j < width; j++)
            {
                if (table[id * width + j] != 0)
                {
                    count++;
                    break;
                }
            }
        }
        return count;
    }
}
