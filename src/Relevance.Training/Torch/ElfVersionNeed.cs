using System.Buffers.Binary;
using System.Text;

namespace Relevance.Training.Torch;

/// <summary>
/// Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK), in place.
/// Why: TorchSharp 0.107's libLibTorchSharp.so was linked by GCC 13 and requires GLIBCXX_3.4.32, which
/// Debian 12's libstdc++ (3.4.30) lacks. The only symbol bound to that version is
/// std::ios_base_library_init(), an anchor with no relocation that nothing binds, so a weak requirement
/// lets the loader accept the library and nothing changes at run time (DESIGN.md, "The SLM").
/// The same logic runs as an MSBuild step (build/Relevance.Training.targets) on build outputs.
/// </summary>
public static class ElfVersionNeed
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>Returns true when the file was changed, false when the requirement is absent or already weak.</summary>
    public static bool MakeWeak(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = FindVernauxFlags(bytes, version);
        if (offset < 0) return false;
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset));
        if ((flags & VerFlagWeak) != 0) return false;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
        stream.Position = offset;
        Span<byte> patched = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(patched, (ushort)(flags | VerFlagWeak));
        stream.Write(patched);
        return true;
    }

    public static bool IsWeak(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = FindVernauxFlags(bytes, version);
        return offset < 0 || (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset)) & VerFlagWeak) != 0;
    }

    /// <summary>File offset of the vna_flags field of the Vernaux entry naming <paramref name="version"/>, or -1.</summary>
    private static int FindVernauxFlags(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("Only little-endian ELF64 libraries are supported.");
        var span = elf.AsSpan();
        var shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        for (var i = 0; i < shnum; i++)
        {
            var sh = span[(shoff + i * shentsize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            var verneed = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
            var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[44..]);
            var strtab = span[(shoff + (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]) * shentsize)..];
            var strOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(strtab[24..]);
            var need = verneed;
            for (var n = 0; n < count; n++)
            {
                var auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(need + 2)..]);
                var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 8)..]);
                for (var a = 0; a < auxCount; a++)
                {
                    var nameOffset = strOffset + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    var end = span[nameOffset..].IndexOf((byte)0);
                    if (Encoding.ASCII.GetString(span.Slice(nameOffset, end)) == version) return aux + 4;
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }
                need += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 12)..]);
            }
        }
        return -1;
    }
}
