namespace Cobalt.Policies.Catalog;

/// <summary>Options that can say which variant of a published method they run (as its authors coded it, or as its paper's text says), for reports.</summary>
public interface IDescribesVariant
{
    /// <summary>One line naming the variant and its source, e.g. "two-stage as coded (CB4Rec algorithms/neural_greedy.py @67f4029)".</summary>
    string Variant { get; }
}
