namespace Cobalt.RecoGym.Environment;

/// <summary>
/// RecoGym's squashing function from a user-product score to a click probability:
/// ff(x) = sig(aa * sig(bb * sig(cc * x) - dd) - ee) with sig the logistic function and, by default,
/// aa = 5, bb = 2, cc = 0.3, dd = 2, ee = 6 (upstream <c>reco_env_v1.ff</c>), which maps the real line
/// onto about (0.45 %, 2.9 %).
/// </summary>
/// <param name="A">aa.</param>
/// <param name="B">bb.</param>
/// <param name="C">cc.</param>
/// <param name="D">dd.</param>
/// <param name="E">ee.</param>
public readonly record struct ClickFunction(double A, double B, double C, double D, double E)
{
    /// <summary>The specification's function: aa = 5, bb = 2, cc = 0.3, dd = 2, ee = 6.</summary>
    public static ClickFunction Default => new(5, 2, 0.3, 2, 6);

    /// <summary>ff(x).</summary>
    public double Evaluate(double x) => Sig(A * Sig(B * Sig(C * x) - D) - E);

    /// <summary>The logistic function 1 / (1 + e^-x).</summary>
    public static double Sig(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
