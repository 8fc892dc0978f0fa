using System.Text;
using Cobalt.Core.Persistence;

namespace Cobalt.Core.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "cobalt-atomic-" + Guid.NewGuid().ToString("N"));

    public AtomicFileTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private string[] FilesInFolder() => Directory.GetFiles(_folder, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToArray()!;

    [Fact]
    public void Writes_the_content()
    {
        var path = Path.Combine(_folder, "state.bin");
        AtomicFile.Write(path, stream => stream.Write([1, 2, 3, 255]));
        File.ReadAllBytes(path).Should().Equal(1, 2, 3, 255);
        FilesInFolder().Should().Equal("state.bin");
    }

    [Fact]
    public void Replaces_an_existing_file_completely()
    {
        var path = Path.Combine(_folder, "state.bin");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)7, 1000).ToArray());
        AtomicFile.Write(path, stream => stream.Write([9, 9]));
        File.ReadAllBytes(path).Should().Equal(9, 9);
        FilesInFolder().Should().Equal("state.bin");
    }

    [Fact]
    public void Creates_missing_folders()
    {
        var path = Path.Combine(_folder, "a", "b", "c.txt");
        AtomicFile.WriteAllText(path, "nested");
        File.ReadAllText(path).Should().Be("nested");
    }

    [Fact]
    public void WriteAllText_writes_utf8_without_a_byte_order_mark()
    {
        var path = Path.Combine(_folder, "report.md");
        AtomicFile.WriteAllText(path, "Regret ± σ ✓");
        var bytes = File.ReadAllBytes(path);
        bytes.Should().Equal(new UTF8Encoding(false).GetBytes("Regret ± σ ✓"));
        bytes.Take(3).Should().NotEqual(new byte[] { 0xEF, 0xBB, 0xBF });
    }

    [Fact]
    public void An_exception_in_the_writer_leaves_the_old_file_intact_and_no_temporary_files()
    {
        var path = Path.Combine(_folder, "state.bin");
        File.WriteAllText(path, "old content");
        var act = () => AtomicFile.Write(path, stream =>
        {
            stream.Write(Encoding.UTF8.GetBytes("half of the new cont"));
            stream.Flush();
            throw new InvalidOperationException("simulated crash");
        });
        act.Should().Throw<InvalidOperationException>().WithMessage("simulated crash");
        File.ReadAllText(path).Should().Be("old content");
        FilesInFolder().Should().Equal("state.bin");
    }

    [Fact]
    public void An_exception_when_there_was_no_file_leaves_nothing_behind()
    {
        var path = Path.Combine(_folder, "new.bin");
        var act = () => AtomicFile.WriteAllText(path, null!);
        act.Should().Throw<ArgumentNullException>();
        var failing = () => AtomicFile.Write(path, _ => throw new IOException("disk full"));
        failing.Should().Throw<IOException>().WithMessage("disk full");
        File.Exists(path).Should().BeFalse();
        FilesInFolder().Should().BeEmpty();
    }

    [Fact]
    public void Rejects_empty_paths_and_missing_writers()
    {
        var empty = () => AtomicFile.Write("", _ => { });
        empty.Should().Throw<ArgumentException>();
        var none = () => AtomicFile.Write(null!, _ => { });
        none.Should().Throw<ArgumentNullException>();
        var noWriter = () => AtomicFile.Write(Path.Combine(_folder, "x"), null!);
        noWriter.Should().Throw<ArgumentNullException>();
        FilesInFolder().Should().BeEmpty();
    }

    [Fact]
    public void The_writer_receives_a_writable_stream_that_it_need_not_close()
    {
        var path = Path.Combine(_folder, "data.bin");
        Stream? seen = null;
        AtomicFile.Write(path, stream =>
        {
            seen = stream;
            stream.CanWrite.Should().BeTrue();
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(12345);
        });
        seen.Should().NotBeNull();
        BitConverter.ToInt32(File.ReadAllBytes(path)).Should().Be(12345);
    }
}
