using System.Collections.Concurrent;
using System.Security.Cryptography;
using Cobalt.Core.Configuration;
using Microsoft.ML.OnnxRuntime;

namespace Cobalt.Service.Features;

/// <summary>
/// A loaded ONNX two-tower model (<see cref="OnnxOptions"/>) run with Microsoft's ONNX Runtime on the CPU: one call embeds a
/// rank call's context ([1, d_c] to u, [1, k]) and its actions ([n, d_a] to v, [n, k]). Models are loaded once per file
/// (path, size and time of last change) and shared by every loop that names them; a session runs calls concurrently.
/// </summary>
/// <remarks>
/// Each session uses one intra-op thread: the service already runs rank calls in parallel, and a small tower gains nothing
/// from splitting one call across cores. Inputs and outputs are float32; the embeddings are widened to double.
/// </remarks>
internal sealed class OnnxEmbedder
{
    private static readonly ConcurrentDictionary<(string Path, long Length, DateTime Written, string Names), Lazy<OnnxEmbedder>> Loaded = new();

    private readonly InferenceSession _session;
    private readonly string[] _inputs;
    private readonly string[] _outputs;

    private OnnxEmbedder(InferenceSession session, OnnxOptions options, int contextDimension, int actionDimension, int embeddingDimension, string sha256)
    {
        _session = session;
        _inputs = [options.ContextInput, options.ActionsInput];
        _outputs = [options.UserOutput, options.ItemsOutput];
        ContextDimension = contextDimension;
        ActionDimension = actionDimension;
        EmbeddingDimension = embeddingDimension;
        Sha256 = sha256;
    }

    /// <summary>d_c: the width of the context input.</summary>
    public int ContextDimension { get; }

    /// <summary>d_a: the width of the actions input.</summary>
    public int ActionDimension { get; }

    /// <summary>k: the width of both embeddings.</summary>
    public int EmbeddingDimension { get; }

    /// <summary>The width of an action's vector for the policy: k + 1 for <see cref="OnnxActionFeatures.Product"/> (the constant), k for <see cref="OnnxActionFeatures.Item"/>.</summary>
    public static int PolicyActionWidth(int k, OnnxActionFeatures actions) => actions == OnnxActionFeatures.Product ? k + 1 : k;

    /// <summary>SHA-256 (hex, lower case) of the model file.</summary>
    public string Sha256 { get; }

    /// <summary>The model <paramref name="options"/> names, loaded and checked (or the one already loaded from the same file).</summary>
    /// <exception cref="OptionsException">The file is missing, is not an ONNX model ONNX Runtime can run, has another SHA-256
    /// than asked, or lacks the named float inputs and outputs of the expected ranks (the message names the option).</exception>
    public static OnnxEmbedder Load(OnnxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = Path.GetFullPath(options.Model);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new OptionsException("model", $"there is no file '{path}'.");
        }
        var key = (path, file.Length, file.LastWriteTimeUtc, string.Join('\n', options.ContextInput, options.ActionsInput, options.UserOutput, options.ItemsOutput));
        var loaded = Loaded.GetOrAdd(key, k => new Lazy<OnnxEmbedder>(() => Open(k.Path, options)));
        OnnxEmbedder model;
        try
        {
            model = loaded.Value;
        }
        catch (OptionsException)
        {
            Loaded.TryRemove(new(key, loaded)); // a fixed file may be tried again
            throw;
        }
        if (options.Sha256.Length > 0 && !string.Equals(options.Sha256, model.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new OptionsException("sha256", $"'{path}' has SHA-256 {model.Sha256}, not {options.Sha256.ToLowerInvariant()}.");
        }
        return model;
    }

    private static OnnxEmbedder Open(string path, OnnxOptions options)
    {
        var bytes = File.ReadAllBytes(path);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        InferenceSession session;
        try
        {
            using var settings = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            session = new InferenceSession(bytes, settings);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OptionsException("model", $"ONNX Runtime cannot load '{path}': {e.Message}");
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new OptionsException("model", $"ONNX Runtime's native library cannot be loaded on this machine ({e.GetType().Name}: {e.Message}).");
        }
        try
        {
            var dc = Width(session.InputMetadata, options.ContextInput, "context-input", "input", path);
            var da = Width(session.InputMetadata, options.ActionsInput, "actions-input", "input", path);
            var ku = Width(session.OutputMetadata, options.UserOutput, "user-output", "output", path);
            var kv = Width(session.OutputMetadata, options.ItemsOutput, "items-output", "output", path);
            if (ku != kv)
            {
                throw new OptionsException("items-output", $"the user embedding has {ku} values but the item embeddings {kv}; both towers must embed into the same k.");
            }
            return new OnnxEmbedder(session, options, dc, da, ku, sha);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The fixed last dimension of a rank-2 float tensor named <paramref name="name"/>.</summary>
    private static int Width(IReadOnlyDictionary<string, NodeMetadata> nodes, string name, string option, string what, string path)
    {
        if (!nodes.TryGetValue(name, out var node))
        {
            throw new OptionsException(option, $"'{path}' has no {what} '{name}'; its {what}s: {string.Join(", ", nodes.Keys)}.");
        }
        if (!node.IsTensor || node.ElementType != typeof(float) || node.Dimensions.Length != 2 || node.Dimensions[1] <= 0)
        {
            throw new OptionsException(option, $"{what} '{name}' of '{path}' must be a float32 tensor [rows, width] with a fixed width; it is {(node.IsTensor ? node.ElementType.Name : node.OnnxValueType.ToString())} [{string.Join(", ", node.Dimensions)}].");
        }
        return node.Dimensions[1];
    }

    /// <summary>
    /// Embeds a context (d_c values) and n actions (n x d_a values, row-major): writes u (k) to <paramref name="user"/> and the
    /// n x k item embeddings (row-major) to <paramref name="items"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the model, or it gave a non-finite value.</exception>
    public void Embed(ReadOnlySpan<double> context, ReadOnlySpan<double> actions, int n, Span<double> user, Span<double> items)
    {
        var c = new float[ContextDimension];
        var a = new float[n * ActionDimension];
        for (var i = 0; i < c.Length; i++)
        {
            c[i] = (float)context[i];
        }
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = (float)actions[i];
        }
        using var contextValue = OrtValue.CreateTensorValueFromMemory(c, [1, ContextDimension]);
        using var actionsValue = OrtValue.CreateTensorValueFromMemory(a, [n, ActionDimension]);
        using var runOptions = new RunOptions();
        try
        {
            using var outputs = _session.Run(runOptions, _inputs, [contextValue, actionsValue], _outputs);
            Copy(outputs[0].GetTensorDataAsSpan<float>(), user, "user");
            Copy(outputs[1].GetTensorDataAsSpan<float>(), items, "items");
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException($"the ONNX model failed on this input: {e.Message}", e);
        }
    }

    private static void Copy(ReadOnlySpan<float> source, Span<double> destination, string what)
    {
        if (source.Length != destination.Length)
        {
            throw new InvalidOperationException($"the ONNX model's {what} output has {source.Length} values; {destination.Length} were expected.");
        }
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = float.IsFinite(source[i])
                ? source[i]
                : throw new InvalidOperationException($"the ONNX model's {what} output has a non-finite value at {i}.");
        }
    }
}
