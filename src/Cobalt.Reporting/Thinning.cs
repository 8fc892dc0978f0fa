namespace Cobalt.Reporting;

/// <summary>
/// Picks which points of a long series to draw with Largest-Triangle-Three-Buckets (Steinarsson, 2013):
/// the first and last points are kept, and from each bucket in between the point that best preserves the shape.
/// </summary>
internal static class Thinning
{
    /// <summary>Returns the indices to draw, ascending: all of them when the series has at most <paramref name="maxPoints"/> points.</summary>
    public static int[] Select(IReadOnlyList<double> x, IReadOnlyList<double> y, int maxPoints)
    {
        int n = x.Count;
        if (n <= maxPoints)
        {
            return [.. Enumerable.Range(0, n)];
        }
        int buckets = maxPoints - 2;
        var keep = new int[maxPoints];
        keep[^1] = n - 1;
        int previous = 0;
        for (int b = 0; b < buckets; b++)
        {
            int start = BucketStart(b, n, buckets);
            int end = BucketStart(b + 1, n, buckets);
            int nextEnd = b + 1 < buckets ? BucketStart(b + 2, n, buckets) : n;

            double avgX = 0, avgY = 0;
            for (int i = end; i < nextEnd; i++)
            {
                avgX += x[i];
                avgY += y[i];
            }
            avgX /= nextEnd - end;
            avgY /= nextEnd - end;

            double ax = x[previous], ay = y[previous], bestArea = -1;
            int best = start;
            for (int i = start; i < end; i++)
            {
                double area = Math.Abs(((ax - avgX) * (y[i] - ay)) - ((ax - x[i]) * (avgY - ay)));
                if (area > bestArea)
                {
                    (bestArea, best) = (area, i);
                }
            }
            keep[b + 1] = previous = best;
        }
        return keep;
    }

    // Buckets split the points strictly between the first and the last evenly, in exact integer arithmetic.
    private static int BucketStart(int bucket, int n, int buckets) => 1 + (int)((long)bucket * (n - 2) / buckets);
}
