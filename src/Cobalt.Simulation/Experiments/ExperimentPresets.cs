using System.Reflection;

namespace Cobalt.Simulation.Experiments;

/// <summary>Experiments shipped inside Cobalt, runnable with no files or data (<c>cobalt run --preset NAME</c>).</summary>
public static class ExperimentPresets
{
    private const string Prefix = "Cobalt.Simulation.Experiments.Presets.";

    /// <summary>The preset <c>cobalt run</c> uses when given nothing.</summary>
    public const string Default = "two-stage";

    /// <summary>Names of the presets.</summary>
    public static IReadOnlyList<string> Names { get; } = Assembly.GetExecutingAssembly().GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>The JSON text of preset <paramref name="name"/>.</summary>
    /// <exception cref="Core.Configuration.OptionsException">No such preset (the message lists them).</exception>
    public static string Json(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Prefix + name + ".json")
            ?? throw new Core.Configuration.OptionsException("preset", $"unknown preset '{name}'; allowed: {string.Join(", ", Names)}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The parsed preset <paramref name="name"/>.</summary>
    public static ExperimentSpec Load(string name) => ExperimentSpec.Parse(Json(name));
}
