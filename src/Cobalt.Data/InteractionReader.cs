using Cobalt.Data.Mind;
using Cobalt.Data.MovieLens;

namespace Cobalt.Data;

/// <summary>Reads whichever interaction dataset a folder holds: MovieLens (any layout) or MIND.</summary>
public static class InteractionReader
{
    /// <summary>Whether <paramref name="folder"/> holds MovieLens or MIND files.</summary>
    public static bool CanRead(string folder) => MovieLensReader.DetectFormat(folder) is not null || MindReader.FindFolder(folder) is not null;

    /// <summary>Reads the dataset in <paramref name="folder"/>.</summary>
    /// <exception cref="DataFormatException">Neither MovieLens nor MIND, or a malformed file.</exception>
    public static InteractionDataset Read(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (MovieLensReader.DetectFormat(folder) is not null)
        {
            return MovieLensReader.Read(folder);
        }
        if (MindReader.FindFolder(folder) is not null)
        {
            return MindReader.Read(folder).Dataset;
        }
        throw new DataFormatException(folder, 0, "neither MovieLens (ratings.csv/.dat, u.data) nor MIND (behaviors.tsv, news.tsv) files are here.");
    }
}
