using Cobalt.Core.Data;
using Cobalt.Data;
using Cobalt.Neural.Text;

namespace Cobalt.Simulation.UserChoice;

/// <summary>
/// The items as a deployed recommender sees them: titles, first topics with their names, and public word vectors of the
/// titles. Nothing here comes from a simulator.
/// </summary>
/// <remarks>
/// Item features x_i = [sum of the GloVe vectors of the title's words, 1], the item vector of the authors' GLM-UCB
/// (CB4Rec algorithms/linucb.py @67f4029 sums the frozen GloVe vectors of the title's words). A user's profile is
/// z_u = [mean of x_i over the user's logged positives (without the constant), 1], zeros and 1 without a history.
/// </remarks>
public sealed class ObservedCatalogue
{
    private readonly int _wordDimension;

    private ObservedCatalogue(ItemCatalog catalog, int wordDimension, long wordsWithoutVector, long titleWords)
    {
        Catalog = catalog;
        _wordDimension = wordDimension;
        WordsWithoutVector = wordsWithoutVector;
        TitleWords = titleWords;
    }

    /// <summary>The catalogue handed to policies: one row per item, [title vector, 1].</summary>
    public ItemCatalog Catalog { get; }

    /// <summary>Dimension of a user profile: the word dimension plus the constant.</summary>
    public int UserDimension => _wordDimension + 1;

    /// <summary>Title tokens (with repetition) that had no word vector and count as the unknown-word vector.</summary>
    public long WordsWithoutVector { get; }

    /// <summary>Title tokens in all (with repetition).</summary>
    public long TitleWords { get; }

    /// <summary>Builds the catalogue of <paramref name="data"/> with the word vectors in <paramref name="vectorsPath"/> (GloVe text or wink JSON).</summary>
    public static ObservedCatalogue Build(InteractionDataset data, string vectorsPath)
    {
        ArgumentNullException.ThrowIfNull(data);
        var titles = data.Items.Select(i => i.Title).ToArray();
        var vocabulary = new VocabularyBuilder().AddRange(titles).Build();
        var sums = TitleVectors.Sum(titles, WordVectors.ReadFile(vectorsPath, vocabulary), vocabulary);
        var d = sums.Dimension + 1;
        var values = new double[titles.Length * d];
        for (var i = 0; i < titles.Length; i++)
        {
            sums.Row(i).CopyTo(values.AsSpan(i * d));
            values[(i * d) + d - 1] = 1.0;
        }
        var topics = data.FirstTopics().Select(t => Math.Max(t, 0)).ToArray();
        var names = data.Topics.Count > topics.DefaultIfEmpty(0).Max() ? data.Topics : null;
        var catalog = new ItemCatalog(new FeatureMatrix(titles.Length, d, values), topics, titles, names);
        return new ObservedCatalogue(catalog, sums.Dimension, sums.TokensWithoutVector, sums.Tokens);
    }

    /// <summary>z_u for a user whose logged positives are <paramref name="history"/>.</summary>
    public double[] Profile(IReadOnlyList<int> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var profile = new double[UserDimension];
        if (history.Count > 0)
        {
            foreach (var item in history)
            {
                var row = Catalog.Features.Row(item);
                for (var k = 0; k < _wordDimension; k++)
                {
                    profile[k] += row[k];
                }
            }
            for (var k = 0; k < _wordDimension; k++)
            {
                profile[k] /= history.Count;
            }
        }
        profile[^1] = 1.0;
        return profile;
    }
}
