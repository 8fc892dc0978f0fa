namespace Cobalt.RecoGym.Logs;

/// <summary>
/// A RecoGym log in memory: rows in the order they happened, all rows of a user together.
/// Appending never allocates except when the backing array grows.
/// </summary>
public sealed class InteractionLog
{
    private LogEvent[] _events;

    /// <summary>Creates an empty log for a catalogue of <paramref name="products"/> products.</summary>
    public InteractionLog(int products, int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(products, 1);
        Products = products;
        _events = new LogEvent[Math.Max(16, capacity)];
    }

    /// <summary>P: products are 0 to P - 1.</summary>
    public int Products { get; }

    /// <summary>Number of rows.</summary>
    public int Count { get; private set; }

    /// <summary>The rows.</summary>
    public ReadOnlySpan<LogEvent> Events => _events.AsSpan(0, Count);

    /// <summary>Number of bandit rows.</summary>
    public int BanditCount { get; private set; }

    /// <summary>Number of clicked bandit rows.</summary>
    public int ClickCount { get; private set; }

    /// <summary>Appends a row.</summary>
    /// <exception cref="ArgumentException">The product is outside the catalogue.</exception>
    public void Add(in LogEvent e)
    {
        if ((uint)e.Product >= (uint)Products)
        {
            throw new ArgumentException($"Product {e.Product} is outside the catalogue of {Products} products.", nameof(e));
        }
        if (Count == _events.Length)
        {
            Array.Resize(ref _events, _events.Length * 2);
        }
        _events[Count++] = e;
        if (e.Kind == EventKind.Bandit)
        {
            BanditCount++;
            if (e.Click)
            {
                ClickCount++;
            }
        }
    }
}
