using Metering.Quickstart;

// The shipping-platform quickstart, on Metering's in-memory store.
await ShippingDemo.RunAsync(Console.Out, builder => builder.UseInMemoryStore());
