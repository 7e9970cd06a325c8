/// A number of bytes as people read it: `512 bytes`, `3.2 MiB`, `128 GiB`.
public struct ByteCount: CustomStringConvertible, Sendable {
    public let bytes: Int

    public init(_ bytes: Int) { self.bytes = bytes }

    public var description: String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard bytes >= 1024 else { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        // One decimal below 100 (3.2 MiB), none above (128 GiB) or when it would be .0.
        let tenths = Int((value * 10).rounded())
        let digits = value >= 100 || tenths % 10 == 0 ? String(Int(value.rounded())) : "\(tenths / 10).\(tenths % 10)"
        return "\(digits) \(units[unit])"
    }
}
