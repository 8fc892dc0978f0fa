using System.CommandLine;
using Cobalt.Service;
using Cobalt.Service.Loops;
using Microsoft.Extensions.Hosting;
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
        var command = new Command("serve", "Run the rank/reward service: loops learn online from a durable event log (see GET /openapi/v1.json).")
        {
            database, urls, adminKey, insecureLocal, fullSync, checkpointEvery, postgres,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var key = parse.GetValue(adminKey) ?? Environment.GetEnvironmentVariable("COBALT_ADMIN_KEY");
            key = string.IsNullOrWhiteSpace(key) ? null : key;
            var insecure = parse.GetValue(insecureLocal);
            if (key is null && !insecure)
            {
                return Errors.Report("cobalt serve needs an admin key: give --admin-key KEY or set COBALT_ADMIN_KEY (it guards creating, listing and re-keying loops and /metrics). For a demo on this machine only, use --insecure-local instead.");
            }
            if (insecure && NonLoopback(parse.GetValue(urls)!) is { } exposed)
            {
                return Errors.Report($"--insecure-local listens on loopback only, but --urls has '{exposed}': use http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT, or give an admin key instead.");
            }
            var settings = new ServiceSettings(parse.GetValue(database)!.FullName, key)
            {
                FullSync = parse.GetValue(fullSync),
                CheckpointEvery = Math.Max(1, parse.GetValue(checkpointEvery)),
                PostgresConnectionString = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable("COBALT_POSTGRES"),
            };
            var log = settings.PostgresConnectionString is null ? settings.DatabasePath : "PostgreSQL (shared)";
            if (settings.PostgresConnectionString is null && DatabaseProblem(settings.DatabasePath) is { } badPath)
            {
                return Errors.Report(badPath);
            }
            if (BusyPort(parse.GetValue(urls)!) is { } busy)
            {
                return Errors.Report(busy);
            }
            try
            {
                await using var app = await CobaltService.BuildAsync(settings, parse.GetValue(urls)!, cancellationToken);
                await app.StartAsync(cancellationToken);
                AnsiConsole.MarkupLine($"Cobalt service on [link]{Markup.Escape(parse.GetValue(urls)!)}[/], event log {Markup.Escape(log)}{(settings.AdminKey is null ? " [yellow](--insecure-local: no admin key, admin calls from this machine only)[/]" : "")}");
                await app.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                return Errors.Report($"--db {settings.DatabasePath}: cannot use the event log there: {e.Message}");
            }
            catch (Exception e) when (e is IOException or Npgsql.NpgsqlException or InvalidDataException or ArgumentException)
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

    /// <summary>The first address of <paramref name="urls"/> (separated by ';') whose host is not loopback, or null.</summary>
    internal static string? NonLoopback(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || !(uri.IsLoopback || uri.Host == "localhost"))
            {
                return url;
            }
        }
        return null;
    }
}
