using System.Text;

namespace Cobalt.Data.Tests;

/// <summary>A fresh folder under the system temp folder, deleted on dispose; files are written by the tests themselves.</summary>
public sealed class TempFolder : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false);

    public TempFolder(string? name = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "cobalt-data-tests", Guid.NewGuid().ToString("N"));
        Folder = name is null ? Root : Path.Combine(Root, name);
        Directory.CreateDirectory(Folder);
    }

    /// <summary>The outer folder (deleted on dispose).</summary>
    public string Root { get; }

    /// <summary>The dataset folder (the named subfolder, or the root).</summary>
    public string Folder { get; }

    /// <summary>Writes <paramref name="lines"/> (joined with \n, trailing newline) to <paramref name="relative"/>; UTF-8 without BOM unless told.</summary>
    public string Write(string relative, IEnumerable<string> lines, Encoding? encoding = null) =>
        WriteText(relative, string.Concat(lines.Select(l => l + "\n")), encoding);

    /// <summary>Writes <paramref name="text"/> as is.</summary>
    public string WriteText(string relative, string text, Encoding? encoding = null)
    {
        var file = Path.Combine(Folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text, encoding ?? Utf8);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
