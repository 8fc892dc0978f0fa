using System.Numerics.Tensors;
using Cobalt.Core.Persistence;

namespace Cobalt.Simulation.UserChoice;

/// <summary>How <see cref="ChoiceFeatures"/> combines a user's and an item's features.</summary>
public enum PairMode
{
    /// <summary>phi = [z ⊙ x, e_i, 1]: z and x have the same dimension (matrix-factorisation vectors, genre profile and one-hot).</summary>
    Elementwise,

    /// <summary>phi = [z ⊗ x, z, x, e_i, 1]: every user feature times every item feature (one-hot attributes, as Coat's).</summary>
    Kronecker,
}

/// <summary>
/// Fixed user features z_u and item features x_i (plus item-only extras e_i such as a popularity),
/// and the pair features phi(u, i) the user-choice simulator's logistic regression reads.
/// </summary>
public sealed class ChoiceFeatures
{
    /// <summary>Creates the features; matrices are row-major.</summary>
    public ChoiceFeatures(PairMode mode, int userCount, int userDimension, double[] users, int itemCount, int itemDimension, double[] items, int extraDimension, double[] extras)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(extras);
        if (users.Length != userCount * userDimension || items.Length != itemCount * itemDimension || extras.Length != itemCount * extraDimension)
        {
            throw new ArgumentException("A feature matrix does not have rows x dimension values.", nameof(users));
        }
        if (mode == PairMode.Elementwise && userDimension != itemDimension)
        {
            throw new ArgumentException($"Elementwise pairs need user and item features of one dimension; got {userDimension} and {itemDimension}.", nameof(mode));
        }
        if (Core.Data.FeatureMatrix.FirstNonFinite(users) >= 0 || Core.Data.FeatureMatrix.FirstNonFinite(items) >= 0 || Core.Data.FeatureMatrix.FirstNonFinite(extras) >= 0)
        {
            throw new ArgumentException("Features must be finite.", nameof(users));
        }
        Mode = mode;
        UserCount = userCount;
        UserDimension = userDimension;
        Users = users;
        ItemCount = itemCount;
        ItemDimension = itemDimension;
        Items = items;
        ExtraDimension = extraDimension;
        Extras = extras;
        Dimension = (mode == PairMode.Elementwise ? userDimension : userDimension * itemDimension + userDimension + itemDimension) + extraDimension + 1;
    }

    /// <summary>How pairs are formed.</summary>
    public PairMode Mode { get; }

    /// <summary>Number of users.</summary>
    public int UserCount { get; }

    /// <summary>Dimension of z_u.</summary>
    public int UserDimension { get; }

    /// <summary>z_u, row-major.</summary>
    public double[] Users { get; }

    /// <summary>Number of items.</summary>
    public int ItemCount { get; }

    /// <summary>Dimension of x_i.</summary>
    public int ItemDimension { get; }

    /// <summary>x_i, row-major.</summary>
    public double[] Items { get; }

    /// <summary>Dimension of e_i.</summary>
    public int ExtraDimension { get; }

    /// <summary>e_i, row-major.</summary>
    public double[] Extras { get; }

    /// <summary>Dimension of phi.</summary>
    public int Dimension { get; }

    /// <summary>z_u.</summary>
    public ReadOnlySpan<double> User(int user) => Users.AsSpan(user * UserDimension, UserDimension);

    /// <summary>x_i.</summary>
    public ReadOnlySpan<double> Item(int item) => Items.AsSpan(item * ItemDimension, ItemDimension);

    /// <summary>Writes phi(u, i) into <paramref name="destination"/> (length <see cref="Dimension"/>).</summary>
    public void Write(int user, int item, Span<double> destination)
    {
        var z = User(user);
        var x = Item(item);
        var offset = 0;
        if (Mode == PairMode.Elementwise)
        {
            TensorPrimitives.Multiply(z, x, destination[..z.Length]);
            offset = z.Length;
        }
        else
        {
            for (var j = 0; j < z.Length; j++)
            {
                TensorPrimitives.Multiply(x, z[j], destination.Slice(offset, x.Length));
                offset += x.Length;
            }
            z.CopyTo(destination[offset..]);
            offset += z.Length;
            x.CopyTo(destination[offset..]);
            offset += x.Length;
        }
        Extras.AsSpan(item * ExtraDimension, ExtraDimension).CopyTo(destination[offset..]);
        destination[offset + ExtraDimension] = 1.0;
    }

    /// <summary>The pairs (users[r], items[r]) as feature rows, for fitting.</summary>
    public PairRows Rows(int[] users, int[] items)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        if (users.Length != items.Length)
        {
            throw new ArgumentException($"{users.Length} users for {items.Length} items.", nameof(items));
        }
        return new PairRows(this, users, items);
    }

    /// <summary>Writes the features.</summary>
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Tag("choice-features");
        writer.Write((int)Mode);
        writer.Write(UserCount);
        writer.Write(UserDimension);
        writer.Write(Users);
        writer.Write(ItemCount);
        writer.Write(ItemDimension);
        writer.Write(Items);
        writer.Write(ExtraDimension);
        writer.Write(Extras);
    }

    /// <summary>Reads features written by <see cref="WriteState"/>.</summary>
    public static ChoiceFeatures ReadState(StateReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        reader.Tag("choice-features");
        var mode = (PairMode)reader.ReadInt32();
        int userCount = reader.ReadInt32(), userDimension = reader.ReadInt32();
        var users = reader.ReadDoubles("user features");
        int itemCount = reader.ReadInt32(), itemDimension = reader.ReadInt32();
        var items = reader.ReadDoubles("item features");
        var extraDimension = reader.ReadInt32();
        var extras = reader.ReadDoubles("item extras");
        try
        {
            return new ChoiceFeatures(mode, userCount, userDimension, users, itemCount, itemDimension, items, extraDimension, extras);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The saved features are inconsistent: {e.Message}", e);
        }
    }
}

/// <summary>phi(users[r], items[r]) for row r: pairs of <see cref="ChoiceFeatures"/> as rows for <see cref="Core.LinearAlgebra.OnlineLogisticRegression.Fit{TRows}"/>.</summary>
public readonly struct PairRows : Core.LinearAlgebra.IFeatureRows
{
    private readonly ChoiceFeatures _features;
    private readonly int[] _users;
    private readonly int[] _items;

    internal PairRows(ChoiceFeatures features, int[] users, int[] items)
    {
        _features = features;
        _users = users;
        _items = items;
    }

    /// <summary>Number of rows.</summary>
    public int Count => _users.Length;

    /// <inheritdoc />
    public void Write(int row, Span<double> destination) => _features.Write(_users[row], _items[row], destination);
}
