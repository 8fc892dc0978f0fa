using System.Net;
using System.Security.Cryptography;
using System.Text;
using Cobalt.Service.Loops;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Cobalt.Service.Api;

/// <summary>
/// Who may do what. Admin calls (create a loop, list loops, rotate a loop's key, <c>/metrics</c>) need the service's admin
/// key in <c>X-Admin-Key</c> (401 without, 403 with a wrong one); a service started without one (<c>cobalt serve
/// --insecure-local</c>) answers admin calls only to loopback clients. Loop calls need the loop's key in <c>X-Api-Key</c>:
/// 401 without a key, and one answer (403, same body) both for a wrong key and for a loop that does not exist, so loop
/// names cannot be probed. Keys are compared by their SHA-256 in constant time.
/// <para>
/// Key rotation (<c>POST /loops/{loop}/key</c>) stores the new key's hash and answers the key once; the old key stops at
/// once on this process. Other processes sharing a PostgreSQL store re-read the stored hashes every
/// <see cref="SweepEvery"/> (so the old key stops there within that time) and at once when a key does not match (at most
/// every <see cref="RecheckEvery"/>), so the new key works everywhere immediately.
/// </para>
/// </summary>
internal sealed class Access(LoopRegistry loops, ServiceSettings settings, TimeProvider time)
{
    public const string LoopKeyHeader = "X-Api-Key";
    public const string AdminKeyHeader = "X-Admin-Key";

    /// <summary>How often stored key hashes are re-read when several processes share the store.</summary>
    public static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(2);

    /// <summary>Least time between two re-reads of the stored key hashes caused by keys that do not match.</summary>
    public static readonly TimeSpan RecheckEvery = TimeSpan.FromMilliseconds(250);

    private readonly string? _adminHash = settings.AdminKey is { Length: > 0 } key ? LoopRegistry.Hash(key) : null;
    private readonly Lock _refreshGate = new();
    private Task _refresh = Task.CompletedTask;
    private long _refreshedAt = long.MinValue;

    /// <summary>Refuses the request unless it carries the admin key (or, with no admin key set, comes from this machine).</summary>
    /// <exception cref="BadRequestException">401 without the key, 403 with a wrong one or from another machine in insecure-local mode.</exception>
    public void RequireAdmin(HttpContext http, string action)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (_adminHash is null)
        {
            if (http.Connection.RemoteIpAddress is { } remote && !IPAddress.IsLoopback(remote))
            {
                throw new BadRequestException(403, $"{action} is allowed only from this machine: the service runs without an admin key (--insecure-local).");
            }
            return;
        }
        var key = http.Request.Headers[AdminKeyHeader];
        if (key.Count == 0 || string.IsNullOrEmpty(key[0]))
        {
            throw new BadRequestException(401, $"{action} needs the service's admin key in the {AdminKeyHeader} header.");
        }
        if (!Matches(key, _adminHash))
        {
            throw new BadRequestException(403, $"That is not the service's admin key ({action} needs it in {AdminKeyHeader}).");
        }
    }

    /// <summary>The loop named in the route when the request carries its key.</summary>
    /// <exception cref="BadRequestException">401 without a key; 403, with one body, for a wrong key or an unknown loop.</exception>
    public async ValueTask<Loop> AuthoriseAsync(string loop, HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var key = http.Request.Headers[LoopKeyHeader];
        if (key.Count == 0 || string.IsNullOrEmpty(key[0]))
        {
            throw new BadRequestException(401, $"Send the loop's API key in the {LoopKeyHeader} header.");
        }
        var found = InputRules.HasLoneSurrogate(loop) ? null : await loops.FindAsync(loop, http.RequestAborted).ConfigureAwait(false);
        if (found is not null && !Matches(key, found.ApiKeyHash) && Volatile.Read(ref _refreshedAt) + RecheckEvery.Ticks <= time.GetUtcNow().UtcTicks)
        {
            // Perhaps the key was rotated by another process sharing the store: read the stored hashes once more.
            await RefreshAsync(http.RequestAborted).ConfigureAwait(false);
        }
        return found is not null && Matches(key, found.ApiKeyHash) ? found : throw Refused(loop);
    }

    /// <summary>Gives the loop a new key, stores its hash and answers the key (the old one stops working).</summary>
    public async Task<string> RotateAsync(Loop loop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loop);
        var key = LoopRegistry.NewKey();
        var hash = LoopRegistry.Hash(key);
        if (!await loops.Store.SetApiKeyHashAsync(loop.Name, hash, cancellationToken).ConfigureAwait(false))
        {
            throw new BadRequestException(404, $"There is no loop '{loop.Name}'.");
        }
        loop.ApiKeyHash = hash;
        return key;
    }

    /// <summary>Re-reads the stored key hashes of the loops this process has (concurrent calls share one read).</summary>
    public Task RefreshAsync(CancellationToken cancellationToken)
    {
        Task refresh;
        lock (_refreshGate)
        {
            if (_refresh.IsCompleted)
            {
                Volatile.Write(ref _refreshedAt, time.GetUtcNow().UtcTicks);
                _refresh = ReadHashesAsync();
            }
            refresh = _refresh;
        }
        return refresh.WaitAsync(cancellationToken);
    }

    /// <summary>Re-reads the stored hashes every <see cref="SweepEvery"/> until <paramref name="stopping"/>; a failed read is tried again at the next tick.</summary>
    public async Task SweepAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(SweepEvery, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The store is unreachable: keep the hashes we have and try at the next tick.
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task ReadHashesAsync()
    {
        var known = loops.All.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var records = await loops.Store.LoopsAsync(CancellationToken.None).ConfigureAwait(false);
        loops.Synchronise(records); // options changed and loops deleted by other processes
        foreach (var record in records)
        {
            if (known.TryGetValue(record.Name, out var loop))
            {
                loop.ApiKeyHash = record.ApiKeyHash;
            }
        }
    }

    private static BadRequestException Refused(string loop) =>
        new(403, $"That API key does not belong to loop '{(InputRules.HasLoneSurrogate(loop) ? "?" : loop)}'. A loop that does not exist gets this same answer.");

    private static bool Matches(StringValues key, string hash) =>
        key.Count == 1 && key[0] is { Length: > 0 } k
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(LoopRegistry.Hash(k)), Encoding.ASCII.GetBytes(hash));
}
