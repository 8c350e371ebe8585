using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Serialization;

/// <summary>
/// <see cref="Money"/> as <c>{"amount":"0.002","currency":"EUR"}</c>: the exact amount as a decimal string
/// (invariant culture, scale kept as held: 11699.00 stays "11699.00") and the currency code.
/// Reading also takes the amount as a JSON number; both members are required.
/// </summary>
internal sealed class MoneyJsonConverter(CurrencyJsonConverter currencies) : JsonConverter<Money>
{
    private const string What = "Money";
    private const string Example = "{\"amount\":\"12.50\",\"currency\":\"EUR\"}";

    public override Money Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        JsonFields.StartObject(ref reader, What, Example);
        decimal? amount = null;
        Currency? currency = null;
        while (JsonFields.NextProperty(ref reader, out var name))
        {
            if (JsonFields.Is(name, "Amount", options))
            {
                amount = JsonFields.ReadDecimal(ref reader, What, "Amount", options);
            }
            else if (JsonFields.Is(name, "Currency", options))
            {
                currency = currencies.ReadCode(ref reader, $"Money's '{JsonFields.Name(options, "Currency")}'");
            }
            else
            {
                reader.Skip();
            }
        }

        return new Money(
            amount ?? throw JsonFields.Missing(What, "Amount", options, Example),
            currency ?? throw JsonFields.Missing(What, "Currency", options, Example));
    }

    public override void Write(Utf8JsonWriter writer, Money value, JsonSerializerOptions options)
    {
        if (value.Equals(default(Money)))
        {
            throw JsonFields.Error("This Money is the default value and has no currency, so it has no JSON form; create amounts with new Money(amount, currency).");
        }

        writer.WriteStartObject();
        writer.WriteString(JsonFields.Name(options, "Amount"), value.Amount.ToString(CultureInfo.InvariantCulture));
        writer.WriteString(JsonFields.Name(options, "Currency"), value.Currency.Code);
        writer.WriteEndObject();
    }
}
