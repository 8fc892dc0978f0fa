using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cobalt.Core.Configuration;
using Cobalt.Core.Persistence;
using Cobalt.Service.Client;
using Cobalt.Service.Loops;
using Cobalt.Service.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Cobalt.Service.Api;

/// <summary>
/// A loop's life cycle after it is created. Admin key: <c>PATCH /loops/{loop}</c> changes loop options in place (the model is
/// kept; options that shape the model are refused with 409); <c>GET /loops/{loop}/model</c> exports the model's state file,
/// <c>PUT /loops/{loop}/model</c> imports one (checked: its SHA-256, kind, policy options and dimensions), <c>POST
/// /loops/{loop}/model/reset</c> puts back an untrained model; <c>DELETE /loops/{loop}</c> deletes the loop with its whole log;
/// <c>DELETE /loops/{loop}/users/{userKey}/events</c> erases the events ranked with that <c>userKey</c>. Loop key: <c>POST
/// /loops/{loop}/events/{eventId}/activate</c> activates an event ranked with <c>"deferActivation": true</c>.
/// </summary>
/// <remarks>
/// Model changes (import, reset, options) and deletion hold the loop's <see cref="Loop.ModelGate"/>, which the learner also
/// holds for its pass over the loop, so none of them interleaves with learning; an imported or reset model is written as the
/// loop's checkpoint before the answer, so a restart keeps it. With several processes sharing a PostgreSQL store, changed
/// options and deletions reach the other processes within <see cref="Access.SweepEvery"/>; an imported or reset model is
/// in the shared checkpoint, which the other processes load when they restart.
/// </remarks>
internal static class LifecycleEndpoints
{
    /// <summary>Header carrying the SHA-256 (hex) of a model state file, on export and (optionally) on import.</summary>
    public const string ChecksumHeader = "X-Model-SHA256";

    /// <summary>Loop options that shape the model: changing them would make the learned model meaningless.</summary>
    private static readonly string[] Fixed = ["context-dimension", "action-dimension", "seed", "features"];

    public static void Map(IEndpointRouteBuilder app, LoopRegistry loops, ServiceSettings settings, Access access, TimeProvider time)
    {
        app.MapPatch("/loops/{loop}", (string loop, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            access.RequireAdmin(http, "Changing a loop");
            var l = await FindAsync(loops, loop, http).ConfigureAwait(false);
            var current = l.Options;
            var merged = JsonNode.Parse(OptionsBinder.ToJson(current))!.AsObject();
            using (var json = InputRules.ParseJson(await Endpoints.ReadBodyAsync(http, settings).ConfigureAwait(false), "The body"))
            {
                var root = json.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.EnumerateObject().Any())
                {
                    throw new BadRequestException(400, "The body must be a JSON object of the loop options to change, named as in PUT's options, e.g. {\"reward-wait-seconds\": 60}.");
                }
                foreach (var member in root.EnumerateObject())
                {
                    if (member.Name is "policy" or "options")
                    {
                        throw new BadRequestException(member.Name == "policy" ? 409 : 400, member.Name == "policy"
                            ? "The policy (its kind and options) shapes the model and cannot change; create a new loop (PUT /loops/{new-name}) for another policy."
                            : "Send the options to change at the top level of the body, e.g. {\"reward-wait-seconds\": 60}, not inside 'options'.");
                    }
                    if (Fixed.Contains(member.Name) && merged[member.Name]?.ToJsonString() != member.Value.GetRawText())
                    {
                        throw new BadRequestException(409, $"options.{member.Name} shapes the loop's model (its feature dimension, action set, seed, or how features are hashed or embedded) and cannot change: "
                            + "create a new loop (PUT /loops/{new-name}) with the new value, or keep this one.");
                    }
                    merged[member.Name] = JsonNode.Parse(member.Value.GetRawText());
                }
            }
            LoopOptions changed;
            try
            {
                using var document = JsonDocument.Parse(merged.ToJsonString());
                changed = OptionsBinder.Bind<LoopOptions>(document.RootElement, "options");
            }
            catch (OptionsException e)
            {
                throw new BadRequestException(400, e.Message);
            }
            await l.ModelGate.WaitAsync(http.RequestAborted).ConfigureAwait(false);
            try
            {
                ThrowIfDeleted(l);
                await loops.ChangeOptionsAsync(l, changed, http.RequestAborted).ConfigureAwait(false);
            }
            catch (OptionsException e)
            {
                throw new BadRequestException(400, e.Message);
            }
            catch (InvalidOperationException e)
            {
                throw new BadRequestException(404, e.Message);
            }
            finally
            {
                l.ModelGate.Release();
            }
            var before = JsonNode.Parse(OptionsBinder.ToJson(current))!.AsObject();
            var after = JsonNode.Parse(OptionsBinder.ToJson(changed))!.AsObject();
            var changes = after.Where(p => before[p.Key]?.ToJsonString() != p.Value?.ToJsonString())
                .ToDictionary(p => p.Key, p => new OptionChange(JsonElementOf(before[p.Key]), JsonElementOf(p.Value)));
            return Results.Ok(new LoopChanged(l.Name, changes, Settings(changed)));
        })).WithName("ChangeLoop").WithDescription("Change loop options in place (admin key): a JSON object of options named as in PUT's options; the model is kept. Options that shape the model (context-dimension, action-dimension, seed, features, the policy) answer 409.")
            .WithTags("Loops").RequireKey(KeyRequirement.Admin).Body<LoopSettings>("application/json").Produces<LoopChanged>().Problems(400, 401, 403, 404, 409, 413)
            .Example("""{"reward-wait-seconds":30,"apprentice":false}""", """{"loop":"news","changed":{"reward-wait-seconds":{"from":60,"to":30}},"options":{"context-dimension":2,"action-dimension":2,"reward-wait-seconds":30,"apprentice":false}}""");

        app.MapDelete("/loops/{loop}", (string loop, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            access.RequireAdmin(http, "Deleting a loop");
            var l = InputRules.HasLoneSurrogate(loop) ? null : await loops.FindAsync(loop, http.RequestAborted).ConfigureAwait(false);
            if (l is null)
            {
                if (loops.Unloadable.ContainsKey(loop) && await loops.Store.DeleteLoopAsync(loop, http.RequestAborted).ConfigureAwait(false))
                {
                    return Results.Ok(new LoopDeleted(loop, true, null, null));
                }
                throw new BadRequestException(404, $"There is no loop '{loop}' (a deleted loop is gone).");
            }
            await l.ModelGate.WaitAsync(http.RequestAborted).ConfigureAwait(false);
            try
            {
                ThrowIfDeleted(l);
                var (decisions, rewards) = await loops.Store.CountAsync(loop, http.RequestAborted).ConfigureAwait(false);
                l.Deleted = true; // ranks from now on are refused; the learner skips it
                try
                {
                    await loops.Store.DeleteLoopAsync(loop, http.RequestAborted).ConfigureAwait(false);
                }
                catch
                {
                    l.Deleted = false;
                    throw;
                }
                loops.Remove(l);
                ServiceLog.LoopLifeCycle(loops.Logger, loop, "deleted with its log");
                return Results.Ok(new LoopDeleted(loop, true, decisions, rewards));
            }
            finally
            {
                l.ModelGate.Release();
            }
        })).WithName("DeleteLoop").WithDescription("Delete a loop with its events, rewards, action ids and checkpoint (admin key); it stops learning at once. 404 for a loop that does not exist (or was deleted).")
            .WithTags("Loops").RequireKey(KeyRequirement.Admin).Produces<LoopDeleted>().Problems(401, 403, 404);

        app.MapGet("/loops/{loop}/model", (string loop, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            access.RequireAdmin(http, "Exporting a loop's model");
            var l = await FindAsync(loops, loop, http).ConfigureAwait(false);
            var (sequence, state) = l.Snapshot();
            var digest = SHA256.HashData(state);
            http.Response.Headers[ChecksumHeader] = Convert.ToHexStringLower(digest);
            http.Response.Headers["Repr-Digest"] = $"sha-256=:{Convert.ToBase64String(digest)}:";
            http.Response.Headers["X-Model-Sequence"] = sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["X-Model-Kind"] = l.Spec.Kind;
            return Results.Bytes(state, "application/octet-stream", $"{l.Name}.cobalt-model");
        })).WithName("ExportModel").WithDescription("The loop's model as its state file (admin key; application/octet-stream) with its SHA-256 in X-Model-SHA256 and the completion it covers in X-Model-Sequence.")
            .WithTags("Models").RequireKey(KeyRequirement.Admin).Produces<Stream>(200, "application/octet-stream").Problems(401, 403, 404)
            .Header(ChecksumHeader, "SHA-256 (hex) of the state file.", response: true)
            .Header("X-Model-Sequence", "The log completion the model covers.", response: true, type: Microsoft.OpenApi.JsonSchemaType.Integer)
            .Header("X-Model-Kind", "The policy kind of the model.", response: true);

        app.MapPut("/loops/{loop}/model", (string loop, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            access.RequireAdmin(http, "Importing a loop's model");
            var l = await FindAsync(loops, loop, http).ConfigureAwait(false);
            var bytes = await ReadBytesAsync(http, settings.MaxModelBytes).ConfigureAwait(false);
            CheckModel(l, bytes, http.Request.Headers[ChecksumHeader].ToString());
            var (sequence, state) = await ReplaceModelAsync(loops, l, () => l.Import(bytes), http.RequestAborted).ConfigureAwait(false);
            ServiceLog.LoopLifeCycle(loops.Logger, l.Name, "model imported");
            return Results.Ok(new ModelImported(l.Name, true, Convert.ToHexStringLower(SHA256.HashData(bytes)), sequence, state.Length));
        })).WithName("ImportModel").WithDescription("Replace the loop's model with a state file from GET /loops/{loop}/model (admin key; body application/octet-stream, optional X-Model-SHA256). 400 for a damaged file, 409 for a model of another policy or dimensions.")
            .WithTags("Models").RequireKey(KeyRequirement.Admin).Body<Stream>("application/octet-stream").Produces<ModelImported>().Problems(400, 401, 403, 404, 409, 413)
            .Header(ChecksumHeader, "Optional SHA-256 (hex) of the body, as export answered it; a mismatch is 400.");

        app.MapPost("/loops/{loop}/model/reset", (string loop, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            access.RequireAdmin(http, "Resetting a loop's model");
            var l = await FindAsync(loops, loop, http).ConfigureAwait(false);
            var (sequence, _) = await ReplaceModelAsync(loops, l, l.Reset, http.RequestAborted).ConfigureAwait(false);
            ServiceLog.LoopLifeCycle(loops.Logger, l.Name, "model reset");
            return Results.Ok(new ModelReset(l.Name, true, sequence));
        })).WithName("ResetModel").WithDescription("Put back an untrained model with the loop's options (admin key); events already learned are not learned again.")
            .WithTags("Models").RequireKey(KeyRequirement.Admin).Produces<ModelReset>().Problems(401, 403, 404);

        app.MapPost("/loops/{loop}/events/{eventId}/activate", (string loop, string eventId, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            var l = await access.AuthoriseAsync(loop, http).ConfigureAwait(false);
            Endpoints.CheckRouteEventId(eventId);
            var options = l.Options;
            var outcome = await loops.Store.ActivateAsync(loop, eventId, time.GetUtcNow().ToUnixTimeMilliseconds(), (long)(options.RewardWaitSeconds * 1000), http.RequestAborted).ConfigureAwait(false);
            return outcome switch
            {
                ActivationOutcome.Activated => Results.Ok(new ActivationResponse(eventId, true, false)),
                ActivationOutcome.AlreadyActive => Results.Ok(new ActivationResponse(eventId, true, true)),
                ActivationOutcome.UnknownEvent => throw new BadRequestException(404, $"event '{eventId}' is not in loop '{loop}'."),
                _ => throw new BadRequestException(410, $"event '{eventId}' is older than the reward wait of {options.RewardWaitSeconds} s: it was finished as inactive and is not learned."),
            };
        })).WithName("ActivateEvent").WithDescription("Activate an event ranked with \"deferActivation\": true (its slate was shown): it takes rewards and is learned. Events never activated are finished as inactive after the reward wait.")
            .WithTags("Decisions").RequireKey(KeyRequirement.Loop).Produces<ActivationResponse>().Problems(400, 401, 403, 404, 410);

        app.MapDelete("/loops/{loop}/users/{userKey}/events", (string loop, string userKey, HttpContext http) => Endpoints.Handle(http, async () =>
        {
            access.RequireAdmin(http, "Erasing a user's events");
            var l = await FindAsync(loops, loop, http).ConfigureAwait(false);
            if (userKey.Length is 0 or > 256 || InputRules.HasLoneSurrogate(userKey))
            {
                throw new BadRequestException(400, "The user key in the path must have 1 to 256 characters (the userKey given at rank time).");
            }
            var erased = await loops.Store.EraseUserAsync(loop, UserKeyHash(l.Name, userKey), http.RequestAborted).ConfigureAwait(false);
            return Results.Ok(new UserEventsErased(l.Name, erased));
        })).WithName("EraseUserEvents").WithDescription("Delete every event (and its rewards) ranked with this userKey (admin key); answers the count. The model keeps what it learned from them: reset it to forget.")
            .WithTags("Loops").RequireKey(KeyRequirement.Admin).Produces<UserEventsErased>().Problems(400, 401, 403, 404);
    }

    /// <summary>How a user key is stored: SHA-256 (hex) of the loop name and the key, so the raw key is never stored and keys do not link loops.</summary>
    public static string UserKeyHash(string loop, string userKey) => LoopRegistry.Hash(loop + "\u0000" + userKey);

    /// <summary>The loop options as the API's contract type (kebab-case names, as PUT takes them).</summary>
    public static LoopSettings Settings(LoopOptions options) =>
        JsonSerializer.Deserialize<LoopSettings>(OptionsBinder.ToJson(options))!;

    /// <summary>The loop options as PUT takes them (kebab-case names).</summary>
    public static JsonElement OptionsJson(LoopOptions options)
    {
        using var document = JsonDocument.Parse(OptionsBinder.ToJson(options));
        return document.RootElement.Clone();
    }

    private static JsonElement? JsonElementOf(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }
        using var document = JsonDocument.Parse(node.ToJsonString());
        return document.RootElement.Clone();
    }

    private static async Task<Loop> FindAsync(LoopRegistry loops, string loop, HttpContext http) =>
        (InputRules.HasLoneSurrogate(loop) ? null : await loops.FindAsync(loop, http.RequestAborted).ConfigureAwait(false)) is { Deleted: false } found
            ? found
            : throw new BadRequestException(404, $"There is no loop '{loop}'.");

    private static void ThrowIfDeleted(Loop loop)
    {
        if (loop.Deleted)
        {
            throw new BadRequestException(404, $"Loop '{loop.Name}' was deleted.");
        }
    }

    /// <summary>
    /// Changes the model under the loop's gate and writes it as the loop's checkpoint; when the store cannot take it the
    /// model goes back to what it was (and the store's error is answered).
    /// </summary>
    private static async Task<(long Sequence, byte[] State)> ReplaceModelAsync(LoopRegistry loops, Loop loop, Func<(long, byte[])> change, CancellationToken cancellationToken)
    {
        await loop.ModelGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDeleted(loop);
            var (_, previous) = loop.Snapshot();
            (long Sequence, byte[] State) replaced;
            try
            {
                replaced = change();
            }
            catch (InvalidDataException e)
            {
                throw new BadRequestException(400, $"The body is not a usable model for loop '{loop.Name}': {e.Message}");
            }
            try
            {
                await loops.Store.ReplaceCheckpointAsync(loop.Name, replaced.Sequence, replaced.State, CancellationToken.None).ConfigureAwait(false);
            }
            catch
            {
                loop.Import(previous);
                throw;
            }
            loop.CheckpointSequence = replaced.Sequence;
            loops.Health(loop.Name).LastGood = replaced;
            return replaced;
        }
        finally
        {
            loop.ModelGate.Release();
        }
    }

    /// <summary>Checks an uploaded state file before it touches the model: checksum header, format, kind, policy options and dimensions.</summary>
    private static void CheckModel(Loop loop, byte[] bytes, string checksum)
    {
        if (bytes.Length == 0)
        {
            throw new BadRequestException(400, "The body is empty: send a model state file (as GET /loops/{loop}/model answers it), as application/octet-stream.");
        }
        var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (checksum.Length > 0 && !string.Equals(checksum.Trim(), actual, StringComparison.OrdinalIgnoreCase))
        {
            throw new BadRequestException(400, $"The body's SHA-256 is {actual} but the {ChecksumHeader} header says {checksum.Trim()}: the file was changed or cut short on its way.");
        }
        StateFile.Header header;
        try
        {
            var (read, state) = StateFile.Read(new MemoryStream(bytes));
            state.Dispose();
            header = read;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new BadRequestException(400, $"The body is not a valid model state file: {e.Message}");
        }
        if (header.Kind != loop.Spec.Kind)
        {
            throw new BadRequestException(409, $"The model file holds a '{header.Kind}' policy; loop '{loop.Name}' uses '{loop.Spec.Kind}'. Import it into a loop of that policy.");
        }
        JsonElement file, own;
        try
        {
            using var fileDocument = JsonDocument.Parse(header.Specification);
            using var ownDocument = JsonDocument.Parse(loop.PolicySpecification);
            file = fileDocument.RootElement.Clone();
            own = ownDocument.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new BadRequestException(400, $"The model file's specification is not valid JSON: {e.Message}");
        }
        foreach (var (field, name) in new[] { ("user-dimension", "context-dimension"), ("item-dimension", "action-dimension"), ("options", "policy options") })
        {
            var theirs = file.TryGetProperty(field, out var t) ? t.GetRawText() : "(none)";
            var ours = own.TryGetProperty(field, out var o) ? o.GetRawText() : "(none)";
            if (theirs != ours)
            {
                throw new BadRequestException(409, $"The model file's {name} is {theirs}; loop '{loop.Name}' has {ours}. A model fits only a loop of the same policy options and dimensions.");
            }
        }
    }

    /// <summary>The request body as bytes, at most <paramref name="limit"/> of them (413 beyond).</summary>
    private static async Task<byte[]> ReadBytesAsync(HttpContext http, long limit)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        if (http.Request.ContentLength > limit)
        {
            throw new BadRequestException(413, $"The model file is larger than the service's limit of {limit} bytes.");
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > limit)
            {
                throw new BadRequestException(413, $"The model file is larger than the service's limit of {limit} bytes.");
            }
        }
        return buffer.ToArray();
    }
}
