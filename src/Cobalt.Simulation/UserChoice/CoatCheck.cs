using System.Numerics.Tensors;
using Cobalt.Core.LinearAlgebra;
using Cobalt.Core.Statistics;
using Cobalt.Data.Coat;

namespace Cobalt.Simulation.UserChoice;

/// <summary>How well a click model fitted on Coat's self-selected ratings predicts its random-exposure test ratings.</summary>
/// <param name="Model">"IPS-weighted" or "unweighted".</param>
/// <param name="PredictedPositiveRate">Mean predicted P(rating >= 4) over the test pairs.</param>
/// <param name="TestPositiveRate">Observed share of test ratings >= 4.</param>
/// <param name="Brier">Mean squared error of the predicted probabilities against the test labels.</param>
/// <param name="LogLoss">Mean negative log-likelihood of the test labels.</param>
/// <param name="Auc">Ranking quality on the test pairs.</param>
public sealed record CoatFit(string Model, double PredictedPositiveRate, double TestPositiveRate, double Brier, double LogLoss, double Auc);

/// <summary>
/// The textbook check of inverse-propensity debiasing (Schnabel et al. 2016): fit the simulator's logistic
/// regression on Coat's biased training ratings with and without weights 1 / P(observed), and score both on
/// the random-exposure test set. Features: phi = [z_u ⊗ x_i, z_u, x_i, 1] of the one-hot user and item attributes.
/// </summary>
public static class CoatCheck
{
    /// <summary>Fits both models and evaluates them on the test set.</summary>
    public static (CoatFit Weighted, CoatFit Unweighted) Run(CoatDataset coat, double ridge = 1.0)
    {
        ArgumentNullException.ThrowIfNull(coat);
        var features = new ChoiceFeatures(PairMode.Kronecker, coat.UserCount, coat.UserFeatures.Columns, coat.UserFeatures.Values.ToArray(),
            coat.ItemCount, coat.ItemFeatures.Columns, coat.ItemFeatures.Values.ToArray(), 0, []);
        var train = Observed(coat.Train);
        var test = Observed(coat.Test);
        var labels = train.Select(p => coat.Train[p] >= 4).ToArray();
        var weights = train.Select(p => 1.0 / coat.Propensities[p]).ToArray();
        TensorPrimitives.Divide(weights, weights.Average(), weights);
        var rows = features.Rows(train.Select(p => p / coat.ItemCount).ToArray(), train.Select(p => p % coat.ItemCount).ToArray());
        var weighted = UserChoiceTrainer.FitTheta(rows, labels, weights, features.Dimension, ridge);
        var unweighted = UserChoiceTrainer.FitTheta(rows, labels, [], features.Dimension, ridge);
        return (Evaluate("IPS-weighted", weighted, features, coat, test), Evaluate("unweighted", unweighted, features, coat, test));
    }

    private static int[] Observed(byte[] ratings) => Enumerable.Range(0, ratings.Length).Where(p => ratings[p] > 0).ToArray();

    private static CoatFit Evaluate(string name, double[] theta, ChoiceFeatures features, CoatDataset coat, int[] test)
    {
        var phi = new double[features.Dimension];
        var probabilities = test.Select(p =>
        {
            features.Write(p / coat.ItemCount, p % coat.ItemCount, phi);
            return OnlineLogisticRegression.Sigmoid(TensorPrimitives.Dot(theta, phi));
        }).ToArray();
        var labels = test.Select(p => coat.Test[p] >= 4).ToArray();
        return new CoatFit(name, probabilities.Average(), labels.Average(l => l ? 1.0 : 0.0),
            BinaryMetrics.Brier(probabilities, labels), BinaryMetrics.LogLoss(probabilities, labels), BinaryMetrics.Auc(probabilities, labels));
    }
}
