namespace Cobalt.Service.Api;

/// <summary>The last 8,192 rank latencies, for the p50/p99 the metrics endpoint reports.</summary>
internal sealed class LatencyRecorder
{
    private readonly double[] _ring = new double[8192];
    private long _count;

    public void Record(double milliseconds)
    {
        var index = Interlocked.Increment(ref _count) - 1;
        _ring[index % _ring.Length] = milliseconds;
    }

    /// <summary>(p50, p99) in milliseconds over the recorded window; zeros before any call.</summary>
    public (double P50, double P99) Percentiles()
    {
        var n = (int)Math.Min(Interlocked.Read(ref _count), _ring.Length);
        if (n == 0)
        {
            return (0, 0);
        }
        var values = _ring[..n];
        Array.Sort(values);
        return (values[(int)(0.50 * (n - 1))], values[(int)(0.99 * (n - 1))]);
    }
}
