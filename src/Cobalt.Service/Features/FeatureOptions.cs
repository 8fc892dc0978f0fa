using System.ComponentModel;
using Cobalt.Core.Configuration;

namespace Cobalt.Service.Features;

/// <summary>Which form of features a loop's rank calls carry.</summary>
public enum FeatureInput
{
    /// <summary>Fixed-length numeric vectors: <c>"context": [..]</c> and each action's <c>"features": [..]</c>.</summary>
    Numbers,

    /// <summary>JSON feature namespaces: <c>"contextFeatures": [{"user": {..}}]</c> and each action's <c>"features": [{"item": {..}}]</c>, hashed.</summary>
    Namespaces,

    /// <summary>Either form, chosen per request part by its content.</summary>
    Both,
}

/// <summary>What a loop's policy sees of an action when an ONNX two-tower model embeds the context (u) and the actions (v_a).</summary>
public enum OnnxActionFeatures
{
    /// <summary>
    /// The elementwise product u ⊙ v_a and a constant 1 (k + 1 values): a linear policy's theta = (1, .., 1, b) gives the
    /// model's own score u · v_a plus a bias b. The constant (VW's constant feature) matters: without it a reward with a
    /// baseline (say 0.5 + u · v_a) is fitted through the products, which are alike across actions, and the learned ranking
    /// can come out reversed.
    /// </summary>
    Product,

    /// <summary>The item embedding v_a (k values), with u as the context, for policies that combine them themselves (a
    /// <c>user-outer-item</c> feature map, or s-n-galm-ucb's additive x = item, z = user).</summary>
    Item,
}

/// <summary>
/// How a loop reads the features of rank calls (loop option <c>features</c>): numeric vectors, or JSON namespaces hashed into
/// the loop's dimensions (<see cref="NamespacedFeatures"/>), optionally through an ONNX two-tower model (<see cref="OnnxOptions"/>).
/// </summary>
public sealed record FeatureOptions : IValidatable
{
    /// <summary>The form rank calls use.</summary>
    [Description("Feature form of rank calls: numbers (fixed-length vectors), namespaces (JSON namespaces of named strings, numbers, booleans and string lists, hashed as Vowpal Wabbit does), or both (per request part, by content).")]
    public FeatureInput Input { get; init; } = FeatureInput.Numbers;

    /// <summary>Namespace pairs "a:b" whose features are crossed (VW's quadratic features).</summary>
    [Description("Namespace pairs 'a:b' whose features are crossed into each action's vector (VW quadratic features: index (16777619 h_a) ^ h_b, value v_a v_b); context namespaces count for every action.")]
    public IReadOnlyList<string> Interactions { get; init; } = [];

    /// <summary>Most named features in the context or in one action (interaction features included).</summary>
    [Description("Most named features the context or one action may carry, interaction features included; more answers 400.")]
    public int MaxFeatures { get; init; } = 2000;

    /// <summary>An ONNX two-tower model embedding the context and the actions (none while its model path is empty).</summary>
    [Description("An ONNX two-tower model that maps the (numeric or hashed) context and action features to embeddings the policy explores over: {\"model\": path, ...} (none by default).")]
    public OnnxOptions Onnx { get; init; } = new();

    /// <summary>The ONNX model's options when the loop has one, else null.</summary>
    internal OnnxOptions? Model => Onnx is { Model.Length: > 0 } onnx ? onnx : null;

    /// <summary>The interaction pairs, parsed.</summary>
    internal IReadOnlyList<(string First, string Second)> Pairs =>
        [.. Interactions.Select(i => i.Split(':') is [var a, var b] ? (a, b) : ("", ""))];

    /// <inheritdoc />
    public void Validate()
    {
        Require.Defined(Input, nameof(Input));
        Require.AtLeast(MaxFeatures, 1, nameof(MaxFeatures));
        for (var i = 0; i < Interactions.Count; i++)
        {
            var parts = Interactions[i]?.Split(':');
            if (parts is not [{ Length: > 0 } a, { Length: > 0 } b] || a == b)
            {
                throw new OptionsException($"interactions[{i}]", $"'{Interactions[i]}' is not a pair 'a:b' of two different namespace names.");
            }
        }
        if (Interactions.Count > 0 && Input == FeatureInput.Numbers)
        {
            throw new OptionsException("interactions", "interactions cross namespaces: set input to namespaces or both.");
        }
    }

    /// <summary>Checks these options against the loop's dimensions (loading the ONNX model, if any, to read its shapes).</summary>
    /// <exception cref="OptionsException">A dimension does not fit the model (the message names the option).</exception>
    internal void Check(int contextDimension, int actionDimension)
    {
        if (Model is null)
        {
            return;
        }
        OnnxEmbedder model;
        try
        {
            model = OnnxEmbedder.Load(Model);
        }
        catch (OptionsException e)
        {
            throw e.Under("features.onnx");
        }
        var k = model.EmbeddingDimension;
        if (contextDimension != k)
        {
            throw new OptionsException("context-dimension", $"the ONNX model's embeddings have {k} values; set context-dimension to {k} (it is {contextDimension}).");
        }
        var width = OnnxEmbedder.PolicyActionWidth(k, Model.Actions);
        if (actionDimension != width)
        {
            throw new OptionsException("action-dimension", $"the ONNX model's embeddings have {k} values; with onnx.actions {Names.Kebab(Model.Actions.ToString())} set action-dimension to {width} (it is {actionDimension}).");
        }
    }
}

/// <summary>
/// An ONNX two-tower model (for example exported from PyTorch with <c>torch.onnx.export</c>): input <see cref="ContextInput"/>
/// [1, d_c] gives output <see cref="UserOutput"/> [1, k]; input <see cref="ActionsInput"/> [n, d_a] gives output
/// <see cref="ItemsOutput"/> [n, k]; float32 throughout. The rank call's context (d_c numbers, or namespaces hashed into d_c)
/// and actions (d_a each) are fed to it, and the loop's policy explores over the embeddings (<see cref="Actions"/>).
/// </summary>
public sealed record OnnxOptions : IValidatable
{
    /// <summary>Path of the .onnx file on the service's machine (every replica needs it at the same path); empty for no model.</summary>
    [Description("Path of the .onnx file on the service's machine (each replica needs it at the same path); empty (the default) for no model.")]
    public string Model { get; init; } = "";

    /// <summary>Expected SHA-256 (hex) of the file, or empty for no check.</summary>
    [Description("Expected SHA-256 (hex) of the model file; a different file is refused (empty: no check).")]
    public string Sha256 { get; init; } = "";

    /// <summary>Name of the context input [1, d_c].</summary>
    [Description("Name of the model's context input, shape [1, d_c].")]
    public string ContextInput { get; init; } = "context";

    /// <summary>Name of the actions input [n, d_a].</summary>
    [Description("Name of the model's actions input, shape [n, d_a].")]
    public string ActionsInput { get; init; } = "actions";

    /// <summary>Name of the user embedding output [1, k].</summary>
    [Description("Name of the model's user embedding output, shape [1, k].")]
    public string UserOutput { get; init; } = "user";

    /// <summary>Name of the item embeddings output [n, k].</summary>
    [Description("Name of the model's item embeddings output, shape [n, k].")]
    public string ItemsOutput { get; init; } = "items";

    /// <summary>What the policy sees of each action.</summary>
    [Description("What the policy sees of each action: product (u * v_a elementwise and a constant 1: action-dimension k + 1) or item (v_a: action-dimension k); the context is u (context-dimension k).")]
    public OnnxActionFeatures Actions { get; init; } = OnnxActionFeatures.Product;

    /// <inheritdoc />
    public void Validate()
    {
        if (Model is null || (Model.Length > 0 && string.IsNullOrWhiteSpace(Model)))
        {
            throw new OptionsException("model", "give the path of the .onnx file (or leave it empty for no model).");
        }
        if (Sha256.Length != 0 && (Sha256.Length != 64 || !Sha256.All(char.IsAsciiHexDigit)))
        {
            throw new OptionsException("sha256", "must be 64 hexadecimal digits (or empty).");
        }
        foreach (var (name, value) in new[] { (nameof(ContextInput), ContextInput), (nameof(ActionsInput), ActionsInput), (nameof(UserOutput), UserOutput), (nameof(ItemsOutput), ItemsOutput) })
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new OptionsException(Names.Kebab(name), "must name a model input or output.");
            }
        }
        Require.Defined(Actions, nameof(Actions));
        if (Model.Length > 0)
        {
            _ = OnnxEmbedder.Load(this); // a model that cannot be read or does not fit the names and shapes is refused here
        }
    }
}
