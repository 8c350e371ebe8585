using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Metering;

/// <summary>
/// Binds <see cref="MeteringOptions"/> from configuration (e.g. the <c>Metering</c> section of appsettings.json). Each
/// key is read explicitly: durations as <see cref="TimeSpan"/> text (<c>"01:00:00"</c>), enums by name, numbers in
/// invariant culture. A value that does not parse, or a key that is not a setting, is reported by startup validation
/// with its full configuration path. Meters and plans are declared in code, not in configuration.
/// </summary>
internal static class MeteringConfigurationBinder
{
    public static void Bind(IConfiguration section, MeteringOptions options)
    {
        foreach (var child in section.GetChildren())
        {
            var path = child.Path;
            switch (child.Key.ToUpperInvariant())
            {
                case "GRACEPERIOD":
                    Duration(child, options, d => options.GracePeriod = d);
                    break;
                case "FUTURETOLERANCE":
                    Duration(child, options, d => options.FutureTolerance = d);
                    break;
                case "CLOSERETRYDELAY":
                    Duration(child, options, d => options.CloseRetryDelay = d);
                    break;
                case "CLOSERETRYMAXDELAY":
                    Duration(child, options, d => options.CloseRetryMaxDelay = d);
                    break;
                case "ENTITLEMENTGRACEPERIOD":
                    Duration(child, options, d => options.EntitlementGracePeriod = d);
                    break;
                case "INVOICEAPPROVAL":
                    Enum<InvoiceApproval>(child, options, v => options.InvoiceApproval = v);
                    break;
                case "ROUNDING":
                    Enum<MidpointRounding>(child, options, v => options.Rounding = new RoundingPolicy(v));
                    break;
                case "DEFAULTTIMEZONE":
                    options.DefaultTimeZone = child.Value ?? options.DefaultTimeZone;
                    break;
                case "DEFAULTCREDITRATECARD":
                    options.DefaultCreditRateCard = string.IsNullOrEmpty(child.Value) ? null : child.Value;
                    break;
                case "CLOSEBATCHSIZE":
                    Int(child, options, v => options.CloseBatchSize = v);
                    break;
                case "CLOSECONCURRENCY":
                    Int(child, options, v => options.CloseConcurrency = v);
                    break;
                case "SUBSCRIPTIONCACHECAPACITY":
                    Int(child, options, v => options.SubscriptionCacheCapacity = v);
                    break;
                case "LOWCREDITBALANCETHRESHOLDS":
                    foreach (var threshold in child.GetChildren())
                    {
                        if (decimal.TryParse(threshold.Value, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount))
                        {
                            options.LowCreditBalanceThresholds[threshold.Key] = amount;
                        }
                        else
                        {
                            options.BindingErrors.Add($"Configuration '{threshold.Path}' = '{threshold.Value}' is not a decimal number; use e.g. 100 or 12.50.");
                        }
                    }

                    break;
                case "BACKGROUND" or "HEALTH":
                    // Sections of RunInBackground(...) and the health checks, bound by their own options.
                    break;
                default:
                    options.BindingErrors.Add($"Configuration '{path}' is not a Metering setting; remove it or fix its name (settings: GracePeriod, EntitlementGracePeriod, FutureTolerance, CloseRetryDelay, CloseRetryMaxDelay, InvoiceApproval, Rounding, DefaultTimeZone, DefaultCreditRateCard, CloseBatchSize, CloseConcurrency, SubscriptionCacheCapacity, LowCreditBalanceThresholds, Background).");
                    break;
            }
        }
    }

    private static void Duration(IConfigurationSection child, MeteringOptions options, Action<Duration> set)
    {
        if (TimeSpan.TryParse(child.Value, CultureInfo.InvariantCulture, out var value))
        {
            set(NodaTime.Duration.FromTimeSpan(value));
        }
        else
        {
            options.BindingErrors.Add($"Configuration '{child.Path}' = '{child.Value}' is not a duration; use TimeSpan text such as '01:00:00' (1 hour) or '00:05:00' (5 minutes).");
        }
    }

    private static void Enum<T>(IConfigurationSection child, MeteringOptions options, Action<T> set)
        where T : struct, System.Enum
    {
        if (System.Enum.TryParse<T>(child.Value, ignoreCase: true, out var value) && System.Enum.IsDefined(value) && !int.TryParse(child.Value, out _))
        {
            set(value);
        }
        else
        {
            options.BindingErrors.Add($"Configuration '{child.Path}' = '{child.Value}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}.");
        }
    }

    private static void Int(IConfigurationSection child, MeteringOptions options, Action<int> set)
    {
        if (int.TryParse(child.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            set(value);
        }
        else
        {
            options.BindingErrors.Add($"Configuration '{child.Path}' = '{child.Value}' is not a whole number.");
        }
    }
}
