using System.Globalization;

namespace Cobalt.Data.Mind;

/// <summary>
/// Reads the Microsoft News Dataset (Wu et al. 2020): news.tsv (id, category, subcategory, title,
/// abstract, url, title entities, abstract entities) and behaviors.tsv (impression id, user, time,
/// history, impressions "newsId-label"). Interactions are the impressions with their click labels;
/// topics are subcategories, as in the two-stage paper; histories are kept per user.
/// </summary>
/// <remarks>
/// Impressions or history entries naming news that news.tsv lacks are counted and skipped (the subset in
/// shared/ joins for only about 3 % of its entries); <see cref="MindReadReport"/> says how many.
/// </remarks>
public static class MindReader
{
    /// <summary>Whether <paramref name="folder"/> (or its MINDsmall_train / MINDlarge_train subfolder) holds MIND files.</summary>
    public static string? FindFolder(string folder)
    {
        foreach (var candidate in new[] { folder, Path.Combine(folder, "MINDsmall_train"), Path.Combine(folder, "MINDlarge_train"), Path.Combine(folder, "train") })
        {
            if (File.Exists(Path.Combine(candidate, "behaviors.tsv")) && File.Exists(Path.Combine(candidate, "news.tsv")))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Reads MIND from <paramref name="folder"/>.</summary>
    public static (InteractionDataset Dataset, MindReadReport Report) Read(string folder)
    {
        var root = FindFolder(folder) ?? throw new DataFormatException(folder, 0, "no MIND files here: expected behaviors.tsv and news.tsv.");
        var news = new IdMap();
        var topics = new IdMap();
        var items = new List<ItemRecord>();
        using (var lines = new DelimitedLines(Path.Combine(root, "news.tsv"), "\t"))
        {
            while (lines.Read())
            {
                lines.RequireFields(4);
                var id = lines.Text(0);
                if (news.TryGet(id, out _))
                {
                    throw lines.Error($"news {id} is listed twice.");
                }
                news.GetOrAdd(id);
                var subcategory = lines.Text(2);
                items.Add(new ItemRecord(id, lines.Text(3), subcategory.Length > 0 ? [topics.GetOrAdd(subcategory)] : []));
            }
        }
        var users = new IdMap();
        var columns = new InteractionColumns();
        var histories = new Dictionary<int, int[]>();
        long unknownImpressions = 0, unknownHistory = 0, impressions = 0;
        using (var lines = new DelimitedLines(Path.Combine(root, "behaviors.tsv"), "\t"))
        {
            while (lines.Read())
            {
                lines.RequireFields(5, exact: true);
                var user = users.GetOrAdd(lines.Text(1));
                if (!DateTime.TryParse(lines.Text(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
                {
                    throw lines.Error($"time '{lines.Text(2)}' is not a date like 11/12/2019 2:14:46 PM.");
                }
                var unix = new DateTimeOffset(time, TimeSpan.Zero).ToUnixTimeSeconds();
                var history = new List<int>();
                foreach (var id in lines.Text(3).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (news.TryGet(id, out var item))
                    {
                        history.Add(item);
                    }
                    else
                    {
                        unknownHistory++;
                    }
                }
                histories[user] = [.. history];
                foreach (var entry in lines.Text(4).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    impressions++;
                    var dash = entry.LastIndexOf('-');
                    if (dash <= 0 || entry[(dash + 1)..] is not ("0" or "1"))
                    {
                        throw lines.Error($"impression '{entry}' is not of the form newsId-0 or newsId-1.");
                    }
                    if (news.TryGet(entry[..dash], out var item))
                    {
                        columns.Add(user, item, entry[^1] == '1' ? 1f : 0f, unix);
                    }
                    else
                    {
                        unknownImpressions++;
                    }
                }
            }
        }
        var dataset = columns.Build(new DirectoryInfo(folder).Name, "mind", users, items, topics.External, 1.0, histories);
        return (dataset, new MindReadReport(impressions, unknownImpressions, unknownHistory));
    }
}

/// <summary>How well behaviors.tsv joined with news.tsv.</summary>
/// <param name="Impressions">Impression entries read.</param>
/// <param name="UnknownImpressions">Entries skipped because their news is not in news.tsv.</param>
/// <param name="UnknownHistoryEntries">History entries skipped for the same reason.</param>
public sealed record MindReadReport(long Impressions, long UnknownImpressions, long UnknownHistoryEntries);
