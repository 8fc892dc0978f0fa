using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cobalt.Data.Tests;

/// <summary>One request as the server saw it.</summary>
public sealed record SeenRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The Range header, or null.</summary>
    public string? Range => Headers.TryGetValue("range", out var range) ? range : null;
}

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 for the fetcher tests: serves byte arrays by path, answers
/// "Range: bytes=N-" with 206 Partial Content, can drop the connection after K body bytes, and
/// closes every connection after its response.
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Bytes, bool AnnounceLength)> _dropAfter = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SeenRequest> _requests = new();
    private readonly Task _loop;

    public LoopbackHttpServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>Requests in the order they arrived.</summary>
    public IReadOnlyList<SeenRequest> Requests => [.. _requests];

    /// <summary>When false, Range headers are ignored and every answer is 200 with the whole file.</summary>
    public bool HonourRange { get; set; } = true;

    /// <summary>The absolute URL of <paramref name="path"/>.</summary>
    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>Serves <paramref name="content"/> at <paramref name="path"/>.</summary>
    public void Serve(string path, byte[] content) => _files[path] = content;

    /// <summary>Serves <paramref name="text"/> (UTF-8) at <paramref name="path"/>.</summary>
    public void Serve(string path, string text) => _files[path] = Encoding.UTF8.GetBytes(text);

    /// <summary>
    /// The next response for <paramref name="path"/> closes the connection after <paramref name="bytes"/> body bytes; it announces
    /// the full Content-Length unless <paramref name="announceLength"/> is false (then the body is delimited by the close).
    /// </summary>
    public void DropNextAfter(string path, long bytes, bool announceLength = true) => _dropAfter[path] = (bytes, announceLength);

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => Handle(client));
        }
    }

    private async Task Handle(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHead(stream);
                if (head is null)
                {
                    return;
                }
                var lines = head.Split("\r\n");
                var requestLine = lines[0].Split(' ');
                if (requestLine.Length != 3 || !requestLine[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
                {
                    await Respond(stream, "400 Bad Request", [], ReadOnlyMemory<byte>.Empty);
                    return;
                }
                var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                    }
                }
                var (method, path) = (requestLine[0], requestLine[1]);
                _requests.Enqueue(new SeenRequest(method, path, headers));

                if (!_files.TryGetValue(path, out var content))
                {
                    await Respond(stream, "404 Not Found", [], Encoding.UTF8.GetBytes("not found"));
                    return;
                }
                long from = 0;
                var status = "200 OK";
                var extra = new List<string>();
                if (HonourRange && headers.TryGetValue("range", out var range) && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
                    && long.TryParse(range["bytes=".Length..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
                {
                    if (start >= content.Length)
                    {
                        await Respond(stream, "416 Range Not Satisfiable", [$"Content-Range: bytes */{content.Length}"], ReadOnlyMemory<byte>.Empty);
                        return;
                    }
                    from = start;
                    status = "206 Partial Content";
                    extra.Add($"Content-Range: bytes {start}-{content.Length - 1}/{content.Length}");
                }
                var body = content.AsMemory((int)from);
                if (_dropAfter.TryRemove(path, out var drop) && drop.Bytes < body.Length)
                {
                    await WriteHead(stream, status, extra, drop.AnnounceLength ? body.Length : null);
                    await stream.WriteAsync(body[..(int)drop.Bytes]);
                    await stream.FlushAsync();
                    return; // closes the connection before the announced length
                }
                await Respond(stream, status, extra, body);
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }
        }
    }

    private static async Task<string?> ReadHead(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }
            bytes.Add(one[0]);
            if (bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n')
            {
                return Encoding.ASCII.GetString([.. bytes]);
            }
        }
        return null;
    }

    private static async Task WriteHead(NetworkStream stream, string status, IEnumerable<string> headers, long? length)
    {
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(status).Append("\r\n")
            .Append("Content-Type: application/octet-stream\r\n");
        if (length is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Length: {length}\r\n");
        }
        head.Append("Accept-Ranges: bytes\r\n")
            .Append("Connection: close\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
    }

    private static async Task Respond(NetworkStream stream, string status, IEnumerable<string> headers, ReadOnlyMemory<byte> body)
    {
        await WriteHead(stream, status, headers, body.Length);
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _listener.Dispose();
        _stop.Dispose();
    }
}
