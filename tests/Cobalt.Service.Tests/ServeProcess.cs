using System.Diagnostics;
using System.Text;

namespace Cobalt.Service.Tests;

/// <summary>A real <c>cobalt serve</c> process (the built CLI next to the tests) that a test may kill with SIGKILL; its output is kept.</summary>
internal sealed class ServeProcess : IDisposable
{
    public const string AdminKey = "test-admin";
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>Starts <c>cobalt serve</c> on a free loopback port with <paramref name="store"/> (e.g. <c>--db FILE</c>) and waits for /health.</summary>
    public static Task<ServeProcess> StartAsync(params string[] store) => StartAsync(new Dictionary<string, string>(), store);

    /// <summary>Starts <c>cobalt serve</c> as <see cref="StartAsync(string[])"/> does, with these environment variables set.</summary>
    public static async Task<ServeProcess> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] store)
    {
        var address = new Uri($"http://127.0.0.1:{RunningService.FreePort()}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "cobalt.dll"), "serve", .. store, "--urls", address.ToString().TrimEnd('/'), "--admin-key", AdminKey])
        {
            info.ArgumentList.Add(argument);
        }
        var service = new ServeProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start."), address);
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return service;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (service.HasExited)
            {
                throw new InvalidOperationException($"cobalt serve exited with {service._process.ExitCode}:\n{service.Output}");
            }
            await Task.Delay(100);
        }
        service.Dispose();
        throw new TimeoutException("cobalt serve did not answer /health within 60 s.");
    }

    /// <summary>SIGKILL: no shutdown hooks, no final checkpoint.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
    }
}
