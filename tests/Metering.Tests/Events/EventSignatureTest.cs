namespace Metering.Tests.Events;

using Metering;

public class EventSignatureTest
{
    // Vectors computed outside .NET: python3 -c 'import hmac,hashlib; print(hmac.new(secret, b"<t>.<payload>", hashlib.sha256).hexdigest())'.
    private const string Secret = "whsec_0123456789abcdef";
    private const string Payload = """{"type":"InvoiceFinalized","id":"evt_1"}""";
    private const string Vector = "54afe33771499f6e766331a011f4f0d41d3bf6cd0352d44935125ffdb37a5c18";
    private const string RotatedVector = "71e8cec23be758d860c6604dfb3389c2a554d639b8af0bc74db9c26885f58435";
    private static readonly Instant SignedAt = Instant.FromUtc(2026, 1, 1, 0, 0);

    [Fact]
    public void Sign_KnownVector_TimestampAndHexHmac()
    {
        EventSignature.Sign(Payload, Secret, SignedAt + Duration.FromMilliseconds(900)).Should().Be($"t=1767225600,v1={Vector}");
    }

    [Fact]
    public void Sign_NonAsciiPayloadAndSecret_HashesTheirUtf8()
    {
        EventSignature.Sign("""{"name":"Café ☕"}""", "schlüssel-0123456789", SignedAt)
            .Should().Be("t=1767225600,v1=43f3273185434ff34c19a81cb577255c542d15f5ee85769f515995892fe540f9");
    }

    [Fact]
    public void Verify_WithinTolerance_Holds()
    {
        EventSignature.TryVerify($"t=1767225600,v1={Vector}", Payload, Secret, SignedAt + Duration.FromMinutes(4)).Should().BeNull();
        EventSignature.TryVerify($"t=1767225600,v1={Vector}", Payload, Secret, SignedAt - Duration.FromMinutes(4)).Should().BeNull();
    }

    [Fact]
    public void Verify_RotatedSecret_OneMatchingV1IsEnough()
    {
        var header = $"t=1767225600, v1={RotatedVector}, v1={Vector}, v0=ignored";

        EventSignature.TryVerify(header, Payload, Secret, SignedAt).Should().BeNull();
        EventSignature.TryVerify(header, Payload, "another-secret-value-42", SignedAt).Should().BeNull();
    }

    [Fact]
    public void Verify_TamperedPayloadOrWrongSecret_SignatureMismatch()
    {
        var header = $"t=1767225600,v1={Vector}";

        EventSignature.TryVerify(header, Payload.Replace("evt_1", "evt_2", StringComparison.Ordinal), Secret, SignedAt).Should().Be(EventSignatureFailure.SignatureMismatch);
        EventSignature.TryVerify(header, Payload, "whsec_0123456789abcdeF", SignedAt).Should().Be(EventSignatureFailure.SignatureMismatch);
        EventSignature.TryVerify($"t=1767225601,v1={Vector}", Payload, Secret, SignedAt).Should().Be(EventSignatureFailure.SignatureMismatch, "the timestamp is signed too");
    }

    [Fact]
    public void Verify_OutsideTolerance_TimestampOutOfTolerance()
    {
        var header = $"t=1767225600,v1={Vector}";

        EventSignature.TryVerify(header, Payload, Secret, SignedAt + Duration.FromMinutes(6)).Should().Be(EventSignatureFailure.TimestampOutOfTolerance);
        EventSignature.TryVerify(header, Payload, Secret, SignedAt + Duration.FromMinutes(6), Duration.FromMinutes(10)).Should().BeNull();
        var act = () => EventSignature.Verify(header, Payload, Secret, SignedAt - Duration.FromHours(1));
        var thrown = act.Should().Throw<EventSignatureException>().Which;
        thrown.Failure.Should().Be(EventSignatureFailure.TimestampOutOfTolerance);
        thrown.Message.Should().Contain("more than 5 minutes away");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=54afe33771499f6e766331a011f4f0d41d3bf6cd0352d44935125ffdb37a5c18")]
    [InlineData("t=1767225600")]
    [InlineData("t=abc,v1=54afe33771499f6e766331a011f4f0d41d3bf6cd0352d44935125ffdb37a5c18")]
    [InlineData("t=-1,v1=54afe33771499f6e766331a011f4f0d41d3bf6cd0352d44935125ffdb37a5c18")]
    [InlineData("t=1767225600,v1=54afe3")]
    [InlineData("t=1767225600,v1=zzafe33771499f6e766331a011f4f0d41d3bf6cd0352d44935125ffdb37a5c18")]
    [InlineData("t=1767225600,t=1767225600,v1=54afe33771499f6e766331a011f4f0d41d3bf6cd0352d44935125ffdb37a5c18")]
    [InlineData("garbage")]
    public void Verify_MalformedHeader_MalformedHeader(string? header)
    {
        EventSignature.TryVerify(header, Payload, Secret, SignedAt).Should().Be(EventSignatureFailure.MalformedHeader);
        var act = () => EventSignature.Verify(header, Payload, Secret, SignedAt);
        act.Should().Throw<EventSignatureException>().WithMessage("*Metering-Signature*");
    }

    [Fact]
    public void Sign_ShortSecret_RefusedWithTheFix()
    {
        var act = () => EventSignature.Sign(Payload, "short", SignedAt);

        act.Should().Throw<ArgumentException>().WithMessage("*at least 16*");
    }
}
