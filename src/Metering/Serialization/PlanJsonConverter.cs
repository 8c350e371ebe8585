using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// A <see cref="Plan"/> version as an object: key, version, display name, currency code, interval (<c>"P1M"</c>), base fee,
/// per-seat flag, trial days, credit overflow, charges (key, meter key, display name, pricing, filter, real-time flag,
/// and when set the limit, alerts and group-by properties) and
/// features (key, enabled, limit). Reading rebuilds the plan with <see cref="PlanBuilder"/>, so the same rules apply.
/// </summary>
internal sealed class PlanJsonConverter(CurrencyJsonConverter currencies) : JsonConverter<Plan>
{
    private const string What = "plan";
    private const string Example = "{\"key\":\"pro\",\"version\":1,\"currency\":\"EUR\",\"interval\":\"P1M\",\"charges\":[],\"features\":[]}";
    private const string ChargeWhat = "charge";
    private const string ChargeExample = "{\"meterKey\":\"api_calls\",\"pricing\":{\"model\":\"PerUnit\",\"unitPrice\":0.002}}";
    private const string FeatureWhat = "feature";
    private const string FeatureExample = "{\"key\":\"sso\",\"enabled\":true,\"limit\":null}";

    public override Plan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        string? key = null, displayName = null;
        int? version = null;
        int trialDays = 0;
        Currency? currency = null;
        BillingInterval? interval = null;
        decimal baseFee = 0m;
        bool baseFeePerSeat = false;
        CreditOverflow overflow = CreditOverflow.Overage;
        bool creditRateCard = false;
        List<(string MeterKey, PricingModel Pricing, string? Key, string? DisplayName, List<KeyValuePair<string, string>> Filter, bool RealTime, decimal? Limit, List<UsageAlert> Alerts, List<string> GroupBy)> charges = [];
        List<Feature> features = [];
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Key", options))
            {
                key = JsonFields.ReadString(ref reader, What, "Key", options);
            }
            else if (JsonFields.Is(name, "Version", options))
            {
                version = JsonFields.ReadInt(ref reader, What, "Version", options);
            }
            else if (JsonFields.Is(name, "DisplayName", options))
            {
                displayName = JsonFields.ReadNullableString(ref reader, What, "DisplayName", options);
            }
            else if (JsonFields.Is(name, "Currency", options))
            {
                currency = currencies.ReadCode(ref reader, $"plan's '{JsonFields.Name(options, "Currency")}'");
            }
            else if (JsonFields.Is(name, "Interval", options))
            {
                interval = new BillingIntervalJsonConverter().Read(ref reader, typeof(BillingInterval), options);
            }
            else if (JsonFields.Is(name, "BaseFee", options))
            {
                baseFee = JsonFields.ReadDecimal(ref reader, What, "BaseFee", options);
            }
            else if (JsonFields.Is(name, "BaseFeePerSeat", options))
            {
                baseFeePerSeat = JsonFields.ReadBool(ref reader, What, "BaseFeePerSeat", options);
            }
            else if (JsonFields.Is(name, "TrialDays", options))
            {
                trialDays = JsonFields.ReadInt(ref reader, What, "TrialDays", options);
            }
            else if (JsonFields.Is(name, "WhenCreditsRunOut", options))
            {
                overflow = JsonFields.ReadEnum<CreditOverflow>(ref reader, What, "WhenCreditsRunOut", options);
            }
            else if (JsonFields.Is(name, "IsCreditRateCard", options))
            {
                creditRateCard = JsonFields.ReadBool(ref reader, What, "IsCreditRateCard", options);
            }
            else if (JsonFields.Is(name, "Charges", options))
            {
                ExpectArray(ref reader, "Charges", ChargeExample, options);
                charges.Clear();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    charges.Add(ReadCharge(ref reader, charges.Count + 1, options));
                }
            }
            else if (JsonFields.Is(name, "Features", options))
            {
                ExpectArray(ref reader, "Features", FeatureExample, options);
                features.Clear();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    features.Add(ReadFeature(ref reader, options));
                }
            }
            else
            {
                reader.Skip();
            }
        }

        var planKey = key ?? throw JsonFields.Missing(What, "Key", options, Example);
        var planCurrency = currency ?? throw JsonFields.Missing(What, "Currency", options, Example);
        var planInterval = interval ?? throw JsonFields.Missing(What, "Interval", options, Example);
        var planVersion = version ?? throw JsonFields.Missing(What, "Version", options, Example);
        try
        {
            return Build();
        }
        catch (Exception e) when (e is ArgumentException or MeteringException)
        {
            throw new JsonException($"Plan '{JsonFields.Shorten(planKey)}' is not valid: {e.Message}", e);
        }

        // Everything the builder checks (keys, filters, prices, tiers, the version) is inside the try above.
        Plan Build()
        {
            var builder = Plan.Create(planKey, planCurrency, planInterval)
                .WithDisplayName(displayName)
                .WithBaseFee(baseFee, baseFeePerSeat)
                .WithTrialDays(trialDays)
                .WhenCreditsRunOut(overflow);
            if (creditRateCard)
            {
                builder.AsCreditRateCard().WhenCreditsRunOut(overflow);
            }

            foreach (var charge in charges)
            {
                builder.WithCharge(charge.MeterKey, charge.Pricing, o =>
                {
                    o.Key = charge.Key;
                    o.DisplayName = charge.DisplayName;
                    o.BurnsCreditsInRealTime = charge.RealTime;
                    o.LimitPerPeriod = charge.Limit;
                    foreach (var alert in charge.Alerts)
                    {
                        o.Alerts.Add(alert);
                    }
                    foreach (var (property, value) in charge.Filter)
                    {
                        o.Where(property, value);
                    }

                    foreach (var property in charge.GroupBy)
                    {
                        o.GroupBy.Add(property);
                    }
                });
            }

            foreach (var feature in features)
            {
                builder.WithFeature(feature);
            }

            return builder.Build(planVersion);
        }
    }

    public override void Write(Utf8JsonWriter writer, Plan value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString(JsonFields.Name(options, "Key"), value.Key);
        writer.WriteNumber(JsonFields.Name(options, "Version"), value.Version);
        JsonFields.WriteString(writer, JsonFields.Name(options, "DisplayName"), value.DisplayName, options);
        writer.WriteString(JsonFields.Name(options, "Currency"), value.Currency.Code);
        writer.WriteString(JsonFields.Name(options, "Interval"), value.Interval.ToString());
        writer.WriteNumber(JsonFields.Name(options, "BaseFee"), value.BaseFee);
        writer.WriteBoolean(JsonFields.Name(options, "BaseFeePerSeat"), value.BaseFeePerSeat);
        writer.WriteNumber(JsonFields.Name(options, "TrialDays"), value.TrialDays);
        writer.WriteString(JsonFields.Name(options, "WhenCreditsRunOut"), value.WhenCreditsRunOut.ToString());
        if (value.IsCreditRateCard)
        {
            // Written only for rate cards, so the shape of every other plan is unchanged.
            writer.WriteBoolean(JsonFields.Name(options, "IsCreditRateCard"), true);
        }

        writer.WriteStartArray(JsonFields.Name(options, "Charges"));
        foreach (var charge in value.Charges)
        {
            writer.WriteStartObject();
            writer.WriteString(JsonFields.Name(options, "Key"), charge.Key);
            writer.WriteString(JsonFields.Name(options, "MeterKey"), charge.MeterKey);
            JsonFields.WriteString(writer, JsonFields.Name(options, "DisplayName"), charge.DisplayName, options);
            writer.WritePropertyName(JsonFields.Name(options, "Pricing"));
            PricingJson.Write(writer, charge.Pricing, options);
            writer.WriteStartObject(JsonFields.Name(options, "Filter"));
            foreach (var (property, filterValue) in charge.Filter.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteString(property, filterValue);
            }

            writer.WriteEndObject();
            writer.WriteBoolean(JsonFields.Name(options, "BurnsCreditsInRealTime"), charge.BurnsCreditsInRealTime);
            if (charge.LimitPerPeriod is { } limit)
            {
                writer.WriteNumber(JsonFields.Name(options, "LimitPerPeriod"), limit);
            }

            if (charge.Alerts.Count > 0)
            {
                writer.WriteStartArray(JsonFields.Name(options, "Alerts"));
                foreach (var alert in charge.Alerts)
                {
                    writer.WriteStartObject();
                    writer.WriteString(JsonFields.Name(options, "Kind"), alert.Kind.ToString());
                    writer.WriteNumber(JsonFields.Name(options, "Threshold"), alert.Threshold);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            if (charge.GroupBy.Count > 0)
            {
                writer.WriteStartArray(JsonFields.Name(options, "GroupBy"));
                foreach (var property in charge.GroupBy)
                {
                    writer.WriteStringValue(property);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray(JsonFields.Name(options, "Features"));
        foreach (var feature in value.Features)
        {
            writer.WriteStartObject();
            writer.WriteString(JsonFields.Name(options, "Key"), feature.Key);
            writer.WriteBoolean(JsonFields.Name(options, "Enabled"), feature.Enabled);
            JsonFields.WriteDecimal(writer, JsonFields.Name(options, "Limit"), feature.Limit, options);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void ExpectArray(ref Utf8JsonReader reader, string member, string example, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw JsonFields.Invalid(What, member, options, $"must be an array of objects such as {example}, but is a {JsonFields.Describe(reader.TokenType)}.");
        }
    }

    private static (string MeterKey, PricingModel Pricing, string? Key, string? DisplayName, List<KeyValuePair<string, string>> Filter, bool RealTime, decimal? Limit, List<UsageAlert> Alerts, List<string> GroupBy) ReadCharge(
        ref Utf8JsonReader reader, int number, JsonSerializerOptions options)
    {
        var what = $"{ChargeWhat} {number}";
        JsonFields.StartObject(ref reader, what, ChargeExample);
        string? key = null, meterKey = null, displayName = null;
        PricingModel? pricing = null;
        var filter = new List<KeyValuePair<string, string>>();
        bool realTime = false;
        decimal? limit = null;
        var alerts = new List<UsageAlert>();
        var groupBy = new List<string>();
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Key", options))
            {
                key = JsonFields.ReadNullableString(ref reader, what, "Key", options);
            }
            else if (JsonFields.Is(name, "MeterKey", options))
            {
                meterKey = JsonFields.ReadString(ref reader, what, "MeterKey", options);
            }
            else if (JsonFields.Is(name, "DisplayName", options))
            {
                displayName = JsonFields.ReadNullableString(ref reader, what, "DisplayName", options);
            }
            else if (JsonFields.Is(name, "Pricing", options))
            {
                pricing = PricingJson.Read(ref reader, options);
            }
            else if (JsonFields.Is(name, "BurnsCreditsInRealTime", options))
            {
                realTime = JsonFields.ReadBool(ref reader, what, "BurnsCreditsInRealTime", options);
            }
            else if (JsonFields.Is(name, "LimitPerPeriod", options))
            {
                limit = JsonFields.ReadNullableDecimal(ref reader, what, "LimitPerPeriod", options);
            }
            else if (JsonFields.Is(name, "Alerts", options))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                ExpectArray(ref reader, "Alerts", "[{\"kind\":\"Quantity\",\"threshold\":80}]", options);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    alerts.Add(ReadAlert(ref reader, what, options));
                }
            }
            else if (JsonFields.Is(name, "GroupBy", options))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw JsonFields.Invalid(what, "GroupBy", options, $"must be an array of property names such as [\"region\"], but is a {JsonFields.Describe(reader.TokenType)}.");
                }

                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw JsonFields.Invalid(what, "GroupBy", options, $"must hold property names (strings), but holds a {JsonFields.Describe(reader.TokenType)}.");
                    }

                    groupBy.Add(reader.GetString()!);
                }
            }
            else if (JsonFields.Is(name, "Filter", options))
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                JsonFields.StartObject(ref reader, $"{what}'s filter", "{\"region\":\"eu\"}");
                while (JsonFields.NextProperty(ref reader, out var property))
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw JsonFields.Error($"The {what}'s filter value of '{JsonFields.Shorten(property)}' must be a string, but is a {JsonFields.Describe(reader.TokenType)}.");
                    }

                    filter.Add(new(property, reader.GetString()!));
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return (
            meterKey ?? throw JsonFields.Missing(what, "MeterKey", options, ChargeExample),
            pricing ?? throw JsonFields.Missing(what, "Pricing", options, ChargeExample),
            key,
            displayName,
            filter,
            realTime,
            limit,
            alerts,
            groupBy);
    }

    private static UsageAlert ReadAlert(ref Utf8JsonReader reader, string charge, JsonSerializerOptions options)
    {
        var what = $"{charge}'s alert";
        JsonFields.StartObject(ref reader, what, "{\"kind\":\"Quantity\",\"threshold\":80}");
        UsageAlertKind? kind = null;
        decimal? threshold = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Kind", options))
            {
                var text = JsonFields.ReadString(ref reader, what, "Kind", options);
                kind = Enum.TryParse<UsageAlertKind>(text, ignoreCase: false, out var parsed) && Enum.IsDefined(parsed)
                    ? parsed
                    : throw JsonFields.Error($"The {what} has kind '{JsonFields.Shorten(text)}'; use \"Quantity\" or \"Amount\".");
            }
            else if (JsonFields.Is(name, "Threshold", options))
            {
                threshold = JsonFields.ReadDecimal(ref reader, what, "Threshold", options);
            }
            else
            {
                reader.Skip();
            }
        }

        return new UsageAlert(
            kind ?? throw JsonFields.Missing(what, "Kind", options, "{\"kind\":\"Quantity\",\"threshold\":80}"),
            threshold ?? throw JsonFields.Missing(what, "Threshold", options, "{\"kind\":\"Quantity\",\"threshold\":80}"));
    }

    private static Feature ReadFeature(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, FeatureWhat, FeatureExample);
        string? key = null;
        bool? enabled = null;
        decimal? limit = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Key", options))
            {
                key = JsonFields.ReadString(ref reader, FeatureWhat, "Key", options);
            }
            else if (JsonFields.Is(name, "Enabled", options))
            {
                enabled = JsonFields.ReadBool(ref reader, FeatureWhat, "Enabled", options);
            }
            else if (JsonFields.Is(name, "Limit", options))
            {
                limit = JsonFields.ReadNullableDecimal(ref reader, FeatureWhat, "Limit", options);
            }
            else
            {
                reader.Skip();
            }
        }

        return new Feature(
            key ?? throw JsonFields.Missing(FeatureWhat, "Key", options, FeatureExample),
            enabled ?? throw JsonFields.Missing(FeatureWhat, "Enabled", options, FeatureExample),
            limit);
    }
}
