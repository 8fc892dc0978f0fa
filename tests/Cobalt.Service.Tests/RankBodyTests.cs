using System.Net;
using System.Text;

namespace Cobalt.Service.Tests;

/// <summary>
/// Rank and reward bodies are parsed from their UTF-8 bytes: what the character reader accepted is still accepted (a byte
/// order mark, a body without a declared length) and what it refused is still refused with the same message.
/// </summary>
public class RankBodyTests
{
    private const string Definition = """{ "policy": { "kind": "linucb-disjoint" }, "options": { "context-dimension": 1, "action-dimension": 2, "reward-wait-seconds": 60 } }""";
    private const string Rank = """{ "eventId": "EVENT", "context": [1], "actions": [ { "id": "a", "features": [1, 0] }, { "id": "b", "features": [0, 1] } ] }""";

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(RunningService service, string key, string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("X-Api-Key", key);
        using var response = await service.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Bodies_with_a_byte_order_mark_or_no_length_are_read_and_invalid_utf8_is_a_400()
    {
        await using var service = await RunningService.StartAsync();
        var key = await service.CreateLoopAsync("bodies", Definition);

        var bom = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Rank.Replace("EVENT", "bom", StringComparison.Ordinal))).ToArray();
        var (status, body) = await SendAsync(service, key, "/loops/bodies/rank", new ByteArrayContent(bom));
        status.Should().Be(HttpStatusCode.OK, body);

        // A streamed body (chunked, no Content-Length) longer than the first read buffer.
        var padded = Rank.Replace("EVENT", "chunked", StringComparison.Ordinal).Replace("\"context\"", new string(' ', 9000) + "\"context\"", StringComparison.Ordinal);
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(padded)))
        {
            (status, body) = await SendAsync(service, key, "/loops/bodies/rank", new StreamContent(new NonSeekable(stream)));
        }
        status.Should().Be(HttpStatusCode.OK, body);
        (status, body) = await SendAsync(service, key, "/loops/bodies/events/chunked/reward", new StringContent("""{ "value": 1 }"""));
        status.Should().Be(HttpStatusCode.OK, body);

        var invalid = Encoding.UTF8.GetBytes(Rank.Replace("EVENT", "bad", StringComparison.Ordinal)).Concat(new byte[] { 0xED, 0xA0, 0x80 }).ToArray();
        (status, body) = await SendAsync(service, key, "/loops/bodies/rank", new ByteArrayContent(invalid));
        status.Should().Be(HttpStatusCode.BadRequest);
        body.Should().Contain("not valid UTF-8");
        (status, body) = await SendAsync(service, key, "/loops/bodies/rank", new StringContent("{ \"context\": [1], "));
        status.Should().Be(HttpStatusCode.BadRequest);
        body.Should().Contain("is not valid JSON");
    }

    /// <summary>A stream without a length, so the client sends it chunked.</summary>
    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 1000));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
