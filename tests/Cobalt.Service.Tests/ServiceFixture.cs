using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Cobalt.Service;
using Cobalt.Service.Loops;
using Microsoft.AspNetCore.Builder;

namespace Cobalt.Service.Tests;

/// <summary>A real service on a loopback port with its own SQLite file; restartable on the same file.</summary>
public sealed class RunningService : IAsyncDisposable
{
    private WebApplication? _app;

    private RunningService(string folder, ServiceSettings settings)
    {
        Folder = folder;
        Settings = settings;
    }

    public string Folder { get; }

    public ServiceSettings Settings { get; }

    public Uri Address { get; private set; } = new("http://127.0.0.1");

    public HttpClient Client { get; private set; } = new();

    /// <summary>The running application's services.</summary>
    public IServiceProvider Services => _app!.Services;

    public static async Task<RunningService> StartAsync(string? adminKey = "admin-secret", Func<ServiceSettings, ServiceSettings>? configure = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-service-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var settings = new ServiceSettings(Path.Combine(folder, "events.db"), adminKey) { LearnInterval = TimeSpan.FromMilliseconds(50), LearnGrace = TimeSpan.FromMilliseconds(200), CheckpointEvery = 20 };
        var service = new RunningService(folder, configure?.Invoke(settings) ?? settings);
        await service.RestartAsync(stop: false);
        return service;
    }

    /// <summary>Stops (gracefully) and starts again on the same event log.</summary>
    public async Task RestartAsync(bool stop = true)
    {
        if (stop && _app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        var port = FreePort();
        Address = new Uri($"http://127.0.0.1:{port}");
        _app = await CobaltService.BuildAsync(Settings, Address.ToString().TrimEnd('/'));
        await _app.StartAsync();
        Client.Dispose();
        Client = new HttpClient { BaseAddress = Address };
    }

    public async Task<string> CreateLoopAsync(string name, string definition)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/loops/{name}") { Content = new StringContent(definition) };
        AddAdminKey(request);
        using var response = await Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }

    /// <summary>Posts JSON with the loop key <paramref name="key"/> (and the service's admin key, which loop calls ignore).</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, string key, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json) };
        request.Headers.Add("X-Api-Key", key);
        AddAdminKey(request);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>GETs with the loop key <paramref name="key"/>, if any, and the service's admin key (so admin reads such as /metrics work).</summary>
    public async Task<JsonElement> GetAsync(string path, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (key is not null)
        {
            request.Headers.Add("X-Api-Key", key);
        }
        AddAdminKey(request);
        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    /// <summary>Sends a request exactly as given (no keys added): status, body text and the Retry-After header's value, if any.</summary>
    public async Task<(HttpStatusCode Status, string Body, string? RetryAfter)> SendRawAsync(HttpMethod method, string path, string? body = null,
        string? apiKey = null, string? adminKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body);
        }
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }
        if (adminKey is not null)
        {
            request.Headers.Add("X-Admin-Key", adminKey);
        }
        using var response = await Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.TryGetValues("Retry-After", out var retry) ? retry.Single() : null);
    }

    private void AddAdminKey(HttpRequestMessage request)
    {
        if (Settings.AdminKey is { } admin)
        {
            request.Headers.Add("X-Admin-Key", admin);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        Client.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
