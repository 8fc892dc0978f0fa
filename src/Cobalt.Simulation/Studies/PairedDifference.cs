using Cobalt.Core.Statistics;
using Cobalt.Reporting;
using Cobalt.Simulation.Experiments;

namespace Cobalt.Simulation.Studies;

/// <summary>
/// The mean of paired differences (the same seed, user or trial under two methods) with a 95 % confidence interval
/// mean ± t_{0.975, n-1} s / sqrt(n) (Student t; s the standard deviation of the differences), and how many differences
/// were negative (wins of the first method when lower is better).
/// </summary>
/// <param name="Mean">Mean difference.</param>
/// <param name="StandardError">s / sqrt(n) (0 for one difference).</param>
/// <param name="Low">Lower end of the 95 % interval (the mean for one difference).</param>
/// <param name="High">Upper end of the 95 % interval.</param>
/// <param name="Wins">Differences below 0.</param>
/// <param name="Count">n.</param>
public readonly record struct PairedDifference(double Mean, double StandardError, double Low, double High, int Wins, int Count)
{
    /// <summary>Whether the interval excludes 0 (the difference is resolved at 95 %).</summary>
    public bool Separates => Count > 1 && (Low > 0 || High < 0);

    /// <summary>The differences' statistics.</summary>
    public static PairedDifference Of(IReadOnlyList<double> differences)
    {
        ArgumentNullException.ThrowIfNull(differences);
        if (differences.Count == 0)
        {
            throw new ArgumentException("No differences to summarise.", nameof(differences));
        }
        var stats = MeanStd.Of(differences);
        var n = differences.Count;
        var error = n > 1 ? stats.Std / Math.Sqrt(n) : 0;
        var half = n > 1 ? TQuantile975(n - 1) * error : 0;
        return new PairedDifference(stats.Mean, error, stats.Mean - half, stats.Mean + half, differences.Count(d => d < 0), n);
    }

    /// <summary>Differences a[i] - b[i] of two equally long, paired lists.</summary>
    public static PairedDifference Of(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"Paired lists differ in length ({a.Count} and {b.Count}).", nameof(b));
        }
        return Of(a.Select((x, i) => x - b[i]).ToArray());
    }

    /// <summary>"mean [low, high]".</summary>
    public string Text(int decimals) =>
        Count > 1 ? $"{Format.Number(Mean, decimals)} [{Format.Number(Low, decimals)}, {Format.Number(High, decimals)}]" : Format.Number(Mean, decimals);

    /// <summary><paramref name="below"/> when the interval lies below 0, <paramref name="above"/> when above, else "cannot tell".</summary>
    public string Verdict(string below, string above) => !Separates ? "cannot tell" : High < 0 ? below : above;

    /// <summary>t_{0.975, df}: a table for df &lt; 30, the Cornish-Fisher expansion (<see cref="NumpyMath.StudentTQuantile"/>) beyond.</summary>
    public static double TQuantile975(int df)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(df);
        ReadOnlySpan<double> table =
        [
            12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139,
            2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963,
            2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230,
        ];
        return df < 30 ? table[df - 1] : NumpyMath.StudentTQuantile(0.975, df);
    }
}
