using System.Diagnostics;
using System.Text;

namespace Cobalt.Service.Tests;

/// <summary>
/// A real <c>cobalt serve</c> process started with only the arguments, working directory and environment a test gives
/// (no flags added, unlike <see cref="ServeProcess"/>), so configuration from appsettings.json and the environment is what
/// it runs with. COBALT_ADMIN_KEY, COBALT_POSTGRES and Cobalt__* variables of the test's own environment are removed.
/// </summary>
internal sealed class ConfiguredProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ConfiguredProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

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

    public static ConfiguredProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var name in info.Environment.Keys.Where(k => k is "COBALT_ADMIN_KEY" or "COBALT_POSTGRES" || k.StartsWith("Cobalt__", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            info.Environment.Remove(name);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "cobalt.dll"), "serve", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }
        return new ConfiguredProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start."));
    }

    /// <summary>Waits until <paramref name="address"/> answers /health (the process must stay up).</summary>
    public async Task WaitUntilServingAsync(Uri address)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var started = Stopwatch.StartNew();
        while (started.Elapsed < TimeSpan.FromSeconds(90))
        {
            try
            {
                if ((await client.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"cobalt serve exited with {_process.ExitCode}:\n{Output}");
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"cobalt serve did not answer /health on {address} within 90 s:\n{Output}");
    }

    /// <summary>Waits for the process to exit by itself (a configuration error); its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit(); // drains the output
        return _process.ExitCode;
    }

    /// <summary>Asks the process to stop (SIGTERM: the host shuts down gracefully, flushing telemetry) and waits.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill!.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            await _process.WaitForExitAsync(timeout.Token);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
