using System.CommandLine;
using Cobalt.Service;
using Cobalt.Core.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary>
/// <c>cobalt serve</c>: run the rank/reward service. It needs an admin key (<c>--admin-key</c> or <c>COBALT_ADMIN_KEY</c>) and
/// exits with an error without one, unless <c>--insecure-local</c> asks for a loopback-only demo without a key.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var database = new Option<FileInfo>("--db") { Description = "SQLite event log (created if missing).", DefaultValueFactory = _ => new FileInfo("cobalt.db") };
        var urls = new Option<string>("--urls") { Description = "Where to listen.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var adminKey = new Option<string?>("--admin-key") { Description = "Key of the admin calls (header X-Admin-Key): create, list and re-key loops, /metrics. Required (or COBALT_ADMIN_KEY), unless --insecure-local." };
        var insecureLocal = new Option<bool>("--insecure-local") { Description = "Demo mode: run without an admin key, admin calls open to this machine only; --urls must be loopback (127.0.0.1, [::1] or localhost)." };
        var fullSync = new Option<bool>("--full-sync") { Description = "fsync every commit: acknowledged events also survive power loss (slower)." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Events learned between checkpoints.", DefaultValueFactory = _ => 1000 };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string (e.g. \"Host=db;Username=cobalt;Password=...;Database=cobalt\"): use it instead of --db; several replicas may share it. Also read from COBALT_POSTGRES." };
        var command = new Command("serve", "Run the rank/reward service: loops learn online from a durable event log (see GET /openapi/v1.json). Also configured by appsettings.json (section Cobalt) and Cobalt__* environment variables; flags win.")
        {
            database, urls, adminKey, insecureLocal, fullSync, checkpointEvery, postgres,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Configuration keys over appsettings.json and Cobalt__* variables: COBALT_ADMIN_KEY and COBALT_POSTGRES, then the
            // flags given on this command line (a flag left at its default does not hide a configured value).
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var (variable, key) in new[] { ("COBALT_ADMIN_KEY", nameof(ServiceOptions.AdminKey)), ("COBALT_POSTGRES", nameof(ServiceOptions.Postgres)) })
            {
                if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
                {
                    overrides[$"{ServiceOptions.Section}:{key}"] = value;
                }
            }
            void Flag<T>(Option<T> option, string key, Func<T, string?> text)
            {
                if (parse.GetResult(option) is { Implicit: false })
                {
                    overrides[$"{ServiceOptions.Section}:{key}"] = text(parse.GetValue(option)!);
                }
            }
            Flag(database, nameof(ServiceOptions.Database), f => f.FullName);
            Flag(urls, nameof(ServiceOptions.Urls), u => u);
            Flag(adminKey, nameof(ServiceOptions.AdminKey), k => k);
            Flag(insecureLocal, nameof(ServiceOptions.InsecureLocal), b => b ? "true" : "false");
            Flag(fullSync, nameof(ServiceOptions.FullSync), b => b ? "true" : "false");
            Flag(checkpointEvery, nameof(ServiceOptions.CheckpointEvery), n => Math.Max(1, n).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Flag(postgres, nameof(ServiceOptions.Postgres), p => p);
            string? eventLog = null;
            try
            {
                // Checked once the configuration is resolved and before the store opens: a bad --db path or a busy port is named
                // in one line instead of surfacing as a SQLite error or the host's trace.
                await using var app = await CobaltService.BuildAsync(overrides, options =>
                {
                    eventLog = string.IsNullOrWhiteSpace(options.Postgres) ? options.Database : null;
                    return (eventLog is null ? null : DatabaseProblem(eventLog)) ?? BusyPort(options.Urls);
                }, cancellationToken);
                var options = app.Services.GetRequiredService<IOptions<ServiceOptions>>().Value;
                var log = string.IsNullOrWhiteSpace(options.Postgres) ? Path.GetFullPath(options.Database) : "PostgreSQL (shared)";
                var open = string.IsNullOrWhiteSpace(options.AdminKey);
                await app.StartAsync(cancellationToken); // the banner only once the server listens
                AnsiConsole.MarkupLine($"Cobalt service on [link]{Markup.Escape(options.Urls)}[/], event log {Markup.Escape(log)}{(open ? " [yellow](--insecure-local: no admin key, admin calls from this machine only)[/]" : "")}"
                    + (string.IsNullOrWhiteSpace(options.Telemetry.OtlpEndpoint) ? "" : $", traces to {Markup.Escape(options.Telemetry.OtlpEndpoint)}"));
                await app.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (eventLog is not null)
            {
                return Errors.Report($"--db {eventLog}: cannot use the event log there: {e.Message}");
            }
            catch (Exception e) when (e is OptionsException or OptionsValidationException or IOException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or InvalidDataException or ArgumentException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }

    /// <summary>Why the SQLite event log cannot be at <paramref name="path"/> (its folder is missing, or it is a folder), or null.</summary>
    internal static string? DatabaseProblem(string path)
    {
        if (Directory.Exists(path))
        {
            return $"--db {path} is a folder; give a file path for the event log, e.g. --db {Path.Combine(path, "cobalt.db")}.";
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        return folder is not null && !Directory.Exists(folder)
            ? $"--db {path}: the folder {folder} does not exist; create it or give another path."
            : null;
    }

    /// <summary>A message naming the first port of <paramref name="urls"/> that another process already listens on, or null.</summary>
    internal static string? BusyPort(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Port <= 0)
            {
                continue;
            }
            var address = uri.Host == "localhost" ? System.Net.IPAddress.Loopback
                : System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed : null;
            if (address is null)
            {
                continue;
            }
            var listener = new System.Net.Sockets.TcpListener(address, uri.Port);
            try
            {
                listener.Start();
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                return $"port {uri.Port} is already in use (--urls {url}): stop what listens there or choose another port with --urls.";
            }
            catch (System.Net.Sockets.SocketException)
            {
                continue; // not ours to judge (e.g. an address of another machine): the server reports it
            }
            finally
            {
                listener.Stop();
            }
        }
        return null;
    }
}
