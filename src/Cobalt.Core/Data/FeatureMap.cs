namespace Cobalt.Core.Data;

/// <summary>How a linear model turns (user, candidate) into its feature vector.</summary>
public enum FeatureMap
{
    /// <summary>The candidate's feature row x_a.</summary>
    Item,

    /// <summary>The user's features z_u (the same for every candidate; used for per-arm models).</summary>
    User,

    /// <summary>The concatenation [z_u, x_a].</summary>
    UserThenItem,

    /// <summary>The Kronecker product vec(z_u x_a^T): entry (j, k) = z_j x_k (Li et al. 2010's shared features).</summary>
    UserOuterItem,
}

/// <summary>Builds feature vectors for a <see cref="FeatureMap"/>.</summary>
public static class FeatureMaps
{
    /// <summary>Dimension of the mapped vector.</summary>
    public static int Dimension(this FeatureMap map, int userDimension, int itemDimension) => map switch
    {
        FeatureMap.Item => itemDimension,
        FeatureMap.User => userDimension,
        FeatureMap.UserThenItem => userDimension + itemDimension,
        FeatureMap.UserOuterItem => userDimension * itemDimension,
        _ => throw new ArgumentOutOfRangeException(nameof(map), map, null),
    };

    /// <summary>Writes the mapped features of candidate <paramref name="candidateIndex"/> into <paramref name="destination"/>.</summary>
    public static void Write(this FeatureMap map, DecisionContext context, int candidateIndex, Span<double> destination)
    {
        ArgumentNullException.ThrowIfNull(context);
        var item = context.Candidates.Features(candidateIndex);
        var user = context.UserFeatures.Span;
        var expected = map.Dimension(user.Length, item.Length);
        if (destination.Length != expected)
        {
            throw new ArgumentException(
                $"Feature map {map} gives {expected} features for user dimension {user.Length} and item dimension {item.Length}; the model expects {destination.Length}.",
                nameof(context));
        }
        switch (map)
        {
            case FeatureMap.Item:
                item.CopyTo(destination);
                break;
            case FeatureMap.User:
                user.CopyTo(destination);
                break;
            case FeatureMap.UserThenItem:
                user.CopyTo(destination);
                item.CopyTo(destination[user.Length..]);
                break;
            case FeatureMap.UserOuterItem:
                for (var j = 0; j < user.Length; j++)
                {
                    System.Numerics.Tensors.TensorPrimitives.Multiply(item, user[j], destination.Slice(j * item.Length, item.Length));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(map), map, null);
        }
    }
}
