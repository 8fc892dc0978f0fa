using System.Text.Json;
using Cobalt.Policies.Models;

namespace Cobalt.Policies.Tests;

/// <summary>
/// The as-coded GLM refits (<see cref="RefitAdditiveModel"/>, <see cref="RefitBilinearModel"/>) take the steps the authors'
/// PyTorch code takes: CB4Rec's LogisticRegressionAddtive and LogisticRegressionBilinear (algorithms/lr_model.py @67f4029)
/// refitted as train_lr does (a fresh Adam, lr 0.01, 5 full-batch BCE steps, warm start), twice in a row on fixed samples,
/// in float64. Expected values from running the authors' classes:
/// <c>PYTHONPATH=/path/to/CB4Rec python3 tests/Cobalt.Policies.Tests/Reference/cb4rec_glm_refit.py &gt; tests/Cobalt.Policies.Tests/Reference/cb4rec_glm_refit.json</c>
/// (PyTorch 1.13). Cobalt's flat parameters are PyTorch's in named order: [w_x, b_x, w_z, b_z] and [Theta (d1 x d2), b].
/// </summary>
public sealed class CB4RecGlmParityTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", "cb4rec_glm_refit.json"))).RootElement;

    [Theory]
    [InlineData("additive")]
    [InlineData("bilinear")]
    public void Two_refits_take_the_authors_steps(string model)
    {
        var d1 = Reference.GetProperty("d1").GetInt32();
        var x = Doubles(Reference.GetProperty("x"));
        var z = Doubles(Reference.GetProperty("z").GetProperty(model));
        var y = Doubles(Reference.GetProperty("y"));
        var parameters = State(model, "initial");
        var gradient = new double[parameters.Length];
        var scratch = new double[y.Length + d1];
        var adam = new GlmAdam(parameters.Length);
        foreach (var after in (string[])["afterOne", "afterTwo"])
        {
            adam.Reset();   // train_lr builds a new optimiser for every refit
            for (var epoch = 0; epoch < Reference.GetProperty("epochs").GetInt32(); epoch++)
            {
                if (model == "additive")
                {
                    GlmGradients.Additive(parameters, d1, x, z, y, gradient, scratch);
                }
                else
                {
                    GlmGradients.Bilinear(parameters, d1, x, z, y, gradient, scratch);
                }
                adam.Step(parameters, gradient, Reference.GetProperty("learningRate").GetDouble());
            }
            parameters.Should().Equal(State(model, after), (a, b) => Math.Abs(a - b) < 1e-14, $"the parameters {after}");
        }
    }

    private static double[] State(string model, string when)
    {
        var state = Reference.GetProperty(model).GetProperty(when);
        return Reference.GetProperty(model).GetProperty("names").EnumerateArray().SelectMany(name => Doubles(state.GetProperty(name.GetString()!))).ToArray();
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();
}
