using System.Net;
using Cobalt.Service.Client;

namespace Cobalt.Service.Tests;

/// <summary>
/// <c>cobalt serve</c> configured through .NET configuration: appsettings.json in the working directory, Cobalt__*
/// environment variables over it, COBALT_ADMIN_KEY over those, flags over everything; bad values stop it at start with
/// the key named.
/// </summary>
public class ConfigurationTests
{
    [Fact]
    public async Task Serve_runs_from_appsettings_and_environment_alone_and_flags_win()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-config-").FullName;
        try
        {
            var port = RunningService.FreePort();
            File.WriteAllText(Path.Combine(folder, "appsettings.json"), $$"""
                { "Cobalt": { "Urls": "http://127.0.0.1:{{port}}", "Database": "from-settings.db", "AdminKey": "settings-key", "CheckpointEvery": 5 } }
                """);
            var address = new Uri($"http://127.0.0.1:{port}");
            // No flag at all: the address, the database and the key come from appsettings.json and the environment.
            using (var server = ConfiguredProcess.Start(folder, new Dictionary<string, string> { ["Cobalt__AdminKey"] = "environment-key" }))
            {
                await server.WaitUntilServingAsync(address);
                File.Exists(Path.Combine(folder, "from-settings.db")).Should().BeTrue("Cobalt:Database is relative to the working directory");
                using var byEnvironment = new CobaltClient(address, "environment-key");
                (await byEnvironment.ListLoopsAsync()).Loops.Should().BeEmpty();
                using var bySettings = new CobaltClient(address, "settings-key");
                var refused = await FluentActions.Awaiting(() => bySettings.ListLoopsAsync()).Should().ThrowAsync<CobaltServiceException>();
                refused.Which.StatusCode.Should().Be(HttpStatusCode.Forbidden, "Cobalt__AdminKey overrides appsettings.json");
                await server.StopAsync();
            }

            // COBALT_ADMIN_KEY beats Cobalt__AdminKey; --admin-key and --urls beat both.
            var flagPort = RunningService.FreePort();
            var flagAddress = new Uri($"http://127.0.0.1:{flagPort}");
            using (var server = ConfiguredProcess.Start(folder, new Dictionary<string, string> { ["Cobalt__AdminKey"] = "environment-key", ["COBALT_ADMIN_KEY"] = "variable-key" },
                "--admin-key", "flag-key", "--urls", flagAddress.ToString().TrimEnd('/')))
            {
                await server.WaitUntilServingAsync(flagAddress);
                using var byFlag = new CobaltClient(flagAddress, "flag-key");
                (await byFlag.ListLoopsAsync()).Loops.Should().BeEmpty();
                using var byVariable = new CobaltClient(flagAddress, "variable-key");
                (await FluentActions.Awaiting(() => byVariable.ListLoopsAsync()).Should().ThrowAsync<CobaltServiceException>()).Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
                await server.StopAsync();
            }
            using (var server = ConfiguredProcess.Start(folder, new Dictionary<string, string> { ["COBALT_ADMIN_KEY"] = "variable-key" }))
            {
                await server.WaitUntilServingAsync(address);
                using var byVariable = new CobaltClient(address, "variable-key");
                (await byVariable.ListLoopsAsync()).Loops.Should().BeEmpty("COBALT_ADMIN_KEY overrides appsettings.json");
                await server.StopAsync();
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("Cobalt__CheckpointEvery", "0", "Cobalt:CheckpointEvery")]
    [InlineData("Cobalt__CheckpointEvery", "often", "Cobalt:CheckpointEvery")]
    [InlineData("Cobalt__Telemetry__OtlpProtocol", "udp", "Cobalt:Telemetry:OtlpProtocol")]
    [InlineData("Cobalt__LearnInterval", "-00:00:01", "Cobalt:LearnInterval")]
    public async Task A_bad_setting_stops_serve_at_start_naming_the_key(string variable, string value, string named)
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-config-bad-").FullName;
        try
        {
            using var server = ConfiguredProcess.Start(folder, new Dictionary<string, string> { ["Cobalt__AdminKey"] = "k", [variable] = value, ["Cobalt__Urls"] = $"http://127.0.0.1:{RunningService.FreePort()}" });
            (await server.WaitForExitAsync()).Should().NotBe(0, server.Output);
            server.Output.Should().Contain(named).And.NotContain("   at ", "a configuration error is a message, not a stack trace");
            File.Exists(Path.Combine(folder, "cobalt.db")).Should().BeFalse("options are checked before the store is opened");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Without_any_admin_key_serve_says_every_way_to_give_one()
    {
        var folder = Directory.CreateTempSubdirectory("cobalt-config-nokey-").FullName;
        try
        {
            using var server = ConfiguredProcess.Start(folder, new Dictionary<string, string>(), "--urls", $"http://127.0.0.1:{RunningService.FreePort()}");
            (await server.WaitForExitAsync()).Should().NotBe(0);
            server.Output.Should().Contain("Cobalt:AdminKey").And.Contain("--admin-key").And.Contain("COBALT_ADMIN_KEY").And.Contain("Cobalt__AdminKey");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
