using System.Buffers.Binary;
using System.Text;

namespace Relevance.Slm.Onnx;

/// <summary>One protobuf wire field: a scalar (varint/fixed) in <see cref="Value"/>, or the raw bytes of a length-delimited one.</summary>
public sealed record ProtoField(int Number, int Wire, ulong Value, byte[]? Bytes)
{
    public string AsString() => Encoding.UTF8.GetString(Bytes ?? throw new InvalidDataException($"Field {Number} is not length-delimited."));
    public ProtoMessage AsMessage() => ProtoMessage.Parse(Bytes ?? throw new InvalidDataException($"Field {Number} is not length-delimited."));

    public static ProtoField Of(int number, string value) => new(number, ProtoMessage.LengthDelimited, 0, Encoding.UTF8.GetBytes(value));
    public static ProtoField Of(int number, ProtoMessage value) => new(number, ProtoMessage.LengthDelimited, 0, value.ToBytes());
    public static ProtoField Of(int number, byte[] value) => new(number, ProtoMessage.LengthDelimited, 0, value);
    public static ProtoField OfVarint(int number, long value) => new(number, ProtoMessage.Varint, unchecked((ulong)value), null);
}

/// <summary>
/// A protobuf message kept as its list of wire fields, in order. ONNX files carry many fields we never
/// edit (shape info, metadata, opsets); keeping every field verbatim and decoding only the few we change
/// makes a read–write round trip lossless without generating classes for the whole ONNX schema.
/// </summary>
public sealed class ProtoMessage
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    public List<ProtoField> Fields { get; } = [];

    public static ProtoMessage Parse(ReadOnlySpan<byte> data)
    {
        var message = new ProtoMessage();
        var pos = 0;
        while (pos < data.Length)
        {
            var tag = ReadVarint(data, ref pos);
            var number = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            switch (wire)
            {
                case Varint:
                    message.Fields.Add(new ProtoField(number, wire, ReadVarint(data, ref pos), null));
                    break;
                case Fixed64:
                    message.Fields.Add(new ProtoField(number, wire, BinaryPrimitives.ReadUInt64LittleEndian(data[pos..]), null));
                    pos += 8;
                    break;
                case Fixed32:
                    message.Fields.Add(new ProtoField(number, wire, BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]), null));
                    pos += 4;
                    break;
                case LengthDelimited:
                    var length = checked((int)ReadVarint(data, ref pos));
                    if (length < 0 || pos + length > data.Length) throw new InvalidDataException($"Truncated protobuf field {number} at byte {pos}.");
                    message.Fields.Add(new ProtoField(number, wire, 0, data.Slice(pos, length).ToArray()));
                    pos += length;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wire} for field {number} at byte {pos}.");
            }
        }
        return message;
    }

    public IEnumerable<ProtoField> All(int number) => Fields.Where(f => f.Number == number);

    public string? String(int number) => Fields.LastOrDefault(f => f.Number == number)?.AsString();

    public long? Int(int number) => Fields.LastOrDefault(f => f.Number == number) is { Wire: Varint } f ? unchecked((long)f.Value) : null;

    /// <summary>A repeated int64 field, packed or not.</summary>
    public List<long> Int64s(int number)
    {
        var values = new List<long>();
        foreach (var f in All(number))
        {
            if (f.Wire == Varint)
            {
                values.Add(unchecked((long)f.Value));
                continue;
            }
            var pos = 0;
            var span = f.Bytes.AsSpan();
            while (pos < span.Length) values.Add(unchecked((long)ReadVarint(span, ref pos)));
        }
        return values;
    }

    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    public void WriteTo(Stream stream)
    {
        Span<byte> buffer = stackalloc byte[10];
        foreach (var f in Fields)
        {
            stream.Write(buffer[..WriteVarint(buffer, ((ulong)f.Number << 3) | (uint)f.Wire)]);
            switch (f.Wire)
            {
                case Varint:
                    stream.Write(buffer[..WriteVarint(buffer, f.Value)]);
                    break;
                case Fixed64:
                    BinaryPrimitives.WriteUInt64LittleEndian(buffer, f.Value);
                    stream.Write(buffer[..8]);
                    break;
                case Fixed32:
                    BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)f.Value);
                    stream.Write(buffer[..4]);
                    break;
                default:
                    stream.Write(buffer[..WriteVarint(buffer, (ulong)f.Bytes!.Length)]);
                    stream.Write(f.Bytes);
                    break;
            }
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new InvalidDataException("Truncated protobuf varint.");
            var b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("Malformed protobuf varint.");
    }

    private static int WriteVarint(Span<byte> buffer, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            buffer[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[i++] = (byte)value;
        return i;
    }
}
