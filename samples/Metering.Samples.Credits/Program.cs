using Metering.Samples.Credits;

// Prepaid and promotional credits burned in real time, on Metering's in-memory store.
await CreditsDemo.RunAsync(Console.Out, builder => builder.UseInMemoryStore());
