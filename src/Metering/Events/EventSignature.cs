using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Metering;

/// <summary>Why a signed payload was not accepted by <see cref="EventSignature.Verify(string, string, string, Instant, Duration?)"/>.</summary>
public enum EventSignatureFailure
{
    /// <summary>The signature header is missing or not of the form <c>t=&lt;seconds&gt;,v1=&lt;hex&gt;[,v1=...]</c>.</summary>
    MalformedHeader,

    /// <summary>The timestamp is further from now than the tolerance (a replay, or clocks apart).</summary>
    TimestampOutOfTolerance,

    /// <summary>No <c>v1</c> signature matches the payload and secret.</summary>
    SignatureMismatch,
}

/// <summary>A signed payload failed verification; <see cref="Failure"/> says why.</summary>
public sealed class EventSignatureException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventSignatureException(EventSignatureFailure failure, string message)
        : base(message) => Failure = failure;

    /// <summary>Creates the exception (for serializers and tests).</summary>
    public EventSignatureException()
        : this(EventSignatureFailure.MalformedHeader, "The event signature is not valid.")
    {
    }

    /// <summary>Creates the exception (for serializers and tests).</summary>
    public EventSignatureException(string message)
        : this(EventSignatureFailure.MalformedHeader, message)
    {
    }

    /// <summary>Creates the exception (for serializers and tests).</summary>
    public EventSignatureException(string message, Exception innerException)
        : base(message, innerException) => Failure = EventSignatureFailure.MalformedHeader;

    /// <summary>Why verification failed.</summary>
    public EventSignatureFailure Failure { get; }
}

/// <summary>
/// Signs and verifies event payloads a host forwards as its own webhooks, the way Stripe does: the header
/// <c>Metering-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;payload&gt;"&gt;</c>. The receiver recomputes the HMAC
/// with the shared secret, compares in constant time, and refuses timestamps outside a tolerance window (replays).
/// Several <c>v1</c> values may be sent while a secret is rotated; one match is enough.
/// </summary>
/// <example>
/// <code>
/// // sender
/// var header = EventSignature.Sign(json, secret, clock.GetCurrentInstant());
/// request.Headers.Add(EventSignature.HeaderName, header);
/// // receiver
/// EventSignature.Verify(request.Headers[EventSignature.HeaderName], body, secret, clock.GetCurrentInstant());
/// </code>
/// </example>
public static class EventSignature
{
    /// <summary>The HTTP header that carries the signature.</summary>
    public const string HeaderName = "Metering-Signature";

    /// <summary>The tolerance used when none is given: 5 minutes either way.</summary>
    public static readonly Duration DefaultTolerance = Duration.FromMinutes(5);

    /// <summary>The signature header value for <paramref name="payload"/> (UTF-8) signed at <paramref name="timestamp"/>.</summary>
    /// <param name="payload">The exact body that will be sent.</param>
    /// <param name="secret">The shared secret (at least 16 characters).</param>
    /// <param name="timestamp">When it is signed (whole seconds are used).</param>
    public static string Sign(string payload, string secret, Instant timestamp)
    {
        ArgumentNullException.ThrowIfNull(payload);
        CheckSecret(secret);
        long seconds = timestamp.ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"t={seconds},v1={Compute(payload, secret, seconds)}");
    }

    /// <summary>Checks a signature header against the payload and secret; throws <see cref="EventSignatureException"/> when it does not hold.</summary>
    /// <param name="header">The received header value.</param>
    /// <param name="payload">The received body, exactly as received.</param>
    /// <param name="secret">The shared secret.</param>
    /// <param name="now">The receiver's current time.</param>
    /// <param name="tolerance">How far the signed timestamp may be from <paramref name="now"/> (default 5 minutes).</param>
    /// <exception cref="EventSignatureException">The header is malformed, too old or too new, or no signature matches.</exception>
    public static void Verify(string? header, string payload, string secret, Instant now, Duration? tolerance = null)
    {
        if (TryVerify(header, payload, secret, now, tolerance) is { } failure)
        {
            throw new EventSignatureException(failure, failure switch
            {
                EventSignatureFailure.MalformedHeader => $"The {HeaderName} header is missing or malformed; expected 't=<unix seconds>,v1=<hex>'.",
                EventSignatureFailure.TimestampOutOfTolerance => $"The {HeaderName} timestamp is more than {DurationText.Format(tolerance ?? DefaultTolerance)} away from now; refuse it (a replay) or check the clocks.",
                _ => $"No {HeaderName} signature matches the payload; check the shared secret and that the body is passed exactly as received.",
            });
        }
    }

    /// <summary>Checks a signature header; null when it holds, else why not. Never throws for bad input.</summary>
    /// <param name="header">The received header value.</param>
    /// <param name="payload">The received body, exactly as received.</param>
    /// <param name="secret">The shared secret.</param>
    /// <param name="now">The receiver's current time.</param>
    /// <param name="tolerance">How far the signed timestamp may be from <paramref name="now"/> (default 5 minutes).</param>
    public static EventSignatureFailure? TryVerify(string? header, string payload, string secret, Instant now, Duration? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        CheckSecret(secret);
        if (!TryParse(header, out long seconds, out var signatures))
        {
            return EventSignatureFailure.MalformedHeader;
        }

        var window = tolerance ?? DefaultTolerance;
        var signedAt = Instant.FromUnixTimeSeconds(seconds);
        if (signedAt < now - window || signedAt > now + window)
        {
            return EventSignatureFailure.TimestampOutOfTolerance;
        }

        var expected = Convert.FromHexString(Compute(payload, secret, seconds));
        foreach (var candidate in signatures)
        {
            if (CryptographicOperations.FixedTimeEquals(expected, candidate))
            {
                return null;
            }
        }

        return EventSignatureFailure.SignatureMismatch;
    }

    private static string Compute(string payload, string secret, long seconds)
    {
        var signed = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{seconds}.{payload}"));
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }

    private static bool TryParse(string? header, out long seconds, out List<byte[]> signatures)
    {
        seconds = 0;
        signatures = [];
        bool hasTimestamp = false;
        if (string.IsNullOrWhiteSpace(header) || header.Length > 4096)
        {
            return false;
        }

        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return false;
            }

            var name = part[..eq];
            var value = part[(eq + 1)..];
            if (name == "t")
            {
                if (hasTimestamp || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seconds)
                    || seconds > Instant.MaxValue.ToUnixTimeSeconds())
                {
                    return false;
                }

                hasTimestamp = true;
            }
            else if (name == "v1")
            {
                if (value.Length != 64 || !IsHex(value))
                {
                    return false;
                }

                signatures.Add(Convert.FromHexString(value));
            }

            // Other schemes (v0, future versions) are ignored, as a receiver should.
        }

        return hasTimestamp && signatures.Count > 0;
    }

    private static bool IsHex(string value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static void CheckSecret(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 16)
        {
            throw new ArgumentException($"The signing secret is {secret.Length} characters long; use at least 16 random characters (e.g. 32 bytes, base64).", nameof(secret));
        }
    }
}
