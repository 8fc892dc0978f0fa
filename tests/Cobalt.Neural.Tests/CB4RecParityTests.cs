using System.Text.Json;
using Cobalt.Core.Randomness;
using Cobalt.Neural.Autodiff;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Tests;

/// <summary>
/// The two-stage paper's networks compute what their authors' code computes: CB4Rec's NRMS_IPS_Model (the simulator) and
/// NRMS_Topic_Model (the topic model), algorithms/nrms_model.py @67f4029, given the same weights and inputs, give the same
/// scores as <see cref="NrmsNetwork{T}"/> and <see cref="TopicNrmsNetwork{T}"/> with the as-coded options (attended padding,
/// biased Q/K/V projections). The expected scores come from running the authors' PyTorch code:
/// <c>PYTHONPATH=/path/to/CB4Rec python3 tests/Cobalt.Neural.Tests/Reference/cb4rec_nrms_forward.py &gt; tests/Cobalt.Neural.Tests/Reference/cb4rec_nrms_forward.json</c>
/// (PyTorch 1.13, float64, eval mode). Both sides fill every parameter with w[i] = 0.05 sin(0.731 i + phase(name)) in
/// PyTorch's layout; <see cref="Load"/> maps PyTorch's names and layouts (Linear weights [out, in]; heads concatenated) onto
/// Cobalt's (weights [in, out]; heads interleaved component-major).
/// <para>Tolerances, measured: CB4Rec's softmaxes divide by (sum + 1e-8); against its scores Cobalt's differ by up to 8e-9
/// relative. The script's second pass with a plain softmax leaves up to 5e-10 relative (topic model: 7e-13): float64
/// rounding in different summation orders, amplified up to 44-fold because a score u·r is a sum of products whose
/// magnitudes add to 44 times the score here. A network without the projection biases is off by more than 1e-3.</para>
/// </summary>
public sealed class CB4RecParityTests
{
    private const int Heads = 20;
    private const int HeadDimension = 20;

    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "cb4rec_nrms_forward.json"))).RootElement;

    private static NrmsOptions AsCoded => new()
    {
        WordDimension = Reference.GetProperty("words").GetInt32(),
        Heads = Heads,
        HeadDimension = HeadDimension,
        QueryDimension = 200,
        Padding = NrmsPadding.Attended,
        AttentionBias = true,
    };

    [Fact]
    public void Simulator_scores_equal_the_authors_network()
    {
        var network = new NrmsNetwork<double>(AsCoded, Reference.GetProperty("vocabulary").GetInt32(), new Rng(1));
        Load(network.Parameters, "text_encoder", "user_encoder", []);
        var tape = new Tape<double>();
        var users = Users(tape, network);
        var candidates = Titles(tape, network, Matrix("candidates"));
        var scores = network.Scores(tape, users, candidates);
        Close(scores, "simulatorScores", 2e-8);
        Close(scores, "simulatorScoresPlainSoftmax", 1e-9);
    }

    [Fact]
    public void Topic_model_scores_equal_the_authors_network()
    {
        var topics = Reference.GetProperty("topics").GetInt32();
        var network = new TopicNrmsNetwork<double>(AsCoded, Reference.GetProperty("vocabulary").GetInt32(), topics, dimension: 64, new Rng(1));
        Load(network.Parameters, "text_encoder", "user_encoder", new()
        {
            ["user.reduction.0"] = "dimmension_reduction.0",
            ["user.reduction.1"] = "dimmension_reduction.3",
            ["topic.mlp.0"] = "topic_encoder.mlp_head.0",
            ["topic.mlp.1"] = "topic_encoder.mlp_head.3",
        });
        var tape = new Tape<double>();
        var history = Titles(tape, network.Text, Matrix("histories"));
        var users = network.EncodeUsers(tape, history, AllTrue(history.Shape[0] * history.Shape[1]), dropout: null);
        var ids = Matrix("topicCandidates");
        var candidates = network.EncodeTopics(tape, ids.SelectMany(r => r).ToArray(), Shape.Of(ids.Length, ids[0].Length), null, null);
        var scores = network.Scores(tape, users, candidates);
        Close(scores, "topicScores", 2e-8);
        Close(scores, "topicScoresPlainSoftmax", 1e-11);
    }

    [Fact]
    public void Without_the_projection_biases_the_scores_differ()
    {
        // Guards the test itself: the as-coded biases matter to these numbers, so a network without them cannot pass.
        var network = new NrmsNetwork<double>(AsCoded with { AttentionBias = false }, Reference.GetProperty("vocabulary").GetInt32(), new Rng(1));
        Load(network.Parameters, "text_encoder", "user_encoder", []);
        var tape = new Tape<double>();
        var scores = network.Scores(tape, Users(tape, network), Titles(tape, network, Matrix("candidates")));
        scores.Data.ToArray().Zip(Flat("simulatorScores"), (a, b) => Math.Abs(a - b)).Max().Should().BeGreaterThan(1e-3);
    }

    private static Node<double> Users(Tape<double> tape, NrmsNetwork<double> network)
    {
        var history = Titles(tape, network, Matrix("histories"));
        return network.EncodeUsers(tape, history, AllTrue(history.Shape[0] * history.Shape[1]));
    }

    /// <summary>Item vectors [B, C, D] of the titles of item ids [B][C], padding attended (every mask entry true).</summary>
    private static Node<double> Titles(Tape<double> tape, NrmsNetwork<double> network, int[][] items)
    {
        var titles = Matrix("titles");
        var length = titles[0].Length;
        var tokens = items.SelectMany(row => row.SelectMany(i => titles[i])).ToArray();
        var count = items.Length * items[0].Length;
        var vectors = network.EncodeItems(tape, tokens, AllTrue(tokens.Length), count, length, dropout: null);
        return tape.Reshape(vectors, Shape.Of(items.Length, items[0].Length, vectors.Shape[1]));
    }

    private static void Close(Node<double> scores, string expected, double relative) =>
        scores.Data.ToArray().Should().Equal(Flat(expected), (a, b) => Math.Abs(a - b) <= relative * Math.Abs(b), $"{expected} within {relative} relative");

    private static bool[] AllTrue(int n) => Enumerable.Repeat(true, n).ToArray();

    private static int[][] Matrix(string name) =>
        Reference.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();

    private static double[] Flat(string name) =>
        Reference.GetProperty(name).EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetDouble())).ToArray();

    /// <summary>The reference's value of PyTorch parameter <paramref name="name"/> at flat index i: 0.05 sin(0.731 i + phase).</summary>
    private static double Formula(string name, long i) => 0.05 * Math.Sin(0.731 * i + 0.01 * name.Sum(c => (int)c));

    /// <summary>PyTorch's concatenated-heads index h d_k + d of Cobalt's interleaved column c = d H + h.</summary>
    private static int Concatenated(int c) => (c % Heads) * HeadDimension + c / Heads;

    /// <summary>
    /// Fills every Cobalt parameter from the PyTorch parameter it corresponds to. Vectors leaving a self-attention are in
    /// Cobalt's interleaved order, so every weight that reads one (the pooling projection, the next self-attention, the
    /// reduction MLP) has its input index mapped through <see cref="Concatenated"/>, and every self-attention's output index too.
    /// </summary>
    private static void Load(ParameterSet<double> parameters, string text, string user, Dictionary<string, string> others)
    {
        foreach (var p in parameters.All)
        {
            var (layer, leaf) = (p.Name[..p.Name.LastIndexOf('.')], p.Name[(p.Name.LastIndexOf('.') + 1)..]);
            var tower = p.Name.StartsWith("item.", StringComparison.Ordinal) ? text : user;
            var (torch, interleavedIn, interleavedOut) = layer switch
            {
                "word" => ($"{text}.word_embedding", false, false),
                _ when layer.EndsWith(".self-attention.query", StringComparison.Ordinal) => ($"{tower}.multihead_attention.W_Q", tower == user, true),
                _ when layer.EndsWith(".self-attention.key", StringComparison.Ordinal) => ($"{tower}.multihead_attention.W_K", tower == user, true),
                _ when layer.EndsWith(".self-attention.value", StringComparison.Ordinal) => ($"{tower}.multihead_attention.W_V", tower == user, true),
                _ when layer.EndsWith(".pooling.projection", StringComparison.Ordinal) => ($"{tower}.additive_attention.att_fc1", true, false),
                _ when layer.EndsWith(".pooling", StringComparison.Ordinal) => ($"{tower}.additive_attention.att_fc2", true, false),
                "topic.embedding" => ("topic_encoder.word_embedding", false, false),
                _ => (others[layer], layer == "user.reduction.0", false),
            };
            var value = p.Value;
            if (leaf is "table")
            {
                for (var i = 0; i < value.Length; i++)
                {
                    value[i] = Formula($"{torch}.weight", i);   // embeddings share PyTorch's [rows, width] layout
                }
            }
            else if (leaf is "bias")
            {
                for (var o = 0; o < value.Length; o++)
                {
                    value[o] = Formula($"{torch}.bias", interleavedOut ? Concatenated(o) : o);
                }
            }
            else if (leaf is "query")
            {
                for (var a = 0; a < value.Length; a++)
                {
                    value[a] = Formula($"{torch}.weight", a);   // att_fc2.weight [1, A]; its bias cancels in the softmax
                }
            }
            else
            {
                var (inputs, outputs) = (p.Shape[0], p.Shape[1]);
                for (var i = 0; i < inputs; i++)
                {
                    for (var o = 0; o < outputs; o++)
                    {
                        var (ti, to) = (interleavedIn ? Concatenated(i) : i, interleavedOut ? Concatenated(o) : o);
                        value[i * outputs + o] = Formula($"{torch}.weight", (long)to * inputs + ti);  // PyTorch: weight[out, in]
                    }
                }
            }
        }
    }
}
