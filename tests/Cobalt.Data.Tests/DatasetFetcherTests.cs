using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Cobalt.Data.Fetch;
using Cobalt.Data.MovieLens;

namespace Cobalt.Data.Tests;

/// <summary>DatasetFetcher against a loopback HTTP server: no internet, archives built by the tests.</summary>
public sealed class DatasetFetcherTests : IDisposable
{
    private const string Ratings = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,1,2.0,964982704\n";
    private const string Movies = "movieId,title,genres\n1,\"Toy Story, The (1995)\",Animation|Comedy\n";

    private readonly LoopbackHttpServer _server = new();
    private readonly TempFolder _root = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _root.Dispose();
    }

    /// <summary>A zip holding one top folder (<paramref name="top"/>) with <paramref name="files"/> (relative path to text).</summary>
    private static byte[] Zip(string? top, IReadOnlyDictionary<string, string> files, int padding = 0)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            if (top is not null)
            {
                zip.CreateEntry(top + "/");
            }
            foreach (var (path, text) in files)
            {
                var entry = zip.CreateEntry(top is null ? path : $"{top}/{path}", CompressionLevel.NoCompression);
                using var stream = entry.Open();
                stream.Write(Encoding.UTF8.GetBytes(text));
            }
            if (padding > 0)
            {
                // Incompressible bytes so that the archive is long enough to interrupt part-way.
                var entry = zip.CreateEntry((top is null ? "" : top + "/") + "padding.bin", CompressionLevel.NoCompression);
                using var stream = entry.Open();
                var noise = new byte[padding];
                new Random(1).NextBytes(noise);
                stream.Write(noise);
            }
        }
        return memory.ToArray();
    }

    private static byte[] MovieLensZip(int padding = 0) => Zip("ml-tiny", new Dictionary<string, string>
    {
        ["ratings.csv"] = Ratings,
        ["movies.csv"] = Movies,
        ["docs/README.txt"] = "tiny",
    }, padding);

#pragma warning disable CA5351 // GroupLens publishes MD5; the tests must produce the same kind of checksum.
    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351

    /// <summary>Serves <paramref name="zip"/> at /files/ml-tiny.zip with its MD5 file; returns the dataset.</summary>
    private RemoteDataset ServeMovieLens(byte[] zip, string? md5 = null)
    {
        _server.Serve("/files/ml-tiny.zip", zip);
        _server.Serve("/files/ml-tiny.zip.md5", $"MD5 (ml-tiny.zip) = {md5 ?? Md5(zip)}\n");
        return new RemoteDataset("tiny", "ml-tiny", [new RemoteFile(_server.Url("/files/ml-tiny.zip"), _server.Url("/files/ml-tiny.zip.md5"))], "test");
    }

    private DatasetFetcher Fetcher() => new(_http);

    private string Target => Path.Combine(_root.Folder, "ml-tiny");

    private string Downloads => Path.Combine(_root.Folder, ".downloads");

    /// <summary>Entries of the root other than the dataset folder and the downloads folder (staging or old folders left behind).</summary>
    private string[] Leftovers() =>
        Directory.GetFileSystemEntries(_root.Folder).Select(Path.GetFileName).Where(n => n is not ("ml-tiny" or ".downloads")).ToArray()!;

    private sealed class Recorder : IProgress<FetchProgress>
    {
        private readonly List<FetchProgress> _seen = [];

        public IReadOnlyList<FetchProgress> Seen
        {
            get
            {
                lock (_seen)
                {
                    return [.. _seen];
                }
            }
        }

        public void Report(FetchProgress value)
        {
            lock (_seen)
            {
                _seen.Add(value);
            }
        }
    }

    [Fact]
    public async Task Fresh_download_verifies_md5_and_extracts_into_the_dataset_folder()
    {
        var zip = MovieLensZip();
        var dataset = ServeMovieLens(zip);
        var progress = new Recorder();

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder, progress: progress);

        folder.Should().Be(Path.GetFullPath(Target));
        File.ReadAllText(Path.Combine(Target, "ratings.csv")).Should().Be(Ratings);
        File.ReadAllText(Path.Combine(Target, "movies.csv")).Should().Be(Movies);
        File.ReadAllText(Path.Combine(Target, "docs", "README.txt")).Should().Be("tiny");
        Directory.Exists(Path.Combine(Target, "ml-tiny")).Should().BeFalse("the archive's lone top folder is lifted");
        Directory.GetFileSystemEntries(Downloads).Should().BeEmpty("the archive and its .part are gone");
        Leftovers().Should().BeEmpty();
        _server.Requests.Select(r => r.Path).Should().Equal("/files/ml-tiny.zip", "/files/ml-tiny.zip.md5");
        _server.Requests[0].Range.Should().BeNull();
        progress.Seen.Should().NotBeEmpty();
        progress.Seen[^1].Should().Be(new FetchProgress("ml-tiny.zip", zip.Length, zip.Length));
        progress.Seen.Select(p => p.Done).Should().BeInAscendingOrder();

        var movies = MovieLensReader.Read(folder);
        movies.Count.Should().Be(2);
        movies.Items[0].Title.Should().Be("Toy Story, The (1995)");
    }

    [Fact]
    public async Task Interrupted_download_leaves_a_part_file_and_the_next_call_resumes_with_a_range_request()
    {
        var zip = MovieLensZip(padding: 200_000);
        var dataset = ServeMovieLens(zip);
        const int K = 70_000;
        _server.DropNextAfter("/files/ml-tiny.zip", K);

        var first = () => Fetcher().FetchAsync(dataset, _root.Folder);

        await first.Should().ThrowAsync<IOException>();
        var part = Path.Combine(Downloads, "ml-tiny.zip.part");
        File.Exists(part).Should().BeTrue();
        File.ReadAllBytes(part).Should().Equal(zip.AsSpan(0, K).ToArray());
        Directory.Exists(Target).Should().BeFalse();
        Leftovers().Should().BeEmpty();

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder);

        var zipRequests = _server.Requests.Where(r => r.Path == "/files/ml-tiny.zip").ToArray();
        zipRequests.Should().HaveCount(2);
        zipRequests[0].Range.Should().BeNull();
        zipRequests[1].Range.Should().Be($"bytes={K}-");
        File.ReadAllText(Path.Combine(folder, "ratings.csv")).Should().Be(Ratings);
        File.ReadAllBytes(Path.Combine(folder, "padding.bin")).Should().HaveCount(200_000);
        File.Exists(part).Should().BeFalse();
        Leftovers().Should().BeEmpty();
    }

    [Fact]
    public async Task Interrupted_download_error_says_to_run_again()
    {
        var zip = MovieLensZip(padding: 100_000);
        var dataset = ServeMovieLens(zip);
        _server.DropNextAfter("/files/ml-tiny.zip", 30_000);

        var first = () => Fetcher().FetchAsync(dataset, _root.Folder);

        (await first.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("run the command again");
    }

    [Fact]
    public async Task Existing_part_file_is_resumed_with_a_range_request()
    {
        var zip = MovieLensZip(padding: 100_000);
        var dataset = ServeMovieLens(zip);
        Directory.CreateDirectory(Downloads);
        File.WriteAllBytes(Path.Combine(Downloads, "ml-tiny.zip.part"), zip.AsSpan(0, 10_000).ToArray());
        var progress = new Recorder();

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder, progress: progress);

        _server.Requests[0].Range.Should().Be("bytes=10000-");
        progress.Seen[0].Done.Should().BeGreaterThan(10_000, "progress counts the bytes already there");
        progress.Seen[^1].Should().Be(new FetchProgress("ml-tiny.zip", zip.Length, zip.Length));
        File.ReadAllText(Path.Combine(folder, "movies.csv")).Should().Be(Movies);
    }

    [Fact]
    public async Task Resumed_response_cut_short_says_to_run_again_and_keeps_its_bytes()
    {
        // A 206 whose body ends at the connection close (no Content-Length): the fetcher compares the size with Content-Range itself.
        var zip = MovieLensZip(padding: 100_000);
        var dataset = ServeMovieLens(zip);
        Directory.CreateDirectory(Downloads);
        var part = Path.Combine(Downloads, "ml-tiny.zip.part");
        File.WriteAllBytes(part, zip.AsSpan(0, 10_000).ToArray());
        _server.DropNextAfter("/files/ml-tiny.zip", 5_000, announceLength: false);

        var first = () => Fetcher().FetchAsync(dataset, _root.Folder);

        (await first.Should().ThrowAsync<IOException>()).Which.Message.Should()
            .Be($"ml-tiny.zip: the download stopped at 15000 of {zip.Length} bytes; run the command again to resume.");
        File.ReadAllBytes(part).Should().Equal(zip.AsSpan(0, 15_000).ToArray());

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder);

        _server.Requests.Where(r => r.Path == "/files/ml-tiny.zip").Select(r => r.Range).Should().Equal("bytes=10000-", "bytes=15000-");
        File.ReadAllText(Path.Combine(folder, "movies.csv")).Should().Be(Movies);
    }

    [Fact]
    public async Task Server_that_ignores_the_range_gets_the_whole_file_again()
    {
        var zip = MovieLensZip(padding: 50_000);
        var dataset = ServeMovieLens(zip);
        _server.HonourRange = false;
        Directory.CreateDirectory(Downloads);
        File.WriteAllBytes(Path.Combine(Downloads, "ml-tiny.zip.part"), new byte[20_000]); // wrong bytes: must be overwritten, not appended to

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder);

        _server.Requests[0].Range.Should().Be("bytes=20000-");
        File.ReadAllText(Path.Combine(folder, "ratings.csv")).Should().Be(Ratings);
    }

    [Fact]
    public async Task Part_file_longer_than_the_resource_starts_again()
    {
        var zip = MovieLensZip();
        var dataset = ServeMovieLens(zip);
        Directory.CreateDirectory(Downloads);
        File.WriteAllBytes(Path.Combine(Downloads, "ml-tiny.zip.part"), new byte[zip.Length + 10]);

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder);

        _server.Requests.Where(r => r.Path == "/files/ml-tiny.zip").Select(r => r.Range).Should().Equal($"bytes={zip.Length + 10}-", null);
        File.ReadAllText(Path.Combine(folder, "ratings.csv")).Should().Be(Ratings);
    }

    [Fact]
    public async Task Checksum_mismatch_is_rejected_and_leaves_nothing()
    {
        var zip = MovieLensZip();
        var dataset = ServeMovieLens(zip, md5: Md5([1, 2, 3]));

        var fetch = () => Fetcher().FetchAsync(dataset, _root.Folder);

        var e = (await fetch.Should().ThrowAsync<InvalidDataException>()).Which;
        e.Message.Should().Contain("MD5").And.Contain(Md5(zip)).And.Contain(Md5([1, 2, 3]));
        Directory.Exists(Target).Should().BeFalse();
        Directory.GetFileSystemEntries(Downloads).Should().BeEmpty("the bad download is deleted");
        Leftovers().Should().BeEmpty();
    }

    [Fact]
    public async Task Checksum_file_without_a_checksum_is_rejected()
    {
        var dataset = ServeMovieLens(MovieLensZip(), md5: "not published");

        var fetch = () => Fetcher().FetchAsync(dataset, _root.Folder);

        (await fetch.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().Contain("holds no MD5 checksum");
        Directory.Exists(Target).Should().BeFalse();
    }

    [Fact]
    public async Task Sha256_is_checked_when_known()
    {
        var zip = MovieLensZip();
        _server.Serve("/ml-tiny.zip", zip);
        var good = new RemoteDataset("tiny", "ml-tiny", [new RemoteFile(_server.Url("/ml-tiny.zip"), Sha256: Convert.ToHexString(SHA256.HashData(zip)))], "test");
        var bad = good with { Files = [new RemoteFile(_server.Url("/ml-tiny.zip"), Sha256: new string('0', 64))] };

        var fetchBad = () => Fetcher().FetchAsync(bad, _root.Folder);
        (await fetchBad.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().Contain("SHA-256");
        Directory.Exists(Target).Should().BeFalse();

        var folder = await Fetcher().FetchAsync(good, _root.Folder);
        File.ReadAllText(Path.Combine(folder, "movies.csv")).Should().Be(Movies);
    }

    [Fact]
    public async Task Existing_dataset_folder_is_refused_without_replace()
    {
        var dataset = ServeMovieLens(MovieLensZip());
        Directory.CreateDirectory(Target);
        File.WriteAllText(Path.Combine(Target, "old.txt"), "old");

        var fetch = () => Fetcher().FetchAsync(dataset, _root.Folder);

        (await fetch.Should().ThrowAsync<IOException>()).Which.Message.Should().Contain("already exists");
        File.ReadAllText(Path.Combine(Target, "old.txt")).Should().Be("old");
        _server.Requests.Should().BeEmpty("nothing is downloaded");
    }

    [Fact]
    public async Task Replace_swaps_the_dataset_folder_whole()
    {
        var dataset = ServeMovieLens(MovieLensZip());
        Directory.CreateDirectory(Path.Combine(Target, "nested"));
        File.WriteAllText(Path.Combine(Target, "old.txt"), "old");
        File.WriteAllText(Path.Combine(Target, "ratings.csv"), "stale");

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder, replace: true);

        File.Exists(Path.Combine(folder, "old.txt")).Should().BeFalse();
        Directory.Exists(Path.Combine(folder, "nested")).Should().BeFalse();
        File.ReadAllText(Path.Combine(folder, "ratings.csv")).Should().Be(Ratings);
        File.ReadAllText(Path.Combine(folder, "docs", "README.txt")).Should().Be("tiny");
        Leftovers().Should().BeEmpty("no staging or old folders are left behind");
        Directory.GetFileSystemEntries(Downloads).Should().BeEmpty();
    }

    [Fact]
    public async Task Failed_replacement_keeps_the_old_folder()
    {
        var dataset = ServeMovieLens(Encoding.UTF8.GetBytes("not a zip"));
        Directory.CreateDirectory(Target);
        File.WriteAllText(Path.Combine(Target, "old.txt"), "old");

        var fetch = () => Fetcher().FetchAsync(dataset, _root.Folder, replace: true);

        await fetch.Should().ThrowAsync<InvalidDataException>();
        Directory.GetFileSystemEntries(Target).Select(Path.GetFileName).Should().Equal("old.txt");
        File.ReadAllText(Path.Combine(Target, "old.txt")).Should().Be("old");
        Leftovers().Should().BeEmpty();
    }

    [Fact]
    public async Task Download_that_is_not_a_zip_is_rejected()
    {
        var junk = Encoding.UTF8.GetBytes("<html>this is not a zip archive</html>");
        var dataset = ServeMovieLens(junk);

        var fetch = () => Fetcher().FetchAsync(dataset, _root.Folder);

        (await fetch.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().Contain("ml-tiny.zip is not a valid zip archive");
        Directory.Exists(Target).Should().BeFalse();
        Leftovers().Should().BeEmpty();
    }

    [Fact]
    public async Task Http_404_is_an_HttpRequestException()
    {
        var dataset = new RemoteDataset("tiny", "ml-tiny", [new RemoteFile(_server.Url("/missing.zip"))], "test");

        var fetch = () => Fetcher().FetchAsync(dataset, _root.Folder);

        (await fetch.Should().ThrowAsync<HttpRequestException>()).Which.Message.Should().Contain("404");
        Directory.Exists(Target).Should().BeFalse();
        File.Exists(Path.Combine(Downloads, "missing.zip.part")).Should().BeFalse();
    }

    [Fact]
    public async Task Missing_checksum_file_is_an_HttpRequestException()
    {
        var zip = MovieLensZip();
        _server.Serve("/ml-tiny.zip", zip);
        var dataset = new RemoteDataset("tiny", "ml-tiny", [new RemoteFile(_server.Url("/ml-tiny.zip"), _server.Url("/ml-tiny.zip.md5"))], "test");

        var fetch = () => Fetcher().FetchAsync(dataset, _root.Folder);

        (await fetch.Should().ThrowAsync<HttpRequestException>()).Which.StatusCode.Should().Be(HttpStatusCode.NotFound);
        Directory.Exists(Target).Should().BeFalse();
    }

    [Fact]
    public async Task Several_archives_each_get_a_folder_named_after_them()
    {
        _server.Serve("/MINDsmall_train.zip", Zip(null, new Dictionary<string, string> { ["news.tsv"] = "train news", ["behaviors.tsv"] = "train behaviours" }));
        _server.Serve("/MINDsmall_dev.zip", Zip("dev-top", new Dictionary<string, string> { ["news.tsv"] = "dev news" }));
        var dataset = new RemoteDataset("mind", "MINDsmall", [new RemoteFile(_server.Url("/MINDsmall_train.zip")), new RemoteFile(_server.Url("/MINDsmall_dev.zip"))], "test");

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder);

        folder.Should().Be(Path.GetFullPath(Path.Combine(_root.Folder, "MINDsmall")));
        File.ReadAllText(Path.Combine(folder, "MINDsmall_train", "news.tsv")).Should().Be("train news");
        File.ReadAllText(Path.Combine(folder, "MINDsmall_train", "behaviors.tsv")).Should().Be("train behaviours");
        File.ReadAllText(Path.Combine(folder, "MINDsmall_dev", "news.tsv")).Should().Be("dev news");
        Directory.GetFileSystemEntries(folder).Should().HaveCount(2);
        Directory.GetFileSystemEntries(_root.Folder).Select(Path.GetFileName).Should().BeEquivalentTo(new[] { "MINDsmall", ".downloads" });
    }

    [Fact]
    public async Task A_lone_folder_named_like_its_content_is_lifted_correctly()
    {
        _server.Serve("/ml-tiny.zip", Zip("data", new Dictionary<string, string> { ["data/inner.txt"] = "inner", ["top.txt"] = "top" }));
        var dataset = new RemoteDataset("tiny", "ml-tiny", [new RemoteFile(_server.Url("/ml-tiny.zip"))], "test");

        var folder = await Fetcher().FetchAsync(dataset, _root.Folder);

        File.ReadAllText(Path.Combine(folder, "top.txt")).Should().Be("top");
        File.ReadAllText(Path.Combine(folder, "data", "inner.txt")).Should().Be("inner");
        Directory.GetFileSystemEntries(folder).Should().HaveCount(2);
    }

    [Fact]
    public async Task DownloadAsync_gives_the_file_its_final_name()
    {
        var zip = MovieLensZip();
        var dataset = ServeMovieLens(zip);
        var destination = Path.Combine(_root.Folder, "copy.zip");

        var path = await Fetcher().DownloadAsync(dataset.Files[0], destination);

        path.Should().Be(destination);
        File.ReadAllBytes(destination).Should().Equal(zip);
        File.Exists(destination + ".part").Should().BeFalse();
    }

    // ---------------------------------------------------------------- registry

    [Fact]
    public void Registry_entries_use_https_and_movielens_has_md5_files()
    {
        DatasetRegistry.All.Should().NotBeEmpty();
        DatasetRegistry.All.Select(d => d.Name).Should().OnlyHaveUniqueItems();
        DatasetRegistry.All.Select(d => d.Folder).Should().OnlyHaveUniqueItems();
        foreach (var dataset in DatasetRegistry.All)
        {
            dataset.Files.Should().NotBeEmpty();
            dataset.Citation.Should().NotBeNullOrWhiteSpace();
            foreach (var file in dataset.Files)
            {
                file.Url.Scheme.Should().Be(Uri.UriSchemeHttps, dataset.Name);
                file.FileName.Should().EndWith(".zip");
                if (file.ChecksumUrl is { } checksum)
                {
                    checksum.Scheme.Should().Be(Uri.UriSchemeHttps);
                }
            }
        }
        var movieLens = DatasetRegistry.All.Where(d => d.Name.StartsWith("movielens", StringComparison.Ordinal)).ToArray();
        movieLens.Should().NotBeEmpty();
        foreach (var file in movieLens.SelectMany(d => d.Files))
        {
            file.ChecksumUrl.Should().NotBeNull();
            file.ChecksumUrl!.AbsoluteUri.Should().Be(file.Url.AbsoluteUri + ".md5");
        }
    }

    [Fact]
    public void Registry_get_finds_by_name_and_lists_names_when_unknown()
    {
        DatasetRegistry.Get("movielens-1m").Folder.Should().Be("ml-1m");

        var get = () => DatasetRegistry.Get("movielens-5m");

        get.Should().Throw<ArgumentException>().Which.Message.Should().Contain("movielens-5m").And.Contain("movielens-small").And.Contain("mind-small");
    }
}
