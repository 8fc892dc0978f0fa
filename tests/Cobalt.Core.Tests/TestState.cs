using Cobalt.Core.Persistence;

namespace Cobalt.Core.Tests;

/// <summary>Saves and loads <see cref="IStateful"/> components through a <see cref="MemoryStream"/>.</summary>
internal static class TestState
{
    public static byte[] Save(IStateful component)
    {
        using var stream = new MemoryStream();
        using (var writer = new StateWriter(stream))
        {
            component.WriteState(writer);
        }
        return stream.ToArray();
    }

    public static void Load(IStateful component, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        using var reader = new StateReader(stream);
        component.ReadState(reader);
        stream.Position.Should().Be(bytes.Length, "the whole state is read");
    }
}
