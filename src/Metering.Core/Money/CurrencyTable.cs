using System.Collections.Frozen;

namespace Metering;

/// <summary>
/// An immutable table of known currencies and units, looked up by code. Hosts extend
/// <see cref="Iso4217"/> with <see cref="With(Currency)"/> for custom units (credits, tokens).
/// </summary>
public sealed class CurrencyTable
{
    private readonly FrozenDictionary<string, Currency> _byCode;

    private CurrencyTable(FrozenDictionary<string, Currency> byCode) => _byCode = byCode;

    /// <summary>The active ISO 4217 currencies with their minor-unit digits.</summary>
    public static CurrencyTable Iso4217 { get; } = CreateIso();

    /// <summary>Every currency in the table.</summary>
    public IEnumerable<Currency> All => _byCode.Values;

    /// <summary>Looks up a currency by code (ordinal; ISO codes are upper case).</summary>
    /// <exception cref="UnknownCurrencyException">No currency with that code is in the table.</exception>
    public Currency Get(string code)
    {
        Preconditions.CheckNotNull(code);
        return _byCode.TryGetValue(code, out var currency) ? currency : throw new UnknownCurrencyException(code);
    }

    /// <summary>Looks up a currency by code without throwing.</summary>
    public bool TryGet(string code, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Currency? currency) =>
        _byCode.TryGetValue(code, out currency);

    /// <summary>Returns a new table that also holds <paramref name="currency"/> (replacing one with the same code).</summary>
    public CurrencyTable With(Currency currency)
    {
        Preconditions.CheckNotNull(currency);
        var copy = new Dictionary<string, Currency>(_byCode, StringComparer.Ordinal) { [currency.Code] = currency };
        return new CurrencyTable(copy.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static CurrencyTable CreateIso()
    {
        // ISO 4217 active codes and minor units; codes not listed under 0 or 3 digits use 2.
        const string zeroDigits = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
        const string threeDigits = "BHD IQD JOD KWD LYD OMR TND";
        const string fourDigits = "CLF UYW";
        const string twoDigits =
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
            "CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS " +
            "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD " +
            "MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR " +
            "PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY " +
            "TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD YER ZAR ZMW ZWG";

        var map = new Dictionary<string, Currency>(StringComparer.Ordinal);
        foreach (var (codes, digits) in new[] { (twoDigits, 2), (zeroDigits, 0), (threeDigits, 3), (fourDigits, 4) })
        {
            foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                map[code] = code switch
                {
                    "USD" => Currency.USD,
                    "EUR" => Currency.EUR,
                    "GBP" => Currency.GBP,
                    "JMD" => Currency.JMD,
                    "JPY" => Currency.JPY,
                    "BHD" => Currency.BHD,
                    "KWD" => Currency.KWD,
                    _ => Currency.Iso(code, digits),
                };
            }
        }

        return new CurrencyTable(map.ToFrozenDictionary(StringComparer.Ordinal));
    }
}
