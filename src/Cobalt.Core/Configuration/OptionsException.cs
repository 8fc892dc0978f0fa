namespace Cobalt.Core.Configuration;

/// <summary>A configuration value is wrong; <see cref="Field"/> names it (as a path such as <c>policies[1].options.alpha</c>).</summary>
public sealed class OptionsException : Exception
{
    /// <summary>Creates the exception for <paramref name="field"/>.</summary>
    public OptionsException(string field, string problem)
        : base($"{field}: {problem}")
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public OptionsException(string field, string problem, Exception inner)
        : base($"{field}: {problem}", inner)
    {
        Field = field;
        Problem = problem;
    }

    /// <summary>Creates an exception without a field (prefer the other constructors).</summary>
    public OptionsException()
        : this("(unknown)", "invalid options")
    {
    }

    /// <summary>Creates an exception without a field (prefer the other constructors).</summary>
    public OptionsException(string message)
        : this("(unknown)", message)
    {
    }

    /// <summary>Path of the bad field.</summary>
    public string Field { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }

    /// <summary>The same problem, with <paramref name="prefix"/> put in front of the field path.</summary>
    public OptionsException Under(string prefix) =>
        new(string.IsNullOrEmpty(prefix) ? Field : $"{prefix}.{Field}", Problem, this);
}

/// <summary>Options that can check themselves.</summary>
public interface IValidatable
{
    /// <summary>Throws an <see cref="OptionsException"/> naming the first bad field.</summary>
    void Validate();
}

/// <summary>Small checks for <see cref="IValidatable.Validate"/> implementations; each names the field.</summary>
public static class Require
{
    /// <summary>value > 0 and finite.</summary>
    public static void Positive(double value, string field)
    {
        if (!(value > 0) || !double.IsFinite(value))
        {
            throw new OptionsException(Names.Kebab(field), $"must be a finite number greater than 0 (got {value}).");
        }
    }

    /// <summary>value >= 0 and finite.</summary>
    public static void NonNegative(double value, string field)
    {
        if (!(value >= 0) || !double.IsFinite(value))
        {
            throw new OptionsException(Names.Kebab(field), $"must be a finite number of at least 0 (got {value}).");
        }
    }

    /// <summary>low &lt;= value &lt;= high.</summary>
    public static void InRange(double value, double low, double high, string field)
    {
        if (!(value >= low && value <= high))
        {
            throw new OptionsException(Names.Kebab(field), $"must be between {low} and {high} (got {value}).");
        }
    }

    /// <summary>value >= minimum.</summary>
    public static void AtLeast(long value, long minimum, string field)
    {
        if (value < minimum)
        {
            throw new OptionsException(Names.Kebab(field), $"must be at least {minimum} (got {value}).");
        }
    }

    /// <summary>Validates nested options, naming a bad field under <paramref name="field"/> (for example <c>training.epochs</c>).</summary>
    public static void Nested(IValidatable options, string field)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
        }
        catch (OptionsException e)
        {
            throw e.Under(Names.Kebab(field));
        }
    }

    /// <summary>A defined enum value.</summary>
    public static void Defined<T>(T value, string field)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new OptionsException(Names.Kebab(field), $"'{value}' is not allowed; allowed values: {string.Join(", ", Names.Of<T>())}.");
        }
    }
}
