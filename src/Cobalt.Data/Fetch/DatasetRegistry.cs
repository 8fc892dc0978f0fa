namespace Cobalt.Data.Fetch;

/// <summary>One file of a published dataset.</summary>
/// <param name="Url">Where it is published.</param>
/// <param name="ChecksumUrl">A published MD5 file for it (GroupLens publishes <c>.zip.md5</c> beside each archive), or null.</param>
/// <param name="Sha256">A known SHA-256 of the file, or null.</param>
/// <param name="Size">The file's known length in bytes (checked where no checksum is published), or null.</param>
public sealed record RemoteFile(Uri Url, Uri? ChecksumUrl = null, string? Sha256 = null, long? Size = null)
{
    /// <summary>The file name in the URL.</summary>
    public string FileName => Path.GetFileName(Url.LocalPath);
}

/// <summary>A dataset that <c>cobalt data fetch</c> can download: its archives and the folder they become.</summary>
/// <param name="Name">Name on the command line.</param>
/// <param name="Folder">Folder created under the data root.</param>
/// <param name="Files">The archives (zip) to download and extract into the folder.</param>
/// <param name="Citation">Whom to credit.</param>
public sealed record RemoteDataset(string Name, string Folder, IReadOnlyList<RemoteFile> Files, string Citation);

/// <summary>The published locations of the datasets Cobalt uses.</summary>
public static class DatasetRegistry
{
    private static RemoteFile GroupLens(string archive) => new(
        new Uri($"https://files.grouplens.org/datasets/movielens/{archive}"),
        new Uri($"https://files.grouplens.org/datasets/movielens/{archive}.md5"));

    private const string MovieLensCitation = "F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and Context. ACM TiiS 5(4). GroupLens usage license: research use.";

    /// <summary>Every dataset by name.</summary>
    public static IReadOnlyList<RemoteDataset> All { get; } =
    [
        new("movielens-small", "ml-latest-small", [GroupLens("ml-latest-small.zip")], MovieLensCitation),
        new("movielens-1m", "ml-1m", [GroupLens("ml-1m.zip")], MovieLensCitation),
        new("movielens-20m", "ml-20m", [GroupLens("ml-20m.zip")], MovieLensCitation),
        new("mind-small", "MINDsmall", [
            new RemoteFile(new Uri("https://mind201910small.blob.core.windows.net/release/MINDsmall_train.zip")),
            new RemoteFile(new Uri("https://mind201910small.blob.core.windows.net/release/MINDsmall_dev.zip"))],
            "Fangzhao Wu et al. 2020. MIND: A Large-scale Dataset for News Recommendation. ACL. Microsoft Research License Terms (non-commercial)."),
    ];

    /// <summary>The dataset called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such dataset (the message lists them).</exception>
    public static RemoteDataset Get(string name) =>
        All.FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"Unknown dataset '{name}'; known: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Every name <c>cobalt data fetch</c> takes: the datasets, then the word vectors (<see cref="GloveFetcher.Name"/>).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(d => d.Name), GloveFetcher.Name];
}
