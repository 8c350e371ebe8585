using Microsoft.Extensions.DependencyInjection;
using Metering.Quickstart;

// The shipping-platform quickstart on the embedded default store: a SQLite file next to the app,
// created fresh on each run so the demo always starts from an empty month.
var path = Path.Combine(AppContext.BaseDirectory, "quickstart.db");
foreach (var file in new[] { path, path + "-wal", path + "-shm" })
{
    File.Delete(file);
}

Console.WriteLine($"Store: SQLite file {path}");
await ShippingDemo.RunAsync(Console.Out, builder => builder.UseSqlite(path));
