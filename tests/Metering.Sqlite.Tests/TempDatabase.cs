namespace Metering.Sqlite.Tests;

/// <summary>A database file in a fresh temporary folder, deleted (with its -wal and -shm files) on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    private readonly string _folder;

    public TempDatabase()
    {
        _folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "metering-sqlite-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        Path = System.IO.Path.Combine(_folder, "billing.db");
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold the file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
