using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Cobalt.Data.Fetch;

/// <summary>Bytes downloaded so far of one file (<see cref="Total"/> is null until the server says).</summary>
public readonly record struct FetchProgress(string File, long Done, long? Total);

/// <summary>
/// Downloads a dataset's archives, resuming interrupted downloads with HTTP range requests, checks each
/// archive's size and checksum, and extracts them into a temporary folder that is then renamed into
/// place, so the dataset folder appears whole or not at all.
/// </summary>
public sealed partial class DatasetFetcher(HttpClient http)
{
    private readonly HttpClient _http = http ?? throw new ArgumentNullException(nameof(http));

    /// <summary>Downloads and extracts <paramref name="dataset"/> under <paramref name="root"/>; returns the dataset folder.</summary>
    /// <exception cref="InvalidDataException">A size or checksum mismatch, or a damaged archive.</exception>
    /// <exception cref="IOException">The dataset folder already exists (and <paramref name="replace"/> is false).</exception>
    public async Task<string> FetchAsync(RemoteDataset dataset, string root, bool replace = false, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var target = Path.GetFullPath(Path.Combine(root, dataset.Folder));
        if (Directory.Exists(target) && !replace)
        {
            throw new IOException($"{target} already exists; pass --replace to download it again.");
        }
        var downloads = Path.Combine(root, ".downloads");
        Directory.CreateDirectory(downloads);
        var archives = new List<string>();
        foreach (var file in dataset.Files)
        {
            archives.Add(await DownloadAsync(file, Path.Combine(downloads, file.FileName), progress, cancellationToken).ConfigureAwait(false));
        }

        var staging = Path.Combine(root, $".{dataset.Folder}.{Guid.NewGuid():N}.tmp");
        try
        {
            // Each archive goes to a folder named after it (MIND's train and dev archives hold files of the same names);
            // a single archive's folder is the dataset folder. A lone top folder inside an archive is lifted.
            foreach (var archive in archives)
            {
                var folder = Path.Combine(staging, Path.GetFileNameWithoutExtension(archive));
                Extract(archive, folder);
                LiftLoneFolder(folder);
            }
            var content = archives.Count == 1 ? Path.Combine(staging, Path.GetFileNameWithoutExtension(archives[0])) : staging;
            if (Directory.Exists(target))
            {
                var old = target + $".old-{Guid.NewGuid():N}";
                Directory.Move(target, old);
                try
                {
                    Directory.Move(content, target);
                }
                catch (IOException)
                {
                    Directory.Move(old, target); // put the previous copy back
                    throw;
                }
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(content, target);
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
        foreach (var archive in archives)
        {
            File.Delete(archive);
        }
        return target;
    }

    /// <summary>
    /// Downloads <paramref name="file"/> to <paramref name="destination"/>, continuing a <c>.part</c> file left by an
    /// interrupted download; verifies length and checksum before the file is given its final name.
    /// </summary>
    public async Task<string> DownloadAsync(RemoteFile file, string destination, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var partial = destination + ".part";
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
        }
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            File.Delete(partial); // the partial file is longer than the resource: start again (once: no Range header next time)
            return await DownloadAsync(file, destination, progress, cancellationToken).ConfigureAwait(false);
        }
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{file.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
        }
        var resumed = response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == have;
        if (!resumed)
        {
            have = 0; // the server sent the whole file
        }
        var total = response.Content.Headers.ContentRange?.Length ?? (response.Content.Headers.ContentLength is { } length ? length + have : null);
        IOException? interrupted = null;
        await using (var output = new FileStream(partial, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        {
            var buffer = new byte[1 << 16];
            var done = have;
            try
            {
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    done += read;
                    progress?.Report(new FetchProgress(file.FileName, done, total));
                }
            }
            catch (IOException e) when (!cancellationToken.IsCancellationRequested)
            {
                interrupted = e; // the connection dropped: keep what arrived for the next attempt
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        var size = new FileInfo(partial).Length;
        if ((total is { } expected && size != expected) || interrupted is not null)
        {
            throw new IOException($"{file.FileName}: the download stopped at {size}{(total is { } t ? $" of {t}" : "")} bytes; run the command again to resume.", interrupted);
        }
        await VerifyAsync(file, partial, cancellationToken).ConfigureAwait(false);
        File.Move(partial, destination, overwrite: true);
        return destination;
    }

    private async Task VerifyAsync(RemoteFile file, string path, CancellationToken cancellationToken)
    {
        if (file.Size is { } size && new FileInfo(path).Length is var length && length != size)
        {
            File.Delete(path);
            throw new InvalidDataException($"{file.FileName}: {length} bytes arrived but the published file has {size}; the download was discarded.");
        }
        if (file.Sha256 is { } sha)
        {
            await Compare(path, SHA256.Create(), sha, "SHA-256", file, cancellationToken).ConfigureAwait(false);
        }
        if (file.ChecksumUrl is { } url)
        {
            var published = await _http.GetStringAsync(url, cancellationToken).ConfigureAwait(false);
            var match = Md5Pattern().Match(published);
            if (!match.Success)
            {
                throw new InvalidDataException($"{url} holds no MD5 checksum.");
            }
#pragma warning disable CA5351 // MD5 is what GroupLens publishes; it checks integrity, not authenticity.
            await Compare(path, MD5.Create(), match.Value, "MD5", file, cancellationToken).ConfigureAwait(false);
#pragma warning restore CA5351
        }
    }

    private static async Task Compare(string path, HashAlgorithm algorithm, string expected, string name, RemoteFile file, CancellationToken cancellationToken)
    {
        using (algorithm)
        {
            await using var stream = File.OpenRead(path);
            var actual = Convert.ToHexStringLower(await algorithm.ComputeHashAsync(stream, cancellationToken).ConfigureAwait(false));
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                File.Delete(path);
                throw new InvalidDataException($"{file.FileName}: {name} is {actual} but {expected} was published; the download was discarded.");
            }
        }
    }

    private static void Extract(string archive, string folder)
    {
        try
        {
            ZipFile.ExtractToDirectory(archive, folder, overwriteFiles: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.GetFileName(archive)} is not a valid zip archive: {e.Message}", e);
        }
    }

    /// <summary>If <paramref name="folder"/> holds exactly one folder and nothing else, moves that folder's content up.</summary>
    private static void LiftLoneFolder(string folder)
    {
        var entries = Directory.GetFileSystemEntries(folder);
        if (entries.Length != 1 || !Directory.Exists(entries[0]))
        {
            return;
        }
        var lone = entries[0] + $".{Guid.NewGuid():N}";
        Directory.Move(entries[0], lone);
        foreach (var entry in Directory.GetFileSystemEntries(lone))
        {
            var destination = Path.Combine(folder, Path.GetFileName(entry));
            if (Directory.Exists(entry))
            {
                Directory.Move(entry, destination);
            }
            else
            {
                File.Move(entry, destination);
            }
        }
        Directory.Delete(lone);
    }

    [GeneratedRegex("\\b[0-9a-fA-F]{32}\\b")]
    private static partial Regex Md5Pattern();
}
