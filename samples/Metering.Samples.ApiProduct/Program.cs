using Metering.Samples.ApiProduct;

// An API product billed per request, on Metering's in-memory store.
await ApiProductDemo.RunAsync(Console.Out, builder => builder.UseInMemoryStore());

// Two more customers: one on a customer contract with a minimum commitment, one on credits only (the default rate card).
Console.WriteLine();
Console.WriteLine(new string('=', 100));
Console.WriteLine();
await ContractAndCreditsDemo.RunAsync(Console.Out, builder => builder.UseInMemoryStore());
