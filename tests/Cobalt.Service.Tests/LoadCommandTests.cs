using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace Cobalt.Service.Tests;

/// <summary><c>cobalt load</c> against a real <c>cobalt serve</c>: the figures scripts read from <c>--json</c>.</summary>
public sealed class LoadCommandTests
{
    [Fact]
    public async Task Load_with_json_prints_one_document_with_the_measured_figures()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cobalt-load-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var server = await ServeProcess.StartAsync("--db", Path.Combine(folder, "events.db"));
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "cobalt.dll"), "load", "--url", server.Address.ToString().TrimEnd('/'),
                "--admin-key", ServeProcess.AdminKey, "--actions", "5", "--features", "8", "--concurrency", "2", "--requests", "300", "--warmup", "30", "--json"])
            {
                info.ArgumentList.Add(argument);
            }
            using var load = Process.Start(info)!;
            var stdout = load.StandardOutput.ReadToEndAsync();
            var stderr = load.StandardError.ReadToEndAsync();
            await load.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            load.ExitCode.Should().Be(0, await stderr);

            using var document = JsonDocument.Parse(await stdout);
            var root = document.RootElement;
            root.GetProperty("command").GetString().Should().Be("load");
            root.GetProperty("plan").GetProperty("requests").GetInt32().Should().Be(300);
            root.GetProperty("plan").GetProperty("concurrency").GetInt32().Should().Be(2);
            root.GetProperty("failedCalls").GetInt32().Should().Be(0);
            var p50 = root.GetProperty("rankP50Ms").GetDouble();
            var p99 = root.GetProperty("rankP99Ms").GetDouble();
            p50.Should().BePositive();
            p99.Should().BeGreaterThanOrEqualTo(p50);
            root.GetProperty("rankMaxMs").GetDouble().Should().BeGreaterThanOrEqualTo(p99);
            root.GetProperty("rankPerSecond").GetDouble().Should().BePositive();
            root.GetProperty("httpCallsPerSecond").GetDouble().Should().BeApproximately(2 * root.GetProperty("rankPerSecond").GetDouble(), 1e-6);
            root.GetProperty("learnedSequence").GetInt64().Should().BeInRange(0, 330);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
