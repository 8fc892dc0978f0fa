namespace Cobalt.RecoGym.Agents;

/// <summary>
/// User kNN with the neighbours' bandit feedback (the challenge team's third-best agent, after Nguyen-Thanh et al. 2019):
/// the current user's nearest users by cosine similarity s_n of organic view counts, then for every action a
/// score(a) = (sum_n s_n c_na + w c_a^self + m c0) / (sum_n s_n n_na + w n_a^self + m), with n_na and c_na the shows
/// and clicks of a to neighbour n, the user's own shows and clicks so far weighted by w (<c>self-weight</c>), and a
/// prior of m pseudo-shows at the pooled click rate c0. The largest score wins (ties at random).
/// </summary>
/// <remarks>
/// The pool holds every finished user with at least one recommendation: the training users, and online every test
/// user when they leave, so the agent learns from its own recommendations. Neighbours are found through an
/// inverted index (product -> users who viewed it) and searched again only when the user's views change.
/// </remarks>
public sealed class UserKnnAgent : RecoGymAgent
{
    private readonly UserKnnOptions _options;
    private readonly List<PoolUser> _pool = [];
    private readonly List<(int User, double Value)>[] _postings;
    private readonly double[] _numerator, _denominator, _scores;
    private readonly double[] _selfShows, _selfClicks;
    private readonly List<int> _selfActions = [];
    private double[] _dots = new double[1024];
    private readonly List<int> _touched = [];
    private readonly PriorityQueue<int, double> _heap = new();
    private long _neighbourStamp = -1;
    private bool _scoresCurrent;
    private double _pooledShows, _pooledClicks;

    /// <summary>Creates the agent.</summary>
    public UserKnnAgent(int products, UserKnnOptions options, ulong seed)
        : base("user-knn", products, (options ?? throw new ArgumentNullException(nameof(options))).Online, seed)
    {
        options.Validate();
        _options = options;
        _postings = new List<(int, double)>[products];
        for (var i = 0; i < products; i++)
        {
            _postings[i] = [];
        }
        _numerator = new double[products];
        _denominator = new double[products];
        _scores = new double[products];
        _selfShows = new double[products];
        _selfClicks = new double[products];
    }

    /// <summary>Number of users in the neighbour pool.</summary>
    public int PoolSize => _pool.Count;

    /// <inheritdoc />
    public override void BeginUser(UserHistory history)
    {
        foreach (var a in _selfActions)
        {
            _selfShows[a] = 0;
            _selfClicks[a] = 0;
        }
        _selfActions.Clear();
        _neighbourStamp = -1;
    }

    /// <inheritdoc />
    public override void ObserveBandit(UserHistory history, int action, double propensity, bool click)
    {
        if (_selfShows[action] == 0)
        {
            _selfActions.Add(action);
        }
        _selfShows[action]++;
        if (click)
        {
            _selfClicks[action]++;
        }
        _scoresCurrent = false;
    }

    /// <inheritdoc />
    public override void EndUser(UserHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (_selfActions.Count == 0 || history.DistinctCount == 0)
        {
            return;
        }
        var viewed = history.Viewed.ToArray();
        var norm = 0.0;
        foreach (var p in viewed)
        {
            norm += (double)history.Counts[p] * history.Counts[p];
        }
        norm = Math.Sqrt(norm);
        var id = _pool.Count;
        foreach (var p in viewed)
        {
            _postings[p].Add((id, history.Counts[p] / norm));
        }
        var actions = _selfActions.ToArray();
        Array.Sort(actions);
        var shows = new double[actions.Length];
        var clicks = new double[actions.Length];
        for (var i = 0; i < actions.Length; i++)
        {
            shows[i] = _selfShows[actions[i]];
            clicks[i] = _selfClicks[actions[i]];
            _pooledShows += shows[i];
            _pooledClicks += clicks[i];
        }
        _pool.Add(new PoolUser(actions, shows, clicks));
        if (_dots.Length < _pool.Count)
        {
            Array.Resize(ref _dots, _dots.Length * 2);
        }
    }

    /// <inheritdoc />
    public override int Act(UserHistory history, out double propensity)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Stamp != _neighbourStamp)
        {
            FindNeighbours(history);
            _neighbourStamp = history.Stamp;
            _scoresCurrent = false;
        }
        if (!_scoresCurrent)
        {
            var c0 = _pooledShows > 0 ? _pooledClicks / _pooledShows : 0.0;
            var m = _options.PriorStrength;
            var w = _options.SelfWeight;
            for (var a = 0; a < Products; a++)
            {
                _scores[a] = (_numerator[a] + (w * _selfClicks[a]) + (m * c0)) / (_denominator[a] + (w * _selfShows[a]) + m);
            }
            _scoresCurrent = true;
        }
        var action = Choice.Argmax(_scores, Rng, out var ties);
        propensity = 1.0 / ties;
        return action;
    }

    /// <summary>Accumulates the similarity-weighted shows and clicks of the nearest pool users.</summary>
    private void FindNeighbours(UserHistory history)
    {
        Array.Clear(_numerator);
        Array.Clear(_denominator);
        _touched.Clear();
        foreach (var p in history.Viewed)
        {
            var x = (double)history.Counts[p];
            foreach (var (user, value) in _postings[p])
            {
                if (_dots[user] == 0)
                {
                    _touched.Add(user);
                }
                _dots[user] += x * value;
            }
        }
        var k = _options.Neighbours;
        _heap.Clear();
        foreach (var user in _touched)
        {
            var dot = _dots[user];
            if (_heap.Count < k)
            {
                _heap.Enqueue(user, dot);
            }
            else if (_heap.TryPeek(out _, out var smallest) && dot > smallest)
            {
                _heap.DequeueEnqueue(user, dot);
            }
        }
        var queryNorm = 0.0;
        foreach (var p in history.Viewed)
        {
            queryNorm += (double)history.Counts[p] * history.Counts[p];
        }
        queryNorm = Math.Sqrt(queryNorm);
        while (_heap.TryDequeue(out var user, out var dot))
        {
            var similarity = dot / queryNorm;
            var neighbour = _pool[user];
            for (var i = 0; i < neighbour.Actions.Length; i++)
            {
                _numerator[neighbour.Actions[i]] += similarity * neighbour.Clicks[i];
                _denominator[neighbour.Actions[i]] += similarity * neighbour.Shows[i];
            }
        }
        foreach (var user in _touched)
        {
            _dots[user] = 0;
        }
    }

    private sealed record PoolUser(int[] Actions, double[] Shows, double[] Clicks);
}
