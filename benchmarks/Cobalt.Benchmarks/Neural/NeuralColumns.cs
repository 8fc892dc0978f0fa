using System.Reflection;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Cobalt.Benchmarks.Infrastructure;

namespace Cobalt.Benchmarks.Neural;

/// <summary>
/// Marks a benchmark method whose one operation processes <see cref="Count"/> things (items, samples);
/// <see cref="PerSecondColumn"/> reports Count / mean time under the heading <see cref="Unit"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class PerOperationAttribute(string unit, int count) : Attribute
{
    /// <summary>The column heading, e.g. "Items/s".</summary>
    public string Unit { get; } = unit;

    /// <summary>Things per operation.</summary>
    public int Count { get; } = count;
}

/// <summary>Marks a benchmark method whose one operation performs <see cref="Count"/> floating-point operations (a multiply-add counts 2).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class FlopsAttribute(long count) : Attribute
{
    /// <summary>Floating-point operations per call.</summary>
    public long Count { get; } = count;
}

/// <summary>Things per second = count per operation / mean time, for methods marked <see cref="PerOperationAttribute"/> with this unit.</summary>
public sealed class PerSecondColumn(string unit) : MeanDerivedColumn
{
    /// <inheritdoc />
    public override string Id => $"Cobalt.Neural.{unit}";

    /// <inheritdoc />
    public override string ColumnName => unit;

    /// <inheritdoc />
    public override string Legend => $"{unit}: things processed per operation (see the method) / Mean, on the threads the case allows";

    /// <inheritdoc />
    protected override string Format => "N0";

    /// <inheritdoc />
    protected override bool AppliesTo(BenchmarkCase benchmarkCase) => Attribute(benchmarkCase) is not null;

    /// <inheritdoc />
    protected override double Value(BenchmarkCase benchmarkCase, double meanNanoseconds) => Attribute(benchmarkCase)!.Count * 1e9 / meanNanoseconds;

    private PerOperationAttribute? Attribute(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<PerOperationAttribute>() is { } a && a.Unit == unit ? a : null;
}

/// <summary>GFLOP/s = floating-point operations per call / mean time (10^9 per second), for methods marked <see cref="FlopsAttribute"/>.</summary>
public sealed class GflopsColumn : MeanDerivedColumn
{
    /// <inheritdoc />
    public override string Id => "Cobalt.Neural.Gflops";

    /// <inheritdoc />
    public override string ColumnName => "GFLOP/s";

    /// <inheritdoc />
    public override string Legend => "Floating-point operations per call (a multiply-add counts 2) / Mean, in 10^9 per second";

    /// <inheritdoc />
    protected override string Format => "F1";

    /// <inheritdoc />
    protected override bool AppliesTo(BenchmarkCase benchmarkCase) => Flops(benchmarkCase) is not null;

    /// <inheritdoc />
    protected override double Value(BenchmarkCase benchmarkCase, double meanNanoseconds) => Flops(benchmarkCase)!.Value / meanNanoseconds;

    private static long? Flops(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<FlopsAttribute>()?.Count;
}

/// <summary>The columns of the neural benchmarks, added by <c>[Config(typeof(NeuralConfig))]</c> on each class (the global config is left alone).</summary>
public sealed class NeuralConfig : ManualConfig
{
    /// <summary>Adds Items/s, Samples/s and GFLOP/s.</summary>
    public NeuralConfig() => AddColumn(new PerSecondColumn("Items/s"), new PerSecondColumn("Samples/s"), new GflopsColumn());
}
