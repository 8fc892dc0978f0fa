namespace Cobalt.Service.Loops;

/// <summary>
/// How one loop fares in this process: quarantined after a learner error (it keeps ranking with its last good model and
/// learns no more until the service restarts), and the problems found on the way (a damaged checkpoint that made it
/// replay its log, damaged decision payloads that were skipped, each with its sequence number).
/// </summary>
internal sealed class LoopHealth
{
    private const int KeptProblems = 20;
    private readonly Lock _gate = new();
    private readonly Queue<string> _problems = new();
    private string? _quarantine;
    private (long Sequence, byte[] State) _lastGood = (0, []);

    /// <summary>"ok", or "degraded" while the loop is quarantined.</summary>
    public string Status => Quarantine is null ? "ok" : "degraded";

    /// <summary>Why the loop's learning stopped, or null when it learns.</summary>
    public string? Quarantine
    {
        get
        {
            lock (_gate)
            {
                return _quarantine;
            }
        }
    }

    /// <summary>Number of logged events whose payload was damaged (skipped, not learned).</summary>
    public long DamagedEvents { get; private set; }

    /// <summary>The most recent problems, oldest first (at most 20).</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_gate)
            {
                return [.. _problems];
            }
        }
    }

    /// <summary>The last model known good (restored or checkpointed) and the completion it covers.</summary>
    public (long Sequence, byte[] State) LastGood
    {
        get
        {
            lock (_gate)
            {
                return _lastGood;
            }
        }
        set
        {
            lock (_gate)
            {
                _lastGood = value;
            }
        }
    }

    /// <summary>Records a problem the loop survived.</summary>
    public void Report(string problem)
    {
        lock (_gate)
        {
            _problems.Enqueue(problem);
            while (_problems.Count > KeptProblems)
            {
                _problems.Dequeue();
            }
        }
    }

    /// <summary>Records a damaged payload (skipped).</summary>
    public void ReportDamaged(string damage)
    {
        lock (_gate)
        {
            DamagedEvents++;
        }
        Report($"damaged decision payload skipped: {damage}");
    }

    /// <summary>Stops the loop's learning with the reason.</summary>
    public void Quarantined(string reason)
    {
        lock (_gate)
        {
            _quarantine = reason;
        }
        Report(reason);
    }
}
