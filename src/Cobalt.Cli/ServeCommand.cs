using System.CommandLine;
using Cobalt.Service;
using Cobalt.Service.Loops;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Cobalt.Cli;

/// <summary><c>cobalt serve</c>: run the rank/reward service.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var database = new Option<FileInfo>("--db") { Description = "SQLite event log (created if missing).", DefaultValueFactory = _ => new FileInfo("cobalt.db") };
        var urls = new Option<string>("--urls") { Description = "Where to listen.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var adminKey = new Option<string?>("--admin-key") { Description = "Key that may create loops (header X-Admin-Key); without it anyone who can reach the service may create loops. Also read from COBALT_ADMIN_KEY." };
        var fullSync = new Option<bool>("--full-sync") { Description = "fsync every commit: acknowledged events also survive power loss (slower)." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Events learned between checkpoints.", DefaultValueFactory = _ => 1000 };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string (e.g. \"Host=db;Username=cobalt;Password=...;Database=cobalt\"): use it instead of --db; several replicas may share it. Also read from COBALT_POSTGRES." };
        var command = new Command("serve", "Run the rank/reward service: loops learn online from a durable event log (see GET /openapi/v1.json).")
        {
            database, urls, adminKey, fullSync, checkpointEvery, postgres,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new ServiceSettings(parse.GetValue(database)!.FullName, parse.GetValue(adminKey) ?? Environment.GetEnvironmentVariable("COBALT_ADMIN_KEY"))
            {
                FullSync = parse.GetValue(fullSync),
                CheckpointEvery = Math.Max(1, parse.GetValue(checkpointEvery)),
                PostgresConnectionString = parse.GetValue(postgres) ?? Environment.GetEnvironmentVariable("COBALT_POSTGRES"),
            };
            var log = settings.PostgresConnectionString is null ? settings.DatabasePath : "PostgreSQL (shared)";
            try
            {
                await using var app = await CobaltService.BuildAsync(settings, parse.GetValue(urls)!, cancellationToken);
                AnsiConsole.MarkupLine($"Cobalt service on [link]{Markup.Escape(parse.GetValue(urls)!)}[/], event log {Markup.Escape(log)}{(settings.AdminKey is null ? " [yellow](no admin key: anyone may create loops)[/]" : "")}");
                await app.StartAsync(cancellationToken);
                await app.WaitForShutdownAsync(cancellationToken);
                return 0;
            }
            catch (Exception e) when (e is IOException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or InvalidDataException or ArgumentException)
            {
                return Errors.Report(e.Message);
            }
        });
        return command;
    }
}
