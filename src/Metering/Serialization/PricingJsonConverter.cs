using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// A <see cref="PricingModel"/> (or one of its concrete types) as an object with a <c>model</c> discriminator:
/// <c>{"model":"PerUnit","unitPrice":0.002,"includedUnits":0}</c>,
/// <c>{"model":"Package","packageSize":100,"packagePrice":5,"rounding":"Up","includedUnits":0}</c>,
/// <c>{"model":"Graduated"|"Volume","tiers":[{"upTo":100,"unitPrice":1,"flatFee":0},{"upTo":null,"unitPrice":0.5,"flatFee":0}],"includedUnits":0}</c>.
/// Reading validates through the public factories, so an invalid model or tier table fails like it does in code.
/// </summary>
internal sealed class PricingModelJsonConverter<TModel> : JsonConverter<TModel>
    where TModel : PricingModel
{
    public override TModel? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var model = PricingJson.Read(ref reader, options);
        return model as TModel
            ?? throw JsonFields.Error($"The pricing model is {model.GetType().Name}, but a {typeof(TModel).Name} was expected.");
    }

    public override void Write(Utf8JsonWriter writer, TModel value, JsonSerializerOptions options) => PricingJson.Write(writer, value, options);
}

/// <summary>The shape of pricing models, shared by the pricing and plan converters.</summary>
internal static class PricingJson
{
    private const string What = "pricing model";
    private const string Example = "{\"model\":\"PerUnit\",\"unitPrice\":0.002}";
    private const string TierWhat = "price tier";
    private const string TierExample = "{\"upTo\":100,\"unitPrice\":1,\"flatFee\":0}";

    public static void Write(Utf8JsonWriter writer, PricingModel value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        var model = JsonFields.Name(options, "Model");
        switch (value)
        {
            case PerUnitPricing p:
                writer.WriteString(model, "PerUnit");
                writer.WriteNumber(JsonFields.Name(options, "UnitPrice"), p.UnitPrice);
                break;
            case PackagePricing p:
                writer.WriteString(model, "Package");
                writer.WriteNumber(JsonFields.Name(options, "PackageSize"), p.PackageSize);
                writer.WriteNumber(JsonFields.Name(options, "PackagePrice"), p.PackagePrice);
                writer.WriteString(JsonFields.Name(options, "Rounding"), p.Rounding.ToString());
                break;
            case TieredPricing p:
                writer.WriteString(model, p is VolumePricing ? "Volume" : "Graduated");
                writer.WriteStartArray(JsonFields.Name(options, "Tiers"));
                foreach (var tier in p.Tiers)
                {
                    writer.WriteStartObject();
                    JsonFields.WriteDecimal(writer, JsonFields.Name(options, "UpTo"), tier.UpTo, options);
                    writer.WriteNumber(JsonFields.Name(options, "UnitPrice"), tier.UnitPrice);
                    writer.WriteNumber(JsonFields.Name(options, "FlatFee"), tier.FlatFee);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                break;
            default:
                throw JsonFields.Error($"Pricing model {value.GetType().Name} has no JSON form; use PerUnit, Package, Graduated or Volume.");
        }

        writer.WriteNumber(JsonFields.Name(options, "IncludedUnits"), value.IncludedUnits);
        writer.WriteEndObject();
    }

    public static PricingModel Read(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        string? model = null;
        decimal? unitPrice = null, packageSize = null, packagePrice = null, includedUnits = null;
        PackageRounding? rounding = null;
        List<PriceTier>? tiers = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Model", options))
            {
                model = JsonFields.ReadString(ref reader, What, "Model", options);
            }
            else if (JsonFields.Is(name, "UnitPrice", options))
            {
                unitPrice = JsonFields.ReadDecimal(ref reader, What, "UnitPrice", options);
            }
            else if (JsonFields.Is(name, "PackageSize", options))
            {
                packageSize = JsonFields.ReadDecimal(ref reader, What, "PackageSize", options);
            }
            else if (JsonFields.Is(name, "PackagePrice", options))
            {
                packagePrice = JsonFields.ReadDecimal(ref reader, What, "PackagePrice", options);
            }
            else if (JsonFields.Is(name, "Rounding", options))
            {
                rounding = JsonFields.ReadEnum<PackageRounding>(ref reader, What, "Rounding", options);
            }
            else if (JsonFields.Is(name, "IncludedUnits", options))
            {
                includedUnits = JsonFields.ReadDecimal(ref reader, What, "IncludedUnits", options);
            }
            else if (JsonFields.Is(name, "Tiers", options))
            {
                tiers = ReadTiers(ref reader, options);
            }
            else
            {
                reader.Skip();
            }
        }

        var included = includedUnits ?? 0m;
        try
        {
            switch (model ?? throw JsonFields.Missing(What, "Model", options, Example))
            {
                case "PerUnit":
                    return PricingModel.PerUnit(unitPrice ?? throw Missing("PerUnit", "UnitPrice"), included);
                case "Package":
                    return PricingModel.Package(
                        packageSize ?? throw Missing("Package", "PackageSize"),
                        packagePrice ?? throw Missing("Package", "PackagePrice"),
                        included,
                        rounding ?? PackageRounding.Up);
                case "Graduated":
                    return PricingModel.Graduated(tiers ?? throw Missing("Graduated", "Tiers"), included);
                case "Volume":
                    return PricingModel.Volume(tiers ?? throw Missing("Volume", "Tiers"), included);
                default:
                    throw JsonFields.Invalid(What, "Model", options, $"is \"{JsonFields.Shorten(model)}\"; it must be one of PerUnit, Package, Graduated, Volume.");
            }
        }
        catch (Exception e) when (e is ArgumentException or MeteringException)
        {
            throw new JsonException($"The {model} pricing model is not valid: {e.Message}", e);
        }

        JsonException Missing(string kind, string member) =>
            JsonFields.Error($"A {kind} pricing model needs '{JsonFields.Name(options, member)}'; e.g. {Example}.");
    }

    private static List<PriceTier> ReadTiers(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw JsonFields.Invalid(What, "Tiers", options, $"must be an array of tiers such as {TierExample}, but is a {JsonFields.Describe(reader.TokenType)}.");
        }

        var tiers = new List<PriceTier>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            JsonFields.StartObject(ref reader, TierWhat, TierExample);
            decimal? upTo = null, unitPrice = null, flatFee = null;
            while (JsonFields.NextProperty(ref reader, out var name))
            {
                if (JsonFields.Is(name, "UpTo", options))
                {
                    upTo = JsonFields.ReadNullableDecimal(ref reader, TierWhat, "UpTo", options);
                }
                else if (JsonFields.Is(name, "UnitPrice", options))
                {
                    unitPrice = JsonFields.ReadDecimal(ref reader, TierWhat, "UnitPrice", options);
                }
                else if (JsonFields.Is(name, "FlatFee", options))
                {
                    flatFee = JsonFields.ReadDecimal(ref reader, TierWhat, "FlatFee", options);
                }
                else
                {
                    reader.Skip();
                }
            }

            tiers.Add(new PriceTier(upTo, unitPrice ?? throw JsonFields.Missing($"{TierWhat} {tiers.Count + 1}", "UnitPrice", options, TierExample), flatFee ?? 0m));
        }

        return tiers;
    }
}
