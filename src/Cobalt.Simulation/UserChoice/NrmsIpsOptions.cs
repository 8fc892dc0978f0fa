using System.ComponentModel;
using Cobalt.Core.Configuration;
using Cobalt.Data.Splits;
using Cobalt.Neural.Nrms;
using Cobalt.Neural.Optimisers;

namespace Cobalt.Simulation.UserChoice;

/// <summary>
/// Options of the NRMS user-choice simulator the two-stage paper's authors ran (CB4Rec algorithms/nrms_sim.py NRMS_IPS_Sim,
/// algorithms/nrms_model.py NRMS_IPS_Model, run_sim.py, configs/params.py @67f4029).
/// </summary>
/// <remarks>
/// As coded: 20 heads x 20 dims (400-wide vectors, no projection), Q/K/V projections with bias, query 200, dropout 0.2, titles of 30 tokens, 50 history items,
/// padding read by the attention (no masks), 1 positive + 4 negatives per step drawn from the impression's negatives
/// (sim_npratio = 4), BCE-with-logits weighted by inverse empirical propensities normalised per row (ips_normalize = True,
/// empirical_ips = True), batch 64, Adam lr 1e-4 (run_sim.py for movielens), no gradient clipping, trainable GloVe words
/// (unknown words start at zero as load_matrix leaves them). Differences: the shipped GloVe subset is 100-d, not 300-d
/// (<see cref="WordVectors"/> takes a 300-d file); the authors trained up to 1,000 epochs keeping the best per-impression
/// validation AUC (their MovieLens simulator file is named "ep86"), <see cref="Epochs"/> defaults to what fits minutes on a CPU.
/// </remarks>
public sealed record NrmsIpsOptions : IValidatable
{
    /// <summary>The NRMS network and its training, as the authors coded them (word width 100 for the shipped GloVe subset).</summary>
    [Description("The simulator's NRMS network and optimiser (20 heads x 20 dims, biased Q/K/V, attended padding, weighted BCE, lr 1e-4, batch 64).")]
    public NrmsOptions Nrms { get; init; } = new()
    {
        WordDimension = 100,
        Heads = 20,
        HeadDimension = 20,
        QueryDimension = 200,
        Dropout = 0.2,
        MaxTitleLength = 30,
        MaxHistory = 50,
        Negatives = 4,
        Loss = NrmsLoss.BinaryCrossEntropy,
        Weighting = NrmsWeighting.PerRow,
        Padding = NrmsPadding.Attended,
        AttentionBias = true,
        BatchSize = 64,
        Optimiser = new AdamOptions { LearningRate = 1e-4 },
        ClipNorm = 0,
        EmbeddingScale = 0,
    };

    /// <summary>How impressions are built from the ratings (20 negatives per impression, 20 % of validation impressions kept).</summary>
    [Description("How MovieLens ratings become impressions (negatives per impression, validation share).")]
    public MovieLensImpressionOptions Impressions { get; init; } = new();

    /// <summary>Training epochs; the epoch with the best mean per-impression validation AUC is kept.</summary>
    [Description("Training epochs; the checkpoint with the best validation AUC is kept (the authors ran up to 1,000).")]
    public int Epochs { get; init; } = 5;

    /// <summary>GloVe text file of width <see cref="NrmsOptions.WordDimension"/>; empty = the shipped 100-d subset.</summary>
    [Description("GloVe text file (width = nrms.word-dimension); empty uses the shipped data/glove-100d subset.")]
    public string WordVectors { get; init; } = "";

    /// <summary>Probability that a reward is flipped (nrms_sim.py threshold_eps: EPS = 0.1).</summary>
    [Description("Probability that a reward is flipped (0.1 as coded).")]
    public double FlipProbability { get; init; } = 0.1;

    /// <summary>THRES; 0 = the best-F1 threshold of the validation scores (as the authors chose theirs).</summary>
    [Description("Reward threshold on sigmoid(score); 0 picks the best-F1 threshold on the validation impressions (the authors' rule).")]
    public double Threshold { get; init; }

    /// <inheritdoc />
    public void Validate()
    {
        if (Nrms is null)
        {
            throw new OptionsException(Names.Kebab(nameof(Nrms)), "is missing.");
        }
        try
        {
            Nrms.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under(Names.Kebab(nameof(Nrms)));
        }
        if (Nrms.Loss != NrmsLoss.BinaryCrossEntropy)
        {
            throw new OptionsException("nrms.loss", "must be binary-cross-entropy: the simulator's scores are click probabilities.");
        }
        if (Impressions is null)
        {
            throw new OptionsException(Names.Kebab(nameof(Impressions)), "is missing.");
        }
        try
        {
            Impressions.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under(Names.Kebab(nameof(Impressions)));
        }
        Require.AtLeast(Epochs, 1, nameof(Epochs));
        Require.InRange(FlipProbability, 0, 0.5, nameof(FlipProbability));
        if (!(Threshold >= 0 && Threshold < 1))
        {
            throw new OptionsException(Names.Kebab(nameof(Threshold)), $"must be at least 0 and below 1 (got {Threshold}).");
        }
    }
}
