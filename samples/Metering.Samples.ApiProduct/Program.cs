using Metering.Samples.ApiProduct;

// An API product billed per request, on Metering's in-memory store.
await ApiProductDemo.RunAsync(Console.Out, builder => builder.UseInMemoryStore());
