using Metering;
using Metering.AspNetCore;
using Metering.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc;

// A tiny app on the in-memory store: customers are named by the X-Customer header.
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddMetering(o => o
        .AddMeter(Meter.Sum("api_calls"))
        .AddMeter(Meter.Sum("generations"))
        .AddPlan(Plan.Create("pro", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.01m))
            .WithCharge("generations", PricingModel.PerUnit(0.50m), c => c.BurnsCreditsInRealTime = true)
            .WhenCreditsRunOut(CreditOverflow.Block)
            .WithFeature(Feature.On("exports"))
            .Build())
        .AddPlan(Plan.Create("basic", Currency.USD, BillingInterval.Months(1))
            .WithCharge("api_calls", PricingModel.PerUnit(0.02m))
            .Build()))
    .UseInMemoryStore()
    .AddAspNetCore(o => o.ResolveCustomer = ctx => ctx.Request.Headers["X-Customer"].FirstOrDefault());
builder.Services.AddControllers().AddApplicationPart(typeof(ReportsController).Assembly);

var app = builder.Build();
app.UseExceptionHandler();
app.MapGet("/search", () => TypedResults.Ok(new SearchResult(3))).MeterUsage("api_calls");
app.MapPost("/generate", () => TypedResults.Ok(new SearchResult(1))).MeterUsage("generations", ctx => decimal.Parse(ctx.Request.Query["n"].FirstOrDefault() ?? "1", System.Globalization.CultureInfo.InvariantCulture));
app.MapGet("/exports", () => TypedResults.Ok(new SearchResult(0))).RequireFeature("exports");
app.MapPost("/invoices/{invoiceId}/void", async (string invoiceId, IInvoiceService invoices, CancellationToken ct) => TypedResults.Ok(await invoices.VoidAsync(invoiceId, ct)));
app.MapControllers();
app.MapMeteringEndpoints();
app.Run();

/// <summary>The test host's entry point, for WebApplicationFactory.</summary>
public partial class Program;

namespace Metering.AspNetCore.TestHost
{
    /// <summary>What the fake endpoints answer.</summary>
    /// <param name="Hits">A number.</param>
    public sealed record SearchResult(int Hits);

    /// <summary>MVC endpoints gated and metered by attribute.</summary>
    [ApiController]
    [Route("mvc")]
    public sealed class ReportsController : ControllerBase
    {
        /// <summary>Metered by attribute.</summary>
        [HttpGet("search")]
        [MeterUsage("api_calls", Quantity = 2)]
        public SearchResult Search() => new(5);

        /// <summary>Gated by attribute.</summary>
        [HttpGet("exports")]
        [RequireFeature("exports")]
        public SearchResult Export() => new(7);
    }
}
