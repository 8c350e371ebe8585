using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// A <see cref="Currency"/> as its code string (<c>"EUR"</c>, <c>"credits"</c>). Reading looks the code up in a
/// <see cref="CurrencyTable"/> (ISO 4217 by default), which also supplies the minor digits of custom units.
/// </summary>
internal sealed class CurrencyJsonConverter(CurrencyTable currencies) : JsonConverter<Currency>
{
    public CurrencyTable Currencies { get; } = currencies;

    public override Currency Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ReadCode(ref reader, "currency");

    public override void Write(Utf8JsonWriter writer, Currency value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Code);

    /// <summary>Reads a code and resolves it; <paramref name="what"/> names the value in errors.</summary>
    public Currency ReadCode(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw JsonFields.Error($"The {what} must be a currency code string such as \"EUR\", but is a {JsonFields.Describe(reader.TokenType)}.");
        }

        var code = reader.GetString()!;
        if (Currencies.TryGet(code, out var currency))
        {
            return currency;
        }

        throw JsonFields.Error(
            $"The {what} \"{JsonFields.Shorten(code)}\" is not a known currency or unit; use an ISO 4217 code (e.g. \"EUR\"), or register the custom unit " +
            $"with ConfigureForMetering(CurrencyTable.Iso4217.With(Currency.Custom(\"{JsonFields.Shorten(code)}\", digits))).");
    }
}
