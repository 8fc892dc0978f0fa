using Cobalt.Core.Data;

namespace Cobalt.Evaluation.Slate;

/// <summary>
/// A policy's probabilities of the logged slates, one value per logged slot (row), in the three forms slate estimators
/// read: the joint probability of the whole slate (equal on every row of a slate), the marginal probability of the
/// row's action at the row's position, and the cascade probability of the slate's first l + 1 actions (non-increasing
/// down the slate). A form not given is null, and the estimators that need it refuse.
/// </summary>
/// <param name="Joint">pi(a_i | x_i): the whole slate (OBP's <c>pscore</c>).</param>
/// <param name="ItemPosition">pi(a_i(l) | x_i): the action at position l (OBP's <c>pscore_item_position</c>).</param>
/// <param name="Cascade">pi(a_i(1..l) | x_i): the top-l prefix (OBP's <c>pscore_cascade</c>).</param>
public sealed record SlatePropensities(double[]? Joint = null, double[]? ItemPosition = null, double[]? Cascade = null);

/// <summary>
/// Logged slate (ranking) feedback: each of n slates shows L actions in positions 0..L-1, each slot has its own reward,
/// and the logging policy's probabilities come in one or more of the forms of <see cref="SlatePropensities"/>. Rows are
/// slot-major within slates: rows L i .. L i + L - 1 are slate i's positions 0..L-1 in order, and slate ids increase.
/// </summary>
/// <remarks>The layout of Open Bandit Pipeline's slate bandit feedback (obp/dataset/synthetic_slate.py,
/// obp/ope/estimators_slate.py; st-tech/zr-obp @ 8cbd5fa), with the checks of obp/utils.py's check_*_inputs made at
/// construction and naming the bad row.</remarks>
public sealed class SlateLog
{
    /// <summary>Creates the log after checking every row; the first bad row is named with what is wrong.</summary>
    /// <param name="actionCount">K: actions are 0..K-1.</param>
    /// <param name="listLength">L: slots per slate.</param>
    /// <param name="slateIds">Slate id per row (non-negative, one id per block of L rows, increasing between slates).</param>
    /// <param name="positions">Position per row (0..L-1, in order within each slate).</param>
    /// <param name="actions">Action per row.</param>
    /// <param name="rewards">Slot-level reward per row.</param>
    /// <param name="propensities">The logging policy's probabilities (each given form in (0, 1]).</param>
    /// <param name="contexts">Optional contexts, one row per slate (the Q regression of Cascade-DR needs them).</param>
    /// <exception cref="ArgumentException">A row or array is bad; the message names it.</exception>
    public SlateLog(int actionCount, int listLength, int[] slateIds, int[] positions, int[] actions, double[] rewards,
        SlatePropensities propensities, FeatureMatrix? contexts = null)
    {
        ArgumentNullException.ThrowIfNull(slateIds);
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(propensities);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(actionCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(listLength);
        var rows = slateIds.Length;
        if (positions.Length != rows || actions.Length != rows || rewards.Length != rows)
        {
            throw new ArgumentException($"A slate log needs one slate id, position, action and reward per row: got {rows} slate ids, {positions.Length} positions, {actions.Length} actions, {rewards.Length} rewards.", nameof(positions));
        }
        if (rows % listLength != 0)
        {
            throw new ArgumentException($"{rows} rows do not make whole slates of {listLength} positions; slate {slateIds[^1]} is incomplete.", nameof(slateIds));
        }
        CheckShape(propensities, rows, "propensities");
        if (propensities.Joint is null && propensities.ItemPosition is null && propensities.Cascade is null)
        {
            throw new ArgumentException("The log needs at least one form of logging propensity (joint, item-position or cascade).", nameof(propensities));
        }
        for (var i = 0; i < rows; i++)
        {
            var where = $"Row {i} (slate {slateIds[i]}, position {positions[i]})";
            if (slateIds[i] < 0)
            {
                throw new SlateRowException(i, $"{where}: the slate id must be non-negative.", nameof(slateIds));
            }
            if (positions[i] != i % listLength)
            {
                throw new SlateRowException(i, $"{where}: expected position {i % listLength}; each slate lists its positions 0..{listLength - 1} once, in order.", nameof(positions));
            }
            if (i % listLength != 0 && slateIds[i] != slateIds[i - 1])
            {
                throw new SlateRowException(i, $"{where}: slate {slateIds[i - 1]} ends after {i % listLength} of its {listLength} positions.", nameof(slateIds));
            }
            if (i % listLength == 0 && i > 0 && slateIds[i] <= slateIds[i - 1])
            {
                throw new SlateRowException(i, $"{where}: slate ids must increase from one slate to the next (previous slate {slateIds[i - 1]}).", nameof(slateIds));
            }
            if ((uint)actions[i] >= (uint)actionCount)
            {
                throw new SlateRowException(i, $"{where}: action {actions[i]} is outside the action set 0..{actionCount - 1}.", nameof(actions));
            }
            if (!double.IsFinite(rewards[i]))
            {
                throw new SlateRowException(i, $"{where}: the reward is {rewards[i]}; rewards must be finite.", nameof(rewards));
            }
        }
        CheckValues(propensities, slateIds, positions, listLength, zeroAllowed: false, "logging");
        if (contexts is not null && contexts.Rows != rows / listLength)
        {
            throw new ArgumentException($"Contexts have {contexts.Rows} rows; the log has {rows / listLength} slates (one context row per slate).", nameof(contexts));
        }
        ActionCount = actionCount;
        ListLength = listLength;
        SlateIds = slateIds;
        Positions = positions;
        Actions = actions;
        Rewards = rewards;
        Propensities = propensities;
        Contexts = contexts;
    }

    /// <summary>K.</summary>
    public int ActionCount { get; }

    /// <summary>L.</summary>
    public int ListLength { get; }

    /// <summary>Slate id per row.</summary>
    public int[] SlateIds { get; }

    /// <summary>Position per row.</summary>
    public int[] Positions { get; }

    /// <summary>Action per row.</summary>
    public int[] Actions { get; }

    /// <summary>Reward per row.</summary>
    public double[] Rewards { get; }

    /// <summary>The logging policy's probabilities.</summary>
    public SlatePropensities Propensities { get; }

    /// <summary>Contexts, one row per slate, if given.</summary>
    public FeatureMatrix? Contexts { get; }

    /// <summary>Number of rows (slots).</summary>
    public int Rows => Actions.Length;

    /// <summary>Number of slates n.</summary>
    public int SlateCount => Actions.Length / ListLength;

    /// <summary>The row of slate <paramref name="slate"/>'s position <paramref name="position"/>.</summary>
    public int Row(int slate, int position) => slate * ListLength + position;

    /// <summary>The mean over slates of the summed slot rewards: the logging policy's on-policy value.</summary>
    public double MeanSlateReward => Rewards.Sum() / SlateCount;

    /// <summary>Checks that <paramref name="evaluation"/> (an evaluation policy's probabilities of the logged slates) fits this log.</summary>
    public void CheckEvaluation(SlatePropensities evaluation)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        CheckShape(evaluation, Rows, "evaluation");
        CheckValues(evaluation, SlateIds, Positions, ListLength, zeroAllowed: true, "evaluation");
    }

    private static void CheckShape(SlatePropensities p, int rows, string parameter)
    {
        foreach (var (name, values) in Forms(p))
        {
            if (values is not null && values.Length != rows)
            {
                throw new ArgumentException($"The {name} propensities have {values.Length} values; the log has {rows} rows.", parameter);
            }
        }
    }

    private static void CheckValues(SlatePropensities p, int[] slateIds, int[] positions, int listLength, bool zeroAllowed, string who)
    {
        var parameter = who == "logging" ? "propensities" : "evaluation";
        foreach (var (name, values) in Forms(p))
        {
            if (values is null)
            {
                continue;
            }
            for (var i = 0; i < values.Length; i++)
            {
                var where = $"Row {i} (slate {slateIds[i]}, position {positions[i]})";
                var v = values[i];
                if (!(v <= 1 && (zeroAllowed ? v >= 0 : v > 0)))
                {
                    throw new SlateRowException(i, $"{where}: the {who} policy's {name} propensity is {v}; it must be in {(zeroAllowed ? "[0, 1]" : "(0, 1]")}.", parameter);
                }
                if (i % listLength == 0)
                {
                    continue;
                }
                if (name == "joint" && v != values[i - 1])
                {
                    throw new SlateRowException(i, $"{where}: the {who} policy's joint propensity {v} differs from {values[i - 1]} on the slate's position {positions[i - 1]}; a slate has one joint probability.", parameter);
                }
                if (name == "cascade" && v > values[i - 1])
                {
                    throw new SlateRowException(i, $"{where}: the {who} policy's cascade propensity {v} exceeds {values[i - 1]} at position {positions[i - 1]}; P(a_1..a_l) cannot grow with l.", parameter);
                }
            }
        }
    }

    private static (string Name, double[]? Values)[] Forms(SlatePropensities p) =>
        [("joint", p.Joint), ("item-position", p.ItemPosition), ("cascade", p.Cascade)];
}

/// <summary>A bad row of a slate log; <see cref="Row"/> is its 0-based index (readers turn it into a file line).</summary>
public sealed class SlateRowException : ArgumentException
{
    /// <summary>Creates the exception for row <paramref name="row"/>.</summary>
    public SlateRowException(int row, string message, string parameter)
        : base(message, parameter)
    {
        Row = row;
    }

    /// <summary>Creates the exception with no row (required by the analyzers' exception pattern).</summary>
    public SlateRowException()
    {
    }

    /// <summary>Creates the exception with a message and no row.</summary>
    public SlateRowException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message, an inner cause and no row.</summary>
    public SlateRowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The 0-based row, or -1.</summary>
    public int Row { get; } = -1;
}
