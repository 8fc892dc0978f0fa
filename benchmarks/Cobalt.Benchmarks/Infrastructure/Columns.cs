using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Cobalt.Benchmarks.Infrastructure;

/// <summary>A custom column computed from a benchmark's mean time (in nanoseconds) and shown only where it applies.</summary>
public abstract class MeanDerivedColumn : IColumn
{
    /// <inheritdoc />
    public abstract string Id { get; }

    /// <inheritdoc />
    public abstract string ColumnName { get; }

    /// <inheritdoc />
    public abstract string Legend { get; }

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Statistics;

    /// <inheritdoc />
    public int PriorityInCategory => 100;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(AppliesTo);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (!AppliesTo(benchmarkCase) || mean is not { } nanoseconds || !(nanoseconds > 0))
        {
            return "-";
        }
        return Value(benchmarkCase, nanoseconds).ToString(Format, CultureInfo.InvariantCulture);
    }

    /// <summary>The .NET format of the value.</summary>
    protected abstract string Format { get; }

    /// <summary>Whether the column has a value for <paramref name="benchmarkCase"/>.</summary>
    protected abstract bool AppliesTo(BenchmarkCase benchmarkCase);

    /// <summary>The value for a case whose mean time per operation is <paramref name="meanNanoseconds"/>.</summary>
    protected abstract double Value(BenchmarkCase benchmarkCase, double meanNanoseconds);

    /// <inheritdoc />
    public override string ToString() => ColumnName;
}

/// <summary>Rounds per second = 1 / mean time, for classes marked <see cref="RoundsPerSecondAttribute"/>.</summary>
public sealed class RoundsPerSecondColumn : MeanDerivedColumn
{
    /// <inheritdoc />
    public override string Id => "Cobalt.RoundsPerSecond";

    /// <inheritdoc />
    public override string ColumnName => "Rounds/s";

    /// <inheritdoc />
    public override string Legend => "Bandit rounds (select + update) per second: 1 / Mean";

    /// <inheritdoc />
    protected override string Format => "N0";

    /// <inheritdoc />
    protected override bool AppliesTo(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.Type.GetCustomAttribute<RoundsPerSecondAttribute>() is not null;

    /// <inheritdoc />
    protected override double Value(BenchmarkCase benchmarkCase, double meanNanoseconds) => 1e9 / meanNanoseconds;
}

/// <summary>Effective read bandwidth in GB/s (10^9 bytes per second) = bytes read per operation / mean time, for methods marked <see cref="BytesReadAttribute"/>.</summary>
public sealed class BandwidthColumn : MeanDerivedColumn
{
    /// <inheritdoc />
    public override string Id => "Cobalt.Bandwidth";

    /// <inheritdoc />
    public override string ColumnName => "GB/s";

    /// <inheritdoc />
    public override string Legend => "Effective bandwidth: bytes of the candidate matrix read per operation / Mean (1 GB = 10^9 bytes)";

    /// <inheritdoc />
    protected override string Format => "F2";

    /// <inheritdoc />
    protected override bool AppliesTo(BenchmarkCase benchmarkCase) => BytesRead(benchmarkCase) is not null;

    /// <inheritdoc />
    protected override double Value(BenchmarkCase benchmarkCase, double meanNanoseconds) =>
        BytesRead(benchmarkCase)!.Value / meanNanoseconds; // bytes per nanosecond = GB/s

    private static long? BytesRead(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<BytesReadAttribute>()?.Bytes;
}
