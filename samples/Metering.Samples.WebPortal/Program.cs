using Metering.Samples.WebPortal;

// The billing portal sample: an ASP.NET Core app on the embedded SQLite store, seeded with two merchants of a
// shipping platform (seeded when the host starts). `dotnet run --project samples/Metering.Samples.WebPortal` and open the printed URL.
var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
{
    builder.WebHost.UseUrls("http://localhost:5080");
}

builder.Services.AddBillingPortal(builder.Configuration);
var app = builder.Build();
app.MapBillingPortal();
await app.StartAsync();
foreach (var url in app.Urls)
{
    Console.WriteLine($"Billing portal: {url}/  (customers, operator page at {url}/operator, emails at {url}/outbox)");
}

await app.WaitForShutdownAsync();

/// <summary>The entry point, visible to the tests' <c>WebApplicationFactory</c>.</summary>
public partial class Program;
