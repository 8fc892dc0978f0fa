using System.Numerics;
using System.Runtime.InteropServices;
using Cobalt.Core.Persistence;
using Cobalt.Neural.Tensors;

namespace Cobalt.Neural.Autodiff;

/// <summary>
/// The named parameters of a model, in creation order: what optimisers update and what is saved and loaded.
/// </summary>
/// <remarks>
/// Saved form (inside a <see cref="StateFile"/>, which adds the version and the SHA-256): tag "parameters", the element
/// type ("float32" or "float64"), the count, then per parameter its name, rank, dimensions and values (IEEE bits, little-endian).
/// Loading matches parameters by name and refuses a file that lacks one, holds an unknown one, or gives one another shape,
/// naming the parameter.
/// </remarks>
/// <typeparam name="T">Element type.</typeparam>
public sealed class ParameterSet<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Parameter<T>> _parameters = [];
    private readonly Dictionary<string, Parameter<T>> _byName = new(StringComparer.Ordinal);

    /// <summary>The parameters in creation order.</summary>
    public IReadOnlyList<Parameter<T>> All => _parameters;

    /// <summary>Number of parameters.</summary>
    public int Count => _parameters.Count;

    /// <summary>Number of learned values in all parameters.</summary>
    public long TotalElements => _parameters.Sum(p => (long)p.Shape.Length);

    /// <summary>Creates and registers a zero parameter.</summary>
    /// <exception cref="ArgumentException">The name is already taken.</exception>
    public Parameter<T> Create(string name, Shape shape, bool rowSparse = false)
    {
        var parameter = new Parameter<T>(name, shape, rowSparse);
        if (!_byName.TryAdd(name, parameter))
        {
            throw new ArgumentException($"A parameter named '{name}' already exists.", nameof(name));
        }
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>The parameter called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public Parameter<T> this[string name] =>
        _byName.TryGetValue(name, out var parameter) ? parameter : throw new KeyNotFoundException($"No parameter is named '{name}'.");

    /// <summary>Zeroes every gradient.</summary>
    public void ZeroGradients()
    {
        foreach (var parameter in _parameters)
        {
            parameter.ZeroGradient();
        }
    }

    /// <summary>
    /// Saves the parameters alone to <paramref name="path"/> as a state file of kind <paramref name="kind"/> (atomically; versioned and
    /// SHA-256-checked by <see cref="StateFile"/>). Models that hold more than parameters write <see cref="Write"/> into their own file.
    /// </summary>
    public void Save(string path, string kind, string specification = "{}")
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(specification);
        AtomicFile.Write(path, stream => StateFile.Write(stream, new StateFile.Header(kind, specification), Write));
    }

    /// <summary>Loads parameters saved by <see cref="Save"/>; the file must be of kind <paramref name="kind"/>.</summary>
    /// <exception cref="InvalidDataException">Not a state file, another kind, damaged, or a parameter is missing, unknown or of another shape.</exception>
    public void Load(string path, string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        var (header, reader) = StateFile.Read(stream);
        using (reader)
        {
            if (header.Kind != kind)
            {
                throw new InvalidDataException($"'{path}' holds the state of a '{header.Kind}', not a '{kind}'.");
            }
            Read(reader);
        }
    }

    /// <summary>Writes every parameter's name, shape and values.</summary>
    public void Write(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("parameters");
        writer.Write(ElementTypeName);
        writer.Write(_parameters.Count);
        foreach (var parameter in _parameters)
        {
            writer.Write(parameter.Name);
            WriteShape(writer, parameter.Shape);
            WriteValues(writer, parameter.Value);
        }
    }

    /// <summary>Reads values written by <see cref="Write"/> into the parameters of the same names; nothing changes unless all of them fit.</summary>
    /// <exception cref="InvalidDataException">The element type differs, or a parameter is missing, unknown or of another shape (named in the message).</exception>
    public void Read(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("parameters");
        var type = reader.ReadString();
        if (type != ElementTypeName)
        {
            throw new InvalidDataException($"The saved parameters are {type}; this model holds {ElementTypeName}.");
        }
        var count = reader.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"The saved state claims {count} parameters.");
        }
        var staged = new Dictionary<string, T[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var shape = ReadShape(reader, name);
            if (!_byName.TryGetValue(name, out var parameter))
            {
                throw new InvalidDataException($"The saved state holds parameter '{name}' {shape}, which this model does not have.");
            }
            if (staged.ContainsKey(name))
            {
                throw new InvalidDataException($"The saved state holds parameter '{name}' twice.");
            }
            if (shape != parameter.Shape)
            {
                throw new InvalidDataException($"Parameter '{name}' has shape {shape} in the saved state but {parameter.Shape} in this model.");
            }
            var values = new T[shape.Length];
            ReadValues(reader, values, name);
            var bad = FirstNonFinite(values);
            if (bad >= 0)
            {
                throw new InvalidDataException($"Parameter '{name}' holds {values[bad]} at element {bad} in the saved state; parameters must be finite.");
            }
            staged.Add(name, values);
        }
        var missing = _parameters.Where(p => !staged.ContainsKey(p.Name)).Select(p => p.Name).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidDataException($"The saved state lacks parameter(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}.");
        }
        foreach (var parameter in _parameters)
        {
            staged[parameter.Name].CopyTo(parameter.Value, 0);
        }
    }

    /// <summary>Index of the first NaN or infinite value, or -1.</summary>
    internal static int FirstNonFinite(ReadOnlySpan<T> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>"float32" or "float64".</summary>
    internal static string ElementTypeName => typeof(T) == typeof(float) ? "float32" : "float64";

    /// <summary>Writes a shape (rank, then dimensions).</summary>
    internal static void WriteShape(StateWriter writer, Shape shape)
    {
        writer.Write(shape.Rank);
        for (var d = 0; d < shape.Rank; d++)
        {
            writer.Write(shape[d]);
        }
    }

    /// <summary>Reads a shape written by <see cref="WriteShape"/>.</summary>
    internal static Shape ReadShape(StateReader reader, string what)
    {
        var rank = reader.ReadInt32();
        if (rank is < 0 or > Shape.MaxRank)
        {
            throw new InvalidDataException($"Saved tensor '{what}' claims rank {rank}.");
        }
        Span<int> dims = stackalloc int[rank];
        for (var d = 0; d < rank; d++)
        {
            dims[d] = reader.ReadInt32();
            if (dims[d] < 0)
            {
                throw new InvalidDataException($"Saved tensor '{what}' claims dimension {dims[d]}.");
            }
        }
        try
        {
            return Shape.Of(dims);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"Saved tensor '{what}' has an impossible shape.", e);
        }
    }

    /// <summary>Writes values losslessly: float32 as their 32-bit patterns, float64 as doubles.</summary>
    internal static void WriteValues(StateWriter writer, ReadOnlySpan<T> values)
    {
        if (typeof(T) == typeof(float))
        {
            writer.Write(MemoryMarshal.Cast<T, int>(values));
        }
        else
        {
            writer.Write(MemoryMarshal.Cast<T, double>(values));
        }
    }

    /// <summary>Reads values written by <see cref="WriteValues"/> into a span of the same length.</summary>
    internal static void ReadValues(StateReader reader, Span<T> values, string what)
    {
        if (typeof(T) == typeof(float))
        {
            reader.ReadInto(MemoryMarshal.Cast<T, int>(values), what);
        }
        else
        {
            reader.ReadInto(MemoryMarshal.Cast<T, double>(values), what);
        }
    }
}
