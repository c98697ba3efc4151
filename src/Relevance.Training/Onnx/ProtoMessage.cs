using System.Buffers.Binary;
using System.Text;

namespace Relevance.Training.Onnx;

/// <summary>
/// A protobuf message kept as its list of wire fields. ONNX models carry fields this code never needs to
/// understand (metadata, opset imports, shape info); keeping every field verbatim and decoding only the
/// few we edit means a read–write round trip cannot lose anything, without generated classes for the
/// whole ONNX schema.
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
                    message.Fields.Add(new ProtoField(number, wire, 0, data.Slice(pos, length).ToArray()));
                    pos += length;
                    break;
                default:
                    throw new InvalidDataException($"Unsupported protobuf wire type {wire} for field {number} at byte {pos}.");
            }
        }
        return message;
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
        foreach (var field in Fields)
        {
            WriteVarint(stream, ((ulong)field.Number << 3) | (uint)field.WireType, buffer);
            switch (field.WireType)
            {
                case Varint: WriteVarint(stream, field.Value, buffer); break;
                case Fixed64: BinaryPrimitives.WriteUInt64LittleEndian(buffer, field.Value); stream.Write(buffer[..8]); break;
                case Fixed32: BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)field.Value); stream.Write(buffer[..4]); break;
                default:
                    WriteVarint(stream, (ulong)field.Bytes!.Length, buffer);
                    stream.Write(field.Bytes);
                    break;
            }
        }
    }

    public IEnumerable<ProtoField> All(int number) => Fields.Where(f => f.Number == number);

    public string? GetString(int number) =>
        Fields.LastOrDefault(f => f.Number == number && f.WireType == LengthDelimited) is { } f ? Encoding.UTF8.GetString(f.Bytes!) : null;

    public IEnumerable<string> GetStrings(int number) =>
        All(number).Where(f => f.WireType == LengthDelimited).Select(f => Encoding.UTF8.GetString(f.Bytes!));

    public long? GetInt64(int number) =>
        Fields.LastOrDefault(f => f.Number == number && f.WireType == Varint) is { } f ? (long)f.Value : null;

    /// <summary>A repeated int64 field, packed or not (writers differ).</summary>
    public IEnumerable<long> GetInt64s(int number)
    {
        foreach (var field in All(number))
        {
            if (field.WireType == Varint) { yield return (long)field.Value; continue; }
            var pos = 0;
            while (pos < field.Bytes!.Length) yield return (long)ReadVarint(field.Bytes, ref pos);
        }
    }

    public IEnumerable<ProtoMessage> GetMessages(int number) =>
        All(number).Where(f => f.WireType == LengthDelimited).Select(f => Parse(f.Bytes));

    public ProtoMessage AddString(int number, string value) => AddBytes(number, Encoding.UTF8.GetBytes(value));

    public ProtoMessage AddBytes(int number, byte[] value)
    {
        Fields.Add(new ProtoField(number, LengthDelimited, 0, value));
        return this;
    }

    public ProtoMessage AddInt64(int number, long value)
    {
        Fields.Add(new ProtoField(number, Varint, (ulong)value, null));
        return this;
    }

    public ProtoMessage AddFloat(int number, float value)
    {
        Fields.Add(new ProtoField(number, Fixed32, BitConverter.SingleToUInt32Bits(value), null));
        return this;
    }

    public ProtoMessage AddMessage(int number, ProtoMessage value) => AddBytes(number, value.ToBytes());

    public void RemoveAll(int number) => Fields.RemoveAll(f => f.Number == number);

    internal static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("Malformed protobuf varint.");
    }

    private static void WriteVarint(Stream stream, ulong value, Span<byte> buffer)
    {
        var n = 0;
        while (value >= 0x80)
        {
            buffer[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[n++] = (byte)value;
        stream.Write(buffer[..n]);
    }
}

/// <summary>One wire field: <see cref="Value"/> for varint/fixed fields, <see cref="Bytes"/> for length-delimited ones.</summary>
public sealed record ProtoField(int Number, int WireType, ulong Value, byte[]? Bytes);
