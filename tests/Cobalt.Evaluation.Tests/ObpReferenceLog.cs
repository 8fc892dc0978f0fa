using System.Text.Json;
using Cobalt.Core.Data;
using Cobalt.Evaluation.Estimators;

namespace Cobalt.Evaluation.Tests;

/// <summary>
/// The generated log and Open Bandit Pipeline's / VowpalWabbit estimators' outputs on it, from Reference/obp_estimators.json,
/// written by <c>PYTHONPATH=/work/obp:/tmp/vwest/src /usr/bin/python3 obp_estimators.py</c> run in Reference/ (OBP 0.5.5 at
/// st-tech/zr-obp @ 8cbd5fa4558b7ad2ba4781546d6604e4cc3e07c4; VowpalWabbit/estimators @ 8ce387134195a5b2381708bc420d0fb11b2c0e1a;
/// numpy 1.24, scipy 1.10, scikit-learn 1.2.1).
/// </summary>
internal sealed class ObpReferenceLog
{
    private static readonly Lazy<ObpReferenceLog> Shared = new(() => new ObpReferenceLog(Path.Combine(AppContext.BaseDirectory, "Reference", "obp_estimators.json")));

    private ObpReferenceLog(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        Root = document.RootElement.Clone();
        var log = Root.GetProperty("log");
        var context = Matrix(log.GetProperty("context"));
        Rounds = context.Length;
        var d = context[0].Length;
        Actions = log.GetProperty("pi_e")[0].GetArrayLength();
        var actions = log.GetProperty("action").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Log = new BanditLog(Actions, new FeatureMatrix(Rounds, d, [.. context.SelectMany(r => r)]), actions,
            Vector(log.GetProperty("reward")), Vector(log.GetProperty("pscore")));
        Evaluation = new ActionDistribution(Rounds, Actions, [.. Matrix(log.GetProperty("pi_e")).SelectMany(r => r)]);
        Logging = new ActionDistribution(Rounds, Actions, [.. Matrix(log.GetProperty("pi_b")).SelectMany(r => r)]);
        Predictions = new RewardPredictions(Rounds, Actions, [.. Matrix(log.GetProperty("q_hat")).SelectMany(r => r)]);
        var embed = log.GetProperty("action_embed");
        EmbeddingDimensions = embed[0].GetArrayLength();
        Embeddings = [.. embed.EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt32()))];
        Conditional = Cube(log.GetProperty("p_e_a"));
        Embeddings4 = [.. log.GetProperty("action_embed4").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(e => e.GetInt32()))];
        Conditional4 = Cube(log.GetProperty("p_e_a4"));
    }

    private static double[,,] Cube(JsonElement e)
    {
        var cube = new double[e.GetArrayLength(), e[0].GetArrayLength(), e[0][0].GetArrayLength()];
        for (var a = 0; a < cube.GetLength(0); a++)
        {
            for (var c = 0; c < cube.GetLength(1); c++)
            {
                for (var j = 0; j < cube.GetLength(2); j++)
                {
                    cube[a, c, j] = e[a][c][j].GetDouble();
                }
            }
        }
        return cube;
    }

    /// <summary>Four-dimensional embeddings: the two above and two that follow the action without moving the reward.</summary>
    public int[] Embeddings4 { get; }

    /// <summary>p(e_j = c | a) of <see cref="Embeddings4"/>.</summary>
    public double[,,] Conditional4 { get; }

    public static ObpReferenceLog Instance => Shared.Value;

    public JsonElement Root { get; }

    public int Rounds { get; }

    public int Actions { get; }

    public BanditLog Log { get; }

    public ActionDistribution Evaluation { get; }

    public ActionDistribution Logging { get; }

    public RewardPredictions Predictions { get; }

    public int EmbeddingDimensions { get; }

    public int[] Embeddings { get; }

    public double[,,] Conditional { get; }

    public EstimationInput Input => new(Log, Evaluation, Predictions);

    public double Number(params string[] path)
    {
        var e = Root;
        foreach (var p in path)
        {
            e = e.GetProperty(p);
        }
        return e.GetDouble();
    }

    public JsonElement Element(params string[] path)
    {
        var e = Root;
        foreach (var p in path)
        {
            e = e.GetProperty(p);
        }
        return e;
    }

    public static double[] Vector(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetDouble())];

    public static double[][] Matrix(JsonElement e) => [.. e.EnumerateArray().Select(Vector)];

    /// <summary>|a - b| / max(|b|, 1e-300).</summary>
    public static double Relative(double a, double b) => Math.Abs(a - b) / Math.Max(Math.Abs(b), 1e-300);
}
