using System.Globalization;
using Cobalt.Data.Coat;
using Cobalt.Data.Mind;
using Cobalt.Data.MovieLens;
using Cobalt.Data.OpenBandit;

namespace Cobalt.Data;

/// <summary>What <c>cobalt data info</c> shows: facts about a dataset as (name, value) pairs, and its topic sizes.</summary>
/// <param name="Format">The detected format.</param>
/// <param name="Facts">Counts, time span and the like, in display order.</param>
/// <param name="TopicSizes">Items per topic (largest first), empty when the data has no topics.</param>
public sealed record DatasetSummary(string Format, IReadOnlyList<(string Name, string Value)> Facts, IReadOnlyList<(string Topic, int Items)> TopicSizes)
{
    /// <summary>Detects the dataset in <paramref name="folder"/> and summarises it.</summary>
    /// <exception cref="DataFormatException">No known dataset in the folder, or a malformed file.</exception>
    public static DatasetSummary Of(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new DataFormatException(folder, 0, "the folder does not exist.");
        }
        if (MovieLensReader.DetectFormat(folder) is not null)
        {
            return OfInteractions(MovieLensReader.Read(folder), []);
        }
        if (MindReader.FindFolder(folder) is not null)
        {
            var (dataset, report) = MindReader.Read(folder);
            return OfInteractions(dataset, [
                ("impression entries read", N(report.Impressions)),
                ("entries naming news missing from news.tsv (skipped)", $"{N(report.UnknownImpressions)} impressions, {N(report.UnknownHistoryEntries)} history entries"),
            ]);
        }
        if (OpenBanditReader.FindCampaignFile(folder) is not null)
        {
            return OfLoggedBandit(OpenBanditReader.Read(folder));
        }
        if (CoatReader.IsCoat(folder))
        {
            return OfCoat(CoatReader.Read(folder));
        }
        throw new DataFormatException(folder, 0, "no known dataset here (MovieLens, MIND, Open Bandit Dataset campaign folder, or Coat).");
    }

    private static DatasetSummary OfInteractions(InteractionDataset d, IReadOnlyList<(string, string)> extra)
    {
        var positives = Enumerable.Range(0, d.Count).Count(d.IsPositive);
        var facts = new List<(string, string)>
        {
            ("users", N(d.Users.Count)),
            ("items", N(d.Items.Count)),
            ("interactions", N(d.Count)),
            ($"positive (value >= {d.PositiveThreshold.ToString(CultureInfo.InvariantCulture)})", $"{N(positives)} ({Percent(positives, d.Count)})"),
            ("time span", d.Count == 0 ? "none" : $"{Date(d.Timestamps.Min())} to {Date(d.Timestamps.Max())}"),
            ("topics", N(d.Topics.Count)),
        };
        facts.AddRange(extra);
        var sizes = d.TopicSizes(TopicMode.First);
        var topics = sizes.Select((n, t) => (d.Topics[t], n)).Where(t => t.n > 0).OrderByDescending(t => t.n).ThenBy(t => t.Item1, StringComparer.Ordinal).ToArray();
        if (topics.Length > 0)
        {
            facts.Add(("items per topic (first topic)", $"largest {N(topics[0].n)}, median {N(topics[topics.Length / 2].n)}, smallest {N(topics[^1].n)}"));
        }
        return new DatasetSummary(d.Format, facts, topics);
    }

    private static DatasetSummary OfLoggedBandit(LoggedBanditDataset d)
    {
        var clicks = d.Rewards.Count(r => r > 0);
        var facts = new List<(string, string)>
        {
            ("behaviour policy", d.BehaviourPolicy),
            ("campaign", d.Campaign),
            ("rounds", N(d.Count)),
            ("items", N(d.ItemCount)),
            ("slots", N(d.SlotCount)),
            ("clicks", $"{N(clicks)} ({Percent(clicks, d.Count)})"),
            ("propensity range", $"{d.Propensities.Min():G4} to {d.Propensities.Max():G4}"),
            ("context features", N(d.Contexts.Columns)),
            ("time span", $"{Date(d.Timestamps.Min() / 1_000_000)} to {Date(d.Timestamps.Max() / 1_000_000)}"),
        };
        return new DatasetSummary("open-bandit-dataset", facts, []);
    }

    private static DatasetSummary OfCoat(CoatDataset d)
    {
        int train = d.Train.Count(r => r > 0), test = d.Test.Count(r => r > 0);
        var facts = new List<(string, string)>
        {
            ("users", N(d.UserCount)),
            ("items", N(d.ItemCount)),
            ("training ratings (self-selected)", $"{N(train)}, {Percent(d.Train.Count(r => r >= 4), train)} rated 4 or 5"),
            ("test ratings (random exposure)", $"{N(test)}, {Percent(d.Test.Count(r => r >= 4), test)} rated 4 or 5"),
            ("propensity range", $"{d.Propensities.Min():G4} to {d.Propensities.Max():G4}"),
            ("user / item features", $"{d.UserFeatures.Columns} / {d.ItemFeatures.Columns} (one-hot)"),
        };
        return new DatasetSummary("coat", facts, []);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(long part, long whole) => whole == 0 ? "n/a" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static string Date(long unixSeconds) => DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
