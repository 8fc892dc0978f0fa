using System.Text;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Persistence;
using Cobalt.Core.Randomness;

namespace Cobalt.Core.Tests;

public class StateFileTests
{
    private static readonly StateFile.Header SampleHeader = new("linucb-shared", """{"kind":"linucb-shared","alpha":1.5}""");

    private static byte[] WriteFile(StateFile.Header header, Action<StateWriter> write)
    {
        using var stream = new MemoryStream();
        StateFile.Write(stream, header, write);
        return stream.ToArray();
    }

    private static byte[] SampleFile() => WriteFile(SampleHeader, w =>
    {
        w.Tag("sample");
        w.Write(42);
        w.Write(-7L);
        w.Write(ulong.MaxValue);
        w.Write(Math.PI);
        w.Write(true);
        w.Write("héllo ✓");
        w.Write(new double[] { 1.5, double.NegativeInfinity, -0.0 });
        w.Write(new[] { 3, -4, int.MaxValue });
    });

    private static (StateFile.Header Header, StateReader State) ReadFile(byte[] bytes) => StateFile.Read(new MemoryStream(bytes));

    /// <summary>Offset of the payload: after magic, version, the two strings and the length.</summary>
    private static int PayloadOffset(StateFile.Header header) =>
        8 + 4 + StringSize(header.Kind) + StringSize(header.Specification) + 8;

    private static int StringSize(string s)
    {
        var bytes = Encoding.UTF8.GetByteCount(s);
        var prefix = 1;
        for (var v = bytes >> 7; v > 0; v >>= 7)
        {
            prefix++;
        }
        return prefix + bytes;
    }

    [Fact]
    public void Round_trip_restores_header_and_every_value()
    {
        var (header, state) = ReadFile(SampleFile());
        using (state)
        {
            header.Should().Be(SampleHeader);
            state.Tag("sample");
            state.ReadInt32().Should().Be(42);
            state.ReadInt64().Should().Be(-7L);
            state.ReadUInt64().Should().Be(ulong.MaxValue);
            state.ReadDouble().Should().Be(Math.PI);
            state.ReadBoolean().Should().BeTrue();
            state.ReadString().Should().Be("héllo ✓");
            var doubles = new double[3];
            state.ReadInto(doubles, "doubles");
            doubles[0].Should().Be(1.5);
            doubles[1].Should().Be(double.NegativeInfinity);
            BitConverter.DoubleToInt64Bits(doubles[2]).Should().Be(BitConverter.DoubleToInt64Bits(-0.0), "bits are kept exactly");
            var ints = new int[3];
            state.ReadInto(ints, "ints");
            ints.Should().Equal(3, -4, int.MaxValue);
        }
    }

    [Fact]
    public void Layout_starts_with_magic_and_version_and_ends_with_the_payload_checksum()
    {
        var bytes = SampleFile();
        Encoding.ASCII.GetString(bytes, 0, 8).Should().Be("COBALTST");
        BitConverter.ToInt32(bytes, 8).Should().Be(StateFile.FormatVersion);
        var offset = PayloadOffset(SampleHeader);
        var length = BitConverter.ToInt64(bytes, offset - 8);
        (offset + length + 32).Should().Be(bytes.Length);
        var checksum = System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(offset, (int)length));
        bytes[^32..].Should().Equal(checksum);
    }

    [Fact]
    public void Writing_is_deterministic()
    {
        SampleFile().Should().Equal(SampleFile());
    }

    [Fact]
    public void An_empty_payload_round_trips()
    {
        var bytes = WriteFile(new StateFile.Header("", ""), _ => { });
        var (header, state) = ReadFile(bytes);
        using (state)
        {
            header.Kind.Should().BeEmpty();
            header.Specification.Should().BeEmpty();
            var act = () => state.ReadInt32();
            act.Should().Throw<InvalidDataException>().WithMessage("*ends too early*");
        }
    }

    [Fact]
    public void Wrong_magic_is_rejected()
    {
        var bytes = SampleFile();
        bytes[3] ^= 0x20;
        var act = () => ReadFile(bytes);
        act.Should().Throw<InvalidDataException>().WithMessage("*not a Cobalt state file*COBALTST*");
        var text = () => ReadFile(Encoding.UTF8.GetBytes("{\"kind\": \"json, not state\"}"));
        text.Should().Throw<InvalidDataException>().WithMessage("*not a Cobalt state file*");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-1)]
    public void Wrong_version_is_rejected_with_both_versions_named(int version)
    {
        var bytes = SampleFile();
        BitConverter.GetBytes(version).CopyTo(bytes, 8);
        var act = () => ReadFile(bytes);
        act.Should().Throw<InvalidDataException>()
            .WithMessage($"*format version {version}*reads version {StateFile.FormatVersion}*");
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        var bytes = SampleFile();
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var prefix = bytes[..cut];
            InvalidDataException? caught = null;
            try
            {
                ReadFile(prefix);
            }
            catch (InvalidDataException e)
            {
                caught = e;
            }
            caught.Should().NotBeNull($"a file cut to {cut} of {bytes.Length} bytes must be rejected");
            caught!.Message.Should().Contain(cut < 8 ? "not a Cobalt state file" : "truncated", $"cut at {cut}");
        }
    }

    [Fact]
    public void Every_flipped_payload_or_checksum_byte_fails_the_checksum()
    {
        var bytes = SampleFile();
        var offset = PayloadOffset(SampleHeader);
        for (var i = offset; i < bytes.Length; i++)
        {
            var damaged = bytes.ToArray();
            damaged[i] ^= 0x01;
            var act = () => ReadFile(damaged);
            act.Should().Throw<InvalidDataException>().WithMessage("*checksum*damaged*", $"byte {i} was flipped");
        }
    }

    [Fact]
    public void A_damaged_length_is_rejected()
    {
        var bytes = SampleFile();
        var lengthOffset = PayloadOffset(SampleHeader) - 8;

        var negative = bytes.ToArray();
        BitConverter.GetBytes(-5L).CopyTo(negative, lengthOffset);
        var readNegative = () => ReadFile(negative);
        readNegative.Should().Throw<InvalidDataException>().WithMessage("*-5 bytes*damaged*");

        var huge = bytes.ToArray();
        BitConverter.GetBytes(1L << 40).CopyTo(huge, lengthOffset);
        var readHuge = () => ReadFile(huge);
        readHuge.Should().Throw<InvalidDataException>().WithMessage("*damaged*");

        var tooLong = bytes.ToArray();
        BitConverter.GetBytes(BitConverter.ToInt64(bytes, lengthOffset) + 100).CopyTo(tooLong, lengthOffset);
        var readTooLong = () => ReadFile(tooLong);
        readTooLong.Should().Throw<InvalidDataException>().WithMessage("*truncated*");

        var tooShort = bytes.ToArray();
        BitConverter.GetBytes(BitConverter.ToInt64(bytes, lengthOffset) - 1).CopyTo(tooShort, lengthOffset);
        var readTooShort = () => ReadFile(tooShort);
        readTooShort.Should().Throw<InvalidDataException>().WithMessage("*checksum*");
    }

    [Fact]
    public void A_damaged_length_near_int_MaxValue_is_invalid_data()
    {
        var bytes = SampleFile();
        BitConverter.GetBytes((long)int.MaxValue).CopyTo(bytes, PayloadOffset(SampleHeader) - 8);
        var act = () => ReadFile(bytes);
        act.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void A_stream_that_returns_short_reads_is_read_correctly()
    {
        using var trickle = new TrickleStream(SampleFile());
        var (header, state) = StateFile.Read(trickle);
        using (state)
        {
            header.Should().Be(SampleHeader);
            state.Tag("sample");
            state.ReadInt32().Should().Be(42);
        }
    }

    [Fact]
    public void Null_arguments_are_rejected()
    {
        var stream = new MemoryStream();
        var noStream = () => StateFile.Write(null!, SampleHeader, _ => { });
        noStream.Should().Throw<ArgumentNullException>();
        var noHeader = () => StateFile.Write(stream, null!, _ => { });
        noHeader.Should().Throw<ArgumentNullException>();
        var noState = () => StateFile.Write(stream, SampleHeader, null!);
        noState.Should().Throw<ArgumentNullException>();
        var noRead = () => StateFile.Read(null!);
        noRead.Should().Throw<ArgumentNullException>();
        stream.Length.Should().Be(0);
    }

    [Fact]
    public void Tag_mismatch_names_both_tags()
    {
        var bytes = WriteFile(SampleHeader, w => w.Tag("thompson"));
        var (_, state) = ReadFile(bytes);
        using (state)
        {
            var act = () => state.Tag("linucb");
            act.Should().Throw<InvalidDataException>().WithMessage("Expected state section 'linucb' but found 'thompson'*");
        }
    }

    [Fact]
    public void Array_length_mismatch_names_what_was_expected()
    {
        var bytes = TestStateBytes(w => w.Write(new double[] { 1, 2, 3 }));
        var act = () => Reader(bytes).ReadInto(new double[4], "ridge theta");
        act.Should().Throw<InvalidDataException>().WithMessage("State 'ridge theta' has 3 values; this component expects 4.");

        var intBytes = TestStateBytes(w => w.Write(new[] { 1, 2 }));
        var ints = () => Reader(intBytes).ReadInto(new int[1], "counts");
        ints.Should().Throw<InvalidDataException>().WithMessage("State 'counts' has 2 values; this component expects 1.");
    }

    [Fact]
    public void ReadDoubles_reads_length_prefixed_arrays_and_rejects_bad_lengths()
    {
        var bytes = TestStateBytes(w => w.Write(new double[] { 4, 5 }));
        Reader(bytes).ReadDoubles("values").Should().Equal(4, 5);

        var tooLong = () => Reader(bytes).ReadDoubles("values", maxLength: 1);
        tooLong.Should().Throw<InvalidDataException>().WithMessage("State 'values' claims 2 values*");

        var negative = () => Reader(TestStateBytes(w => w.Write(-3))).ReadDoubles("values");
        negative.Should().Throw<InvalidDataException>().WithMessage("*claims -3 values*");

        var truncated = () => Reader(bytes[..^4]).ReadDoubles("values");
        truncated.Should().Throw<InvalidDataException>().WithMessage("State 'values' ends too early*");
    }

    [Fact]
    public void Reading_past_the_end_is_InvalidDataException_for_every_kind_of_value()
    {
        var empty = Array.Empty<byte>();
        var reads = new Action[]
        {
            () => Reader(empty).ReadInt32(),
            () => Reader(empty).ReadInt64(),
            () => Reader(empty).ReadUInt64(),
            () => Reader(empty).ReadDouble(),
            () => Reader(empty).ReadBoolean(),
            () => Reader(empty).ReadString(),
            () => Reader(empty).Tag("x"),
            () => Reader(empty).ReadInto(new double[1], "d"),
            () => Reader(TestStateBytes(w => w.Write(2))).ReadInto(new double[2], "d"),
            () => Reader(TestStateBytes(w => w.Write(2))).ReadInto(new int[2], "i"),
            () => Reader(empty).ReadInto(new Rng(1)),
        };
        foreach (var read in reads)
        {
            read.Should().Throw<InvalidDataException>().WithMessage("*too early*");
        }
    }

    [Fact]
    public void Generator_state_round_trips_and_continues_identically()
    {
        var rng = new Rng(314);
        for (var i = 0; i < 17; i++)
        {
            rng.NextGaussian();
        }
        var bytes = TestStateBytes(w => w.Write(rng));
        var restored = new Rng(1);
        Reader(bytes).ReadInto(restored);
        restored.State.Should().Be(rng.State);
        for (var i = 0; i < 50; i++)
        {
            restored.NextUInt64().Should().Be(rng.NextUInt64());
        }
    }

    [Fact]
    public void An_all_zero_generator_state_is_invalid_data()
    {
        var bytes = TestStateBytes(w =>
        {
            for (var i = 0; i < 4; i++)
            {
                w.Write(0UL);
            }
        });
        var act = () => Reader(bytes).ReadInto(new Rng(1));
        act.Should().Throw<InvalidDataException>().WithMessage("*random generator state is invalid*")
            .WithInnerException<ArgumentException>();
    }

    [Fact]
    public void Maps_are_written_in_key_order_and_read_back()
    {
        var first = new Dictionary<int, DesignMatrix>();
        var second = new Dictionary<int, DesignMatrix>();
        foreach (var key in new[] { 9, 2, 5 })
        {
            var dm = new DesignMatrix(2);
            dm.AddOuter([key, 1]);
            first[key] = dm;
        }
        foreach (var key in new[] { 5, 9, 2 })
        {
            second[key] = first[key];
        }
        var bytes = TestStateBytes(w => w.Write(first));
        TestStateBytes(w => w.Write(second)).Should().Equal(bytes, "the bytes do not depend on insertion order");

        var created = new List<int>();
        var map = Reader(bytes).ReadMap(key =>
        {
            created.Add(key);
            return new DesignMatrix(2);
        }, "arms");
        created.Should().Equal(2, 5, 9);
        map.Keys.Should().BeEquivalentTo(new[] { 2, 5, 9 });
        foreach (var (key, dm) in map)
        {
            dm.Matrix.ToArray().Should().Equal(first[key].Matrix.ToArray());
            dm.Inverse.ToArray().Should().Equal(first[key].Inverse.ToArray());
        }
    }

    [Fact]
    public void Maps_with_a_repeated_key_or_a_negative_count_are_rejected()
    {
        var duplicate = TestStateBytes(w =>
        {
            w.Write(2);
            w.Write(1);
            new DesignMatrix(1).WriteState(w);
            w.Write(1);
            new DesignMatrix(1).WriteState(w);
        });
        var readDuplicate = () => Reader(duplicate).ReadMap(_ => new DesignMatrix(1), "arms");
        readDuplicate.Should().Throw<InvalidDataException>().WithMessage("State 'arms' holds key 1 twice.");

        var negative = () => Reader(TestStateBytes(w => w.Write(-1))).ReadMap(_ => new DesignMatrix(1), "arms");
        negative.Should().Throw<InvalidDataException>().WithMessage("State 'arms' claims -1 entries.");
    }

    [Fact]
    public void A_state_file_survives_a_trip_through_the_file_system()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-state-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(folder, "model.cobalt");
            var model = new RidgeRegression(3);
            model.Add([1, 2, 3], 4.0);
            AtomicFile.Write(path, stream => StateFile.Write(stream, SampleHeader, model.WriteState));

            using var input = File.OpenRead(path);
            var (header, state) = StateFile.Read(input);
            using (state)
            {
                header.Should().Be(SampleHeader);
                var restored = new RidgeRegression(3);
                restored.ReadState(state);
                restored.Theta.ToArray().Should().Equal(model.Theta.ToArray());
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static byte[] TestStateBytes(Action<StateWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new StateWriter(stream))
        {
            write(writer);
        }
        return stream.ToArray();
    }

    private static StateReader Reader(byte[] bytes) => new(new MemoryStream(bytes));

    /// <summary>A read-only stream that returns at most three bytes per Read call, as pipes and network streams may.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3));

        public override int Read(Span<byte> buffer) => _inner.Read(buffer[..Math.Min(buffer.Length, 3)]);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
