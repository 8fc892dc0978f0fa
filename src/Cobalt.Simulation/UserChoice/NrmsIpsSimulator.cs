using System.Numerics.Tensors;
using Cobalt.Core.Persistence;
using Cobalt.Neural.Nrms;

namespace Cobalt.Simulation.UserChoice;

/// <summary>
/// The two-stage paper's user-choice simulator as its authors coded it (CB4Rec algorithms/nrms_sim.py NRMS_IPS_Sim.reward
/// @67f4029): an NRMS click model trained with inverse-propensity weights (<see cref="NrmsIpsTrainer"/>); a user is a vector
/// computed from a click history, an item's score is s = σ(u · r_i), the item is "good" when s &gt; THRES (strict), and a reward
/// is the good/bad verdict flipped with probability p (threshold_eps, p = 0.1), so E[reward] = 1 - p for a good item and p otherwise.
/// </summary>
/// <remarks>
/// <para>Catalogue item i is the model's item i + 1 (the model's item 0 is the padding item, CB4Rec's news index 0). The item
/// vectors are computed once at construction, so scoring B items costs B dot products of <see cref="Dimension"/> floats.</para>
/// <para>An empty history is the authors' all-padding history: <see cref="NrmsOptions.MaxHistory"/> copies of the padding item
/// read by the attention, one fixed user vector shared by every user (as the authors' simulator, whose clicked_history stays empty).</para>
/// <para>The model, its parameters and its vectors are private: a world holds the simulator and hands policies only rewards.</para>
/// </remarks>
public sealed class NrmsIpsSimulator
{
    /// <summary>The kind written in saved files.</summary>
    public const string Kind = "nrms-ips-simulator";

    private readonly NrmsModel _model;
    private readonly ItemVectors _vectors; // every model item, padding row 0 included
    private readonly int _dimension;

    /// <summary>
    /// A simulator over a trained <paramref name="model"/> whose item 0 is the padding item and item i + 1 catalogue item i (as
    /// <see cref="NrmsIpsTrainer"/> builds it); the simulator owns the model from now on. Encodes every item once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">THRES or the flip probability is out of range.</exception>
    public NrmsIpsSimulator(NrmsModel model, double threshold, double flipProbability, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(threshold is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "THRES is a probability in [0, 1).");
        }
        if (!(flipProbability is >= 0 and <= 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(flipProbability), flipProbability, "The flip probability is in [0, 0.5].");
        }
        if (model.ItemCount < 2)
        {
            throw new ArgumentException("The model needs the padding item and at least one catalogue item.", nameof(model));
        }
        _model = model;
        _vectors = model.EncodeItems();
        _dimension = model.Dimension;
        Threshold = threshold;
        FlipProbability = flipProbability;
        Source = source;
    }

    /// <summary>Catalogue items (ids 0 .. ItemCount - 1, the dataset's item ids).</summary>
    public int ItemCount => _vectors.Count - 1;

    /// <summary>Width of a user vector.</summary>
    public int Dimension => _dimension;

    /// <summary>THRES: an item is good for a user when σ(score) &gt; THRES.</summary>
    public double Threshold { get; }

    /// <summary>Probability that a reward is flipped.</summary>
    public double FlipProbability { get; }

    /// <summary>What the simulator was trained on (data set and split).</summary>
    public string Source { get; }

    /// <summary>
    /// The user vector of a click history (catalogue item ids, oldest first; the last <see cref="NrmsOptions.MaxHistory"/> are read).
    /// An empty history gives the all-padding user, the same vector for everyone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A history entry is not a catalogue item.</exception>
    public float[] UserVector(ReadOnlySpan<int> history)
    {
        var mapped = new int[history.Length];
        for (var i = 0; i < history.Length; i++)
        {
            if ((uint)history[i] >= (uint)ItemCount)
            {
                throw new ArgumentOutOfRangeException(nameof(history), history[i], $"history[{i}] = {history[i]} is not a catalogue item (the simulator has {ItemCount}).");
            }
            mapped[i] = history[i] + 1;
        }
        return _model.EncodeUser(mapped, _vectors);
    }

    /// <summary>Click probabilities σ(u · r_i) of every catalogue item i into <paramref name="scoresOut"/> (length <see cref="ItemCount"/>).</summary>
    /// <exception cref="ArgumentException">The user vector or the output has the wrong length.</exception>
    public void Scores(ReadOnlySpan<float> user, Span<double> scoresOut)
    {
        CheckUser(user);
        if (scoresOut.Length != ItemCount)
        {
            throw new ArgumentException($"Scores of all {ItemCount} items need {ItemCount} slots; got {scoresOut.Length}.", nameof(scoresOut));
        }
        var values = _vectors.Values.AsSpan(_dimension);
        for (var i = 0; i < scoresOut.Length; i++)
        {
            scoresOut[i] = Sigmoid(TensorPrimitives.Dot(user, values.Slice(i * _dimension, _dimension)));
        }
    }

    /// <summary>Click probabilities σ(u · r_i) of the catalogue items <paramref name="items"/> into <paramref name="scoresOut"/>.</summary>
    /// <exception cref="ArgumentException">The user vector has the wrong length or the output another length than the items.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An item is not a catalogue item.</exception>
    public void Scores(ReadOnlySpan<float> user, ReadOnlySpan<int> items, Span<double> scoresOut)
    {
        CheckUser(user);
        if (scoresOut.Length != items.Length)
        {
            throw new ArgumentException($"{items.Length} items need {items.Length} score slots; got {scoresOut.Length}.", nameof(scoresOut));
        }
        var values = _vectors.Values.AsSpan(_dimension);
        for (var k = 0; k < items.Length; k++)
        {
            var i = items[k];
            if ((uint)i >= (uint)ItemCount)
            {
                throw new ArgumentOutOfRangeException(nameof(items), i, $"items[{k}] = {i} is not a catalogue item (the simulator has {ItemCount}).");
            }
            scoresOut[k] = Sigmoid(TensorPrimitives.Dot(user, values.Slice(i * _dimension, _dimension)));
        }
    }

    /// <summary>Whether an item with click probability <paramref name="score"/> is good: score &gt; THRES (strict, as coded).</summary>
    public bool Good(double score) => score > Threshold;

    /// <summary>E[reward] of an item with click probability <paramref name="score"/>: 1 - p when good, p otherwise.</summary>
    public double ExpectedReward(double score) => Good(score) ? 1 - FlipProbability : FlipProbability;

    /// <summary>A reward for <paramref name="score"/> from a uniform draw in [0, 1): the verdict, flipped when <paramref name="uniform"/> &lt; p.</summary>
    public bool DrawReward(double score, double uniform) => Good(score) != (uniform < FlipProbability);

    /// <summary>Saves the simulator (THRES, p, source and the whole NRMS model) as a checksummed state file, written atomically.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var model = new MemoryStream();
        _model.Save(model);
        var bytes = model.ToArray();
        AtomicFile.Write(path, stream => StateFile.Write(stream, new StateFile.Header(Kind, Source), writer =>
        {
            writer.Tag(Kind);
            writer.Write(Threshold);
            writer.Write(FlipProbability);
            writer.Write((ReadOnlySpan<byte>)bytes);
        }));
    }

    /// <summary>Loads a simulator saved by <see cref="Save"/>; it scores exactly as the saved one did.</summary>
    /// <exception cref="InvalidDataException">Not a Cobalt state file, not this simulator, damaged, or inconsistent.</exception>
    public static NrmsIpsSimulator Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        var (header, state) = StateFile.Read(stream);
        using (state)
        {
            if (header.Kind != Kind)
            {
                throw new InvalidDataException($"'{path}' holds the state of a '{header.Kind}', not an NRMS IPS simulator.");
            }
            state.Tag(Kind);
            var threshold = state.ReadDouble();
            var flip = state.ReadDouble();
            var bytes = state.ReadBytes("simulator model");
            using var modelStream = new MemoryStream(bytes);
            var model = NrmsModel.Load(modelStream, path);
            try
            {
                return new NrmsIpsSimulator(model, threshold, flip, header.Specification);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"'{path}': the saved simulator is inconsistent: {e.Message}", e);
            }
        }
    }

    private void CheckUser(ReadOnlySpan<float> user)
    {
        if (user.Length != _dimension)
        {
            throw new ArgumentException($"A user vector has {_dimension} entries; got {user.Length}.", nameof(user));
        }
    }

    private static double Sigmoid(float z) => 1.0 / (1.0 + Math.Exp(-z));
}
