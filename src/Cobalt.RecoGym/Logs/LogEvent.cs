namespace Cobalt.RecoGym.Logs;

/// <summary>What a log row records.</summary>
public enum EventKind
{
    /// <summary>The user viewed a product organically.</summary>
    Organic,

    /// <summary>The agent recommended a product and the user clicked or not.</summary>
    Bandit,
}

/// <summary>
/// One row of a RecoGym log (upstream columns t, u, z, v/a, c, ps): the time, the user, the kind, the viewed
/// product (organic) or the recommended product (bandit), the click and the logging propensity (bandit only).
/// </summary>
/// <param name="Time">Time within the user's episode: 0 at arrival, + 1 at every state transition.</param>
/// <param name="User">The user's id.</param>
/// <param name="Kind">Organic view or bandit recommendation.</param>
/// <param name="Product">The viewed product (organic) or the recommended product (bandit).</param>
/// <param name="Click">Whether the recommendation was clicked (always false for organic rows).</param>
/// <param name="Propensity">The probability with which the logging policy chose the product; NaN for organic rows and when unknown.</param>
public readonly record struct LogEvent(long Time, int User, EventKind Kind, int Product, bool Click, double Propensity)
{
    /// <summary>An organic view.</summary>
    public static LogEvent Organic(long time, int user, int product) => new(time, user, EventKind.Organic, product, false, double.NaN);

    /// <summary>A recommendation with its outcome.</summary>
    public static LogEvent Bandit(long time, int user, int action, bool click, double propensity) => new(time, user, EventKind.Bandit, action, click, propensity);
}
