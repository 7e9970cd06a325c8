/// GPT-2's byte-to-unicode map: every byte value as one printable character, so that a
/// byte-level vocabulary is a vocabulary of strings with no spaces or control characters in it.
///
/// ```
/// bytes '!'...'~', '¡'...'¬', '®'...'ÿ'  -> the character with that code (themselves)
/// the other 68 bytes, in order            -> U+0100, U+0101, ...   (space 0x20 -> 'Ġ' U+0120)
/// ```
/// [Radford et al. 2019, `encoder.py`](https://github.com/openai/gpt-2/blob/master/src/encoder.py)
enum ByteLevelAlphabet {
    /// The character of each byte value.
    static let characters: [Unicode.Scalar] = {
        var characters = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                characters[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                characters[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return characters
    }()

    /// The byte of each character of the map (the inverse of `characters`).
    static let bytes: [Unicode.Scalar: UInt8] = {
        var bytes: [Unicode.Scalar: UInt8] = [:]
        for (byte, character) in characters.enumerated() { bytes[character] = UInt8(byte) }
        return bytes
    }()

    /// The text's UTF-8 bytes written in the map's characters.
    static func encode(_ utf8: some Sequence<UInt8>) -> String {
        var result = String.UnicodeScalarView()
        for byte in utf8 { result.append(characters[Int(byte)]) }
        return String(result)
    }

    /// The bytes a vocabulary piece stands for, or nil when a character of it is not in the map
    /// (an added token such as `<|im_start|>` is in it; one with other characters is not).
    static func decode(_ piece: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(piece.unicodeScalars.count)
        for scalar in piece.unicodeScalars {
            guard let byte = bytes[scalar] else { return nil }
            result.append(byte)
        }
        return result
    }
}
